//! Baselines and drift: a baseline learned from catalog A finds nothing in A
//! and exactly the mutation's novelties in its successor B; --wua-version
//! and --max-age trigger at their boundaries and not before.

use crate::common::pair::pair;
use crate::common::*;
use serde_json::Value;
use std::path::Path;
use wsuscat::commands::generate::model::Truth;
use wsuscat::commands::generate::mutate::Mutated;
use wsuscat::rules::constraints::unix_seconds;

fn catalog_findings(report: &Value) -> &Vec<Value> {
    report["catalog_findings"]
        .as_array()
        .expect("catalog_findings")
}

fn schema_errors(doc: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("docs/check-report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// A baseline of a catalog flags nothing in that same catalog.
fn assert_own_catalog_has_no_findings(old: &Path, t: &str) {
    let (code, report) = check_json(old, &["--allow-unsigned", "--baseline", t]);
    assert_eq!(code, 0, "{report}");
    assert!(catalog_findings(&report).is_empty(), "{report}");
    assert!(report["findings"].as_array().unwrap().is_empty());
}

/// The successor's baseline findings are exactly the mutation's novelties,
/// each with its update count, first RevisionIds and "breaks" (the default
/// profile, which `--baseline` adds to, has its own). Returns how many.
fn assert_findings_are_exactly_the_novelties(report: &Value, b: &Mutated) -> usize {
    let found: Vec<(Value, u64, Vec<u64>, String)> = catalog_findings(report)
        .iter()
        .filter(|f| f["profile"] != "configmgr2007-legacy")
        .map(|f| {
            (
                f["term"].clone(),
                f["updates"].as_u64().unwrap(),
                f["first"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["revision_id"].as_u64().unwrap())
                    .collect(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut expected: Vec<(Value, u64, Vec<u64>, String)> = b
        .changes
        .novelties
        .iter()
        .map(|(term, revs)| {
            (
                serde_json::to_value(term).unwrap(),
                revs.len() as u64,
                revs.iter().map(|&r| u64::from(r)).collect(),
                "breaks".to_string(),
            )
        })
        .collect();
    let mut found_sorted = found.clone();
    found_sorted.sort_by_key(|f| f.0.to_string());
    expected.sort_by_key(|f| f.0.to_string());
    assert_eq!(found_sorted, expected);
    expected.len()
}

/// The first updates are named from their l\en fragments.
fn assert_first_updates_are_titled(report: &Value, generated: &Truth) {
    for f in catalog_findings(report) {
        for u in f["first"].as_array().unwrap() {
            let rev = u["revision_id"].as_u64().unwrap() as u32;
            let truth = generated.by_revision(rev).expect("a generated update");
            assert_eq!(u["title"], truth.title.as_str(), "{rev}");
        }
    }
}

/// The four injected kinds are all there, the nested bundle among the new
/// combinations; returns its finding.
fn assert_every_injected_kind_is_found(report: &Value) -> &Value {
    let rules: Vec<&str> = catalog_findings(report)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "new-value",
        "new-attribute",
        "new-element",
        "new-combination",
    ] {
        assert!(rules.contains(&rule), "{rule} in {rules:?}");
    }
    let nested = catalog_findings(report)
        .iter()
        .find(|f| f["term"]["kind"] == "combination" && f["term"]["is_bundle"] == "true")
        .expect("the nested bundle is a new combination");
    assert_eq!(nested["term"]["deployment_action"], "Bundle");
    nested
}

/// Combined with a built-in profile, whose combination rule names the
/// nested bundle too and whose value rule names each update.
fn assert_baseline_combines_with_a_builtin_profile(new: &Path, t: &str, nested: &Value) {
    let (code, report) = check_json(
        new,
        &[
            "--allow-unsigned",
            "--profile",
            "configmgr2007-legacy",
            "--profile",
            t,
        ],
    );
    assert_eq!(code, 1);
    let nested_rule = catalog_findings(&report)
        .iter()
        .find(|f| f["rule"] == "nested-bundle")
        .expect("nested-bundle finding");
    assert_eq!(nested_rule["profile"], "configmgr2007-legacy");
    assert_eq!(
        nested_rule["first"][0]["revision_id"],
        nested["first"][0]["revision_id"]
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 4);
}

/// A baseline written with --severity warn reports without failing.
fn assert_warn_baseline_reports_without_failing(
    dir: &Path,
    old: &Path,
    new: &Path,
    novelties: usize,
) {
    let warn = dir.join("warn.toml");
    let r = run([
        "baseline",
        "--allow-unsigned",
        "--severity",
        "warn",
        old.to_str().unwrap(),
        "-o",
        warn.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    let (code, report) = check_json(
        new,
        &["--allow-unsigned", "--profile", warn.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(catalog_findings(&report).len(), novelties);
    assert!(catalog_findings(&report)
        .iter()
        .all(|f| f["severity"] == "warn"));
}

#[test]
fn a_baseline_finds_nothing_in_its_own_catalog_and_exactly_the_novelties_in_the_next() {
    let (a, b) = pair();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("a.cab"), dir.path().join("b.cab"));
    let toml = dir.path().join("baseline.toml");
    std::fs::write(&old, &a.cab).unwrap();
    std::fs::write(&new, &b.generated.cab).unwrap();
    let r = run([
        "baseline",
        "--allow-unsigned",
        old.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains(&a.truth.package_id), "names its source");
    assert!(text.contains("kind = \"baseline\""));
    let t = toml.to_str().unwrap();

    assert_own_catalog_has_no_findings(&old, t);

    let (code, report) = check_json(&new, &["--allow-unsigned", "--baseline", t]);
    assert_eq!(code, 1, "{report}");
    assert!(
        schema_errors(&report).is_empty(),
        "{:?}",
        schema_errors(&report)
    );
    let novelties = assert_findings_are_exactly_the_novelties(&report, &b);
    assert_first_updates_are_titled(&report, &b.generated.truth);
    let nested = assert_every_injected_kind_is_found(&report);

    assert_baseline_combines_with_a_builtin_profile(&new, t, nested);
    assert_warn_baseline_reports_without_failing(dir.path(), &old, &new, novelties);
}

#[test]
fn wua_version_triggers_only_above_the_fleet() {
    let (a, b) = pair();
    let (_d, path) = temp_file("b.cab", &b.generated.cab);
    assert_eq!(b.generated.truth.minimum_client_version, "10.0.19041.1");
    let run_with = |v: &str| {
        check_json(
            &path,
            &["--allow-unsigned", "--profile", "wua", "--wua-version", v],
        )
    };
    let count = |r: &Value| {
        catalog_findings(r)
            .iter()
            .filter(|f| f["rule"] == "wua-version")
            .count()
    };
    for ok in ["10.0.19041.1", "10.0.19041.2", "10.1", "11"] {
        let (_, r) = run_with(ok);
        assert_eq!(count(&r), 0, "{ok}: {r}");
    }
    for stale in ["10.0.19041.0", "10.0.19040.999", "7.6.7600.256"] {
        let (code, r) = run_with(stale);
        assert_eq!((code, count(&r)), (1, 1), "{stale}: {r}");
    }
    let _ = a;
    assert_eq!(
        run(["check", "--wua-version", "ten", path.to_str().unwrap()]).code,
        2
    );
}

#[test]
fn max_age_triggers_one_second_after_the_boundary() {
    let (a, _) = pair();
    let (_d, path) = temp_file("a.cab", &a.cab);
    let created = unix_seconds(&a.truth.creation_date).unwrap();
    let at = |secs: i64| {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Back to RFC 3339 through the days since the epoch.
        let (y, m, d) = civil(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    };
    let ages = |now: i64| {
        let (code, r) = check_json(
            &path,
            &["--allow-unsigned", "--max-age", "30", "--now", &at(now)],
        );
        let n = catalog_findings(&r)
            .iter()
            .filter(|f| f["rule"] == "max-age")
            .count();
        (code, n)
    };
    let limit = created + 30 * 86_400;
    assert_eq!(ages(created), (0, 0));
    assert_eq!(
        ages(limit),
        (0, 0),
        "exactly 30 days old is not older than 30"
    );
    assert_eq!(ages(limit + 1), (1, 1));

    // A verified signature's time counts too: the fixture's signing time is
    // its CreationDate, so both are stale together.
    let clean = testdata("clean-wsusscn2.cab");
    let [t, anchor] = trust();
    let (code, r) = check_json(
        &clean,
        &[
            &t,
            &anchor,
            "--max-age",
            "1",
            "--now",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 1);
    let subjects: Vec<&str> = catalog_findings(&r)
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("CreationDate")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.starts_with("signing time")),
        "{subjects:?}"
    );
}

/// (year, month, day) of days since 1970-01-01.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

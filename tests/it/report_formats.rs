//! The output formats, pinned: JSON against the documented schema,
//! snapshots of the human, JSON, jsonl and CSV reports, jsonl and CSV read
//! back with real parsers, and the exit-code table.

use crate::common::*;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/check-report.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

#[test]
fn every_json_document_validates_against_the_schema() {
    let validator = schema();
    let mut files: Vec<_> = [
        "sample-wsusscn2.cab",
        "clean-wsusscn2.cab",
        "broken-truncated.cab",
        "broken-malformed-xml.cab",
        "broken-flipped-byte.cab",
        "broken-not-a-cab.cab",
        "broken-no-package-xml.cab",
    ]
    .iter()
    .map(|n| testdata(n))
    .collect();
    files.push("/no/such/file.cab".into());
    let [t, a] = trust();
    for f in files {
        let (_, doc) = check_json(&f, &[&t, &a]);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {}", f.display(), errors.join("; "));
    }
    // And the schema is strict enough to reject a wrong document.
    let (_, mut doc) = check_json(&testdata("sample-wsusscn2.cab"), &[&t, &a]);
    doc["findings"][0]["revision_id"] = serde_json::json!("1293995");
    assert!(
        !validator.is_valid(&doc),
        "a string revision_id must not validate"
    );
}

const ANCHOR: &str = "--trust-anchor=testdata/test-signing/test-root-ca.pem";

fn run_in_root(args: &[&str]) -> (i32, String) {
    let out = command().args(args).current_dir(root()).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn human_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--color",
        "never",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_human", out);
}

#[test]
fn json_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "json",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_json", out);
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let (_, piped) = run_in_root(&["check", ANCHOR, "testdata/sample-wsusscn2.cab"]);
    assert!(!piped.contains('\x1b'), "no ANSI when stdout is a pipe");
    let (_, forced) = run_in_root(&[
        "check",
        "--color",
        "always",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert!(forced.contains("\x1b[31;1m"), "red verdict when forced");
}

#[test]
fn exit_code_table_is_stable() {
    // Scheduled tasks depend on these numbers; changing one is a breaking
    // change that must be deliberate.
    let [t, a] = trust();
    let cases = [
        ("unsigned-wsusscn2.cab", 3),
        ("clean-wsusscn2.cab", 0),
        ("sample-wsusscn2.cab", 1),
        ("broken-truncated.cab", 3),
        ("broken-flipped-byte.cab", 3),
        ("broken-not-a-cab.cab", 3),
        ("broken-no-package-xml.cab", 3),
        ("broken-malformed-xml.cab", 3),
    ];
    for (name, code) in cases {
        assert_eq!(
            run(["check", &t, &a, testdata(name).to_str().unwrap()]).code,
            code,
            "{name}"
        );
    }
    assert_eq!(run(["check", "/no/such/file.cab"]).code, 2);
    assert_eq!(run(["check", "--no-such-option"]).code, 2);
    // The table as scripts read it, word for word.
    const TABLE: &str = "\
Exit codes:
  0    compatible: the catalog was read completely and has no breaking finding
  1    incompatible: at least one breaking finding
  2    usage or environment error (bad arguments, missing file, I/O, bad profile,
       report or log not writable)
  3    unusable catalog (not a cab, truncated, corrupt block or checksum,
       package.cab or package.xml missing, malformed XML, no <Update>,
       unsigned, bad or untrusted signature)
  130  interrupted (Ctrl-C, SIGTERM); no half-written --output is left";
    for args in [&["--help"][..], &["check", "--help"]] {
        let help = run(args).stdout;
        assert!(help.contains(TABLE), "{args:?} prints the table:\n{help}");
    }
    let doc = std::fs::read_to_string(root().join("docs/exit-codes.md")).unwrap();
    for needle in ["| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"] {
        assert!(doc.contains(needle), "docs/exit-codes.md has {needle}");
    }
}

#[test]
fn jsonl_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "jsonl",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_jsonl", out);
}

#[test]
fn csv_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "csv",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    // RFC 4180 ends every record with CRLF; the snapshot shows them.
    assert!(out.ends_with("\r\n") && !out.replace("\r\n", "").contains('\n'));
    insta::assert_snapshot!("sample_csv", out.replace("\r\n", "\\r\\n\n"));
}

/// Reads jsonl the way PowerShell does: line by line, each a document.
fn jsonl_events(text: &str) -> Vec<serde_json::Value> {
    assert!(text.ends_with('\n'), "the last event ends its line");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn jsonl_is_one_typed_event_per_line_and_matches_the_json_report() {
    let [t, a] = trust();
    for name in ["sample-wsusscn2.cab", "clean-wsusscn2.cab"] {
        let file = testdata(name);
        let (code, doc) = check_json(&file, &[&t, &a]);
        let r = run(["check", "--format", "jsonl", &t, &a, file.to_str().unwrap()]);
        assert_eq!(r.code, code, "{name}");
        let events = jsonl_events(&r.stdout);
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        // Per-update findings, then catalog-level ones, each told by its
        // `scope`.
        let findings: Vec<(&str, &serde_json::Value)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| ("update", f))
            .chain(
                doc["catalog_findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| ("catalog", f)),
            )
            .collect();
        let mut expected = vec!["catalog"];
        expected.extend(findings.iter().map(|_| "finding"));
        expected.push("summary");
        assert_eq!(types, expected, "{name}");
        let catalog = &events[0];
        assert_eq!(catalog["sha256"], doc["catalog"]["sha256"]);
        assert_eq!(catalog["signature"], doc["signature"]);
        assert_eq!(catalog["profiles"], doc["profiles"]);
        for (event, (scope, finding)) in events[1..].iter().zip(&findings) {
            let mut event = event.clone();
            event.as_object_mut().unwrap().remove("type");
            let got = event.as_object_mut().unwrap().remove("scope");
            assert_eq!(got.as_ref().and_then(|s| s.as_str()), Some(*scope));
            assert_eq!(&event, *finding);
        }
        let mut summary = events.last().unwrap().clone();
        summary.as_object_mut().unwrap().remove("type");
        assert_eq!(summary, doc["summary"]);
    }
}

#[test]
fn jsonl_errors_are_an_error_event_on_stdout_and_a_line_on_stderr() {
    let [t, a] = trust();
    for (file, kind, code) in [
        (testdata("broken-malformed-xml.cab"), "xml", 3),
        ("/no/such/file.cab".into(), "io", 2),
    ] {
        let r = run(["check", "--format", "jsonl", &t, &a, file.to_str().unwrap()]);
        assert_eq!(r.code, code);
        let events = jsonl_events(&r.stdout);
        assert_eq!(events.len(), 1, "{}", r.stdout);
        assert_eq!(events[0]["type"], "error");
        assert_eq!(events[0]["kind"], kind);
        assert!(r.stderr.starts_with("wsuscat: error: "), "{}", r.stderr);
    }
    // CSV has no place for an error: stderr only, stdout empty.
    let r = run([
        "check",
        "--format",
        "csv",
        &t,
        &a,
        testdata("broken-truncated.cab").to_str().unwrap(),
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (3, ""));
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    // Human errors never reach stdout.
    let r = run(["check", "/no/such/file.cab"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_parses_with_a_csv_reader_and_matches_the_json_report() {
    // A profile whose message needs every kind of quoting, and whose rule
    // finds both an empty and an absent value in the generated catalog.
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("mix.cab");
    let g = run([
        "generate",
        "--updates",
        "120",
        "--outer",
        "mszip",
        "--inner",
        "mszip",
        "--inject",
        "1000010=",
        "--inject",
        "1000020",
        "--inject",
        "1000030=Odd,\"Value\"",
        "-o",
        cab.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let profile = dir.path().join("quoting.toml");
    std::fs::write(
        &profile,
        r#"name = "quoting"
description = "CSV quoting"
[[rule]]
name = "da"
attribute = "DeploymentAction"
allow_absent = false
allowed = ["Install", "Bundle", "Evaluate"]
severity = "warn"
message = "a comma, a \"quote\"\nand a line break"
"#,
    )
    .unwrap();
    let args = |f: &'static str| {
        vec![
            "check".to_string(),
            "--allow-unsigned".into(),
            "--profile".into(),
            profile.display().to_string(),
            "--format".into(),
            f.into(),
            cab.display().to_string(),
        ]
    };
    let json = run(args("json"));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let csv_run = run(args("csv"));
    assert_eq!(csv_run.code, json.code);
    let (header, rows) = csv_rows(&csv_run.stdout);
    assert_eq!(header, wsuscat::report::CHECK_CSV_COLUMNS);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{}", json.stdout);
    assert_eq!(rows.len(), findings.len());
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut seen_absent = false;
    for (row, f) in rows.iter().zip(findings) {
        for (column, cell) in header.iter().zip(row) {
            let expected = match column.as_str() {
                "scope" => "update".to_string(),
                "subject" | "updates" | "occurrences" | "first_updates" => String::new(),
                "profiles" => "quoting".to_string(),
                "attribute_present" => (!f["value"].is_null()).to_string(),
                "products" => f["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(text)
                    .collect::<Vec<_>>()
                    .join(";"),
                "bundled_by" => text(&f["bundled_by"]["revision_id"]),
                c => text(&f[c]),
            };
            assert_eq!(cell, &expected, "{column} of {f}");
        }
        seen_absent |= f["value"].is_null();
    }
    assert!(seen_absent, "an absent value is among the findings");
    assert!(rows.iter().any(|r| r[6] == "Odd,\"Value\""));
}

/// The README's first command must keep working: it is how a newcomer meets
/// the tool. Its arguments are taken from the README itself.
#[test]
fn the_readme_command_runs_the_sample_and_finds_the_incident() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("README gives a cargo run command");
    let args: Vec<&str> = line["cargo run --release -- ".len()..]
        .split_whitespace()
        .collect();
    let out = command().args(&args).current_dir(root()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1293995") && stdout.contains("INCOMPATIBLE"),
        "{stdout}"
    );
    assert!(
        readme.contains("\n    cargo test\n"),
        "README gives the test command"
    );
}

/// One finding as any format can name it: per-update findings by their
/// RevisionId, catalog-level ones by their subject.
type Key = (String, String, String, String);

fn key(profile: &str, rule: &str, about: &str, severity: &str) -> Key {
    (
        profile.to_string(),
        rule.to_string(),
        about.to_string(),
        severity.to_string(),
    )
}

/// What a format says: its findings, its counts (total, breaking,
/// warnings) and the profiles that judged the catalog.
#[derive(Debug, PartialEq)]
struct Said {
    findings: Vec<Key>,
    counts: (usize, usize, usize),
    profiles: Vec<String>,
}

fn said(mut findings: Vec<Key>, counts: (usize, usize, usize), profiles: Vec<String>) -> Said {
    findings.sort();
    Said {
        findings,
        counts,
        profiles,
    }
}

fn from_json(doc: &serde_json::Value) -> Said {
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    let mut findings: Vec<Key> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let about = format!("RevisionId {}", f["revision_id"]);
            key(
                &s(&f["profile"]),
                &s(&f["rule"]),
                &about,
                &s(&f["severity"]),
            )
        })
        .collect();
    findings.extend(doc["catalog_findings"].as_array().unwrap().iter().map(|f| {
        key(
            &s(&f["profile"]),
            &s(&f["rule"]),
            &s(&f["subject"]),
            &s(&f["severity"]),
        )
    }));
    let n = |k: &str| doc["summary"][k].as_u64().unwrap() as usize;
    assert_eq!(
        n("findings"),
        n("update_findings") + n("catalog_findings"),
        "{}",
        doc["summary"]
    );
    let profiles = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(&p["name"]))
        .collect();
    said(
        findings,
        (n("findings"), n("breaking"), n("warnings")),
        profiles,
    )
}

fn from_jsonl(text: &str) -> Said {
    let events = jsonl_events(text);
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    let findings = events
        .iter()
        .filter(|e| e["type"] == "finding")
        .map(|f| {
            let about = match f["scope"].as_str() {
                Some("update") => format!("RevisionId {}", f["revision_id"]),
                Some("catalog") => s(&f["subject"]),
                other => panic!("scope {other:?} in {f}"),
            };
            key(
                &s(&f["profile"]),
                &s(&f["rule"]),
                &about,
                &s(&f["severity"]),
            )
        })
        .collect();
    let summary = events.last().unwrap();
    assert_eq!(summary["type"], "summary");
    let n = |k: &str| summary[k].as_u64().unwrap() as usize;
    let catalog = &events[0];
    assert_eq!(catalog["type"], "catalog");
    let profiles = catalog["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(&p["name"]))
        .collect();
    said(
        findings,
        (n("findings"), n("breaking"), n("warnings")),
        profiles,
    )
}

/// CSV has no summary row: its counts are its rows, and every row names
/// the profiles.
fn from_csv(text: &str) -> Said {
    let (header, rows) = csv_rows(text);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut profiles = Vec::new();
    let findings: Vec<Key> = rows
        .iter()
        .map(|r| {
            let about = match r[col("scope")].as_str() {
                "update" => format!("RevisionId {}", r[col("revision_id")]),
                "catalog" => {
                    assert_eq!(r[col("revision_id")], "", "{r:?}");
                    r[col("subject")].clone()
                }
                other => panic!("scope {other:?} in {r:?}"),
            };
            profiles.push(r[col("profiles")].clone());
            key(
                &r[col("profile")],
                &r[col("rule")],
                &about,
                &r[col("severity")],
            )
        })
        .collect();
    profiles.dedup();
    assert_eq!(profiles.len(), 1, "every row names the same profiles");
    let breaking = findings.iter().filter(|k| k.3 == "breaks").count();
    let counts = (findings.len(), breaking, findings.len() - breaking);
    let profiles = profiles[0].split(';').map(String::from).collect();
    said(findings, counts, profiles)
}

/// The CMTrace log: a finding entry each, the profiles entry, and the
/// verdict's counts.
fn from_cmtrace(log: &std::path::Path) -> Said {
    let update = regex::Regex::new(
        r"^finding: RevisionId (\d+) \(.*\): .* (breaks|warn) rule (\S+) of (\S+): ",
    )
    .unwrap();
    let catalog = regex::Regex::new(
        r"^catalog finding: (.+?)(?: \(\d+ update\(s\), first RevisionId [\d, .]+\))? (breaks|warn) rule (\S+) of (\S+): ",
    )
    .unwrap();
    let verdict = regex::Regex::new(
        r"^verdict INCOMPATIBLE: (\d+) breaking finding\(s\) \((\d+) update\(s\), (\d+) catalog finding\(s\)\) would break .*; \d+ updates checked; (\d+) warning\(s\)$",
    )
    .unwrap();
    let mut findings = Vec::new();
    let mut counts = None;
    let mut profiles = None;
    for line in crate::cmtrace_log::parse(log) {
        let m = &line.message;
        if let Some(c) = update.captures(m) {
            findings.push(key(&c[4], &c[3], &format!("RevisionId {}", &c[1]), &c[2]));
            assert_eq!(line.kind, if &c[2] == "breaks" { 3 } else { 2 }, "{m}");
        } else if let Some(c) = catalog.captures(m) {
            findings.push(key(&c[4], &c[3], &c[1], &c[2]));
            assert_eq!(line.kind, if &c[2] == "breaks" { 3 } else { 2 }, "{m}");
        } else if let Some(c) = verdict.captures(m) {
            let n = |i: usize| c[i].parse::<usize>().unwrap();
            let total = n(1) + n(4);
            counts = Some((total, n(1), n(4)));
        } else if let Some(names) = m.strip_prefix("profiles: ") {
            profiles = Some(names.split(" + ").map(String::from).collect());
        }
    }
    said(
        findings,
        counts.expect("a verdict entry with counts"),
        profiles.expect("a profiles entry"),
    )
}

/// The human report: the findings table (cut at its header's columns,
/// with the profile taken from the `Findings` count being per update), the
/// catalog findings' lines, the `Profile` lines and the section counts.
fn from_human(text: &str, update_profile: impl Fn(&str, &str, &str) -> String) -> Said {
    let lines: Vec<&str> = text.lines().collect();
    let profiles = lines
        .iter()
        .filter_map(|l| l.strip_prefix("Profile   "))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    let counts = regex::Regex::new(
        r"^(?:Catalog findings|Findings)  (\d+) \((\d+) breaking, (\d+) warnings\)$",
    )
    .unwrap();
    let mut total = (0, 0, 0);
    for c in lines.iter().filter_map(|l| counts.captures(l)) {
        let n = |i: usize| c[i].parse::<usize>().unwrap();
        total = (total.0 + n(1), total.1 + n(2), total.2 + n(3));
    }
    let mut findings = Vec::new();
    let head = lines
        .iter()
        .position(|l| l.starts_with("  RevisionId"))
        .expect("a findings table");
    let starts: Vec<usize> = ["RevisionId", "Rule", "Severity", "Kind"]
        .iter()
        .map(|h| lines[head].find(h).unwrap())
        .collect();
    for row in &lines[head + 1..] {
        let cell = |a: usize, b: usize| row.get(a..b).unwrap_or("").trim().to_string();
        let severity = cell(starts[2], starts[3]);
        if severity != "breaks" && severity != "warn" {
            break; // the titles and messages under the table
        }
        let rev = row[starts[0]..].split_whitespace().next().unwrap();
        let rule = cell(starts[1], starts[2]);
        let profile = update_profile(rev, &rule, &severity);
        findings.push(key(
            &profile,
            &rule,
            &format!("RevisionId {rev}"),
            &severity,
        ));
    }
    let catalog = regex::Regex::new(r"^  (breaks|warn)\s+(\S+)\s+(.+)  \[(\S+)\]$").unwrap();
    for c in lines.iter().filter_map(|l| catalog.captures(l)) {
        findings.push(key(&c[4], &c[2], &c[3], &c[1]));
    }
    said(findings, total, profiles)
}

/// A generated catalog, a baseline of its predecessor and a warning
/// profile in `dir`; returns check's arguments for a format, which find
/// every kind of finding: per-update breaking and warning, the baseline's
/// novelties, nested-bundle at both severities, --wua-version, --max-age.
fn every_kind_of_finding(dir: &std::path::Path) -> impl Fn(&str) -> Vec<String> {
    let (a, b) = crate::common::pair::pair();
    let (old, new) = (dir.join("a.cab"), dir.join("b.cab"));
    std::fs::write(&old, &a.cab).unwrap();
    std::fs::write(&new, &b.generated.cab).unwrap();
    let baseline = dir.join("baseline.toml");
    let r = run([
        "baseline",
        "--allow-unsigned",
        old.to_str().unwrap(),
        "-o",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warn = dir.join("warn.toml");
    std::fs::write(
        &warn,
        r#"name = "cautious"
description = "warns on what configmgr2007-legacy rejects"
[[rule]]
name = "deployment-action"
attribute = "DeploymentAction"
allow_absent = true
allowed = ["Install", "Bundle", "Evaluate"]
severity = "warn"
"#,
    )
    .unwrap();
    move |format: &str| {
        let mut args: Vec<String> = [
            "check",
            "--allow-unsigned",
            "--profile",
            "configmgr2007-legacy",
            "--profile",
            "wua",
            "--profile",
            warn.to_str().unwrap(),
            "--profile",
            baseline.to_str().unwrap(),
            "--wua-version",
            "7.6.7600.256",
            "--max-age",
            "30",
            "--now",
            "2100-01-01T00:00:00Z",
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(new.display().to_string());
        args
    }
}

/// Every kind is there, or the comparison proves little; and the JSON's
/// own counts agree with its findings.
fn assert_every_kind_is_found(expected: &Said) {
    let kinds: std::collections::BTreeSet<(&str, &str)> = expected
        .findings
        .iter()
        .map(|k| (k.1.as_str(), k.3.as_str()))
        .collect();
    for kind in [
        ("deployment-action", "breaks"),
        ("deployment-action", "warn"),
        ("new-value", "breaks"),
        ("new-element", "breaks"),
        ("new-combination", "breaks"),
        ("nested-bundle", "breaks"),
        ("nested-bundle", "warn"),
        ("wua-version", "breaks"),
        ("max-age", "breaks"),
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    let (total, breaking, warnings) = expected.counts;
    assert_eq!(total, expected.findings.len());
    assert_eq!(total, breaking + warnings);
    assert_eq!(
        breaking,
        expected.findings.iter().filter(|k| k.3 == "breaks").count()
    );
    assert_eq!(expected.profiles.len(), 4, "{:?}", expected.profiles);
}

/// Issue 13: every kind of finding goes through every format, and each
/// format, parsed back, names the same findings, the same counts and the
/// same profiles.
#[test]
fn every_format_reports_every_kind_of_finding_with_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let args = every_kind_of_finding(dir.path());
    let json = run(args("json"));
    assert_eq!(json.code, 1, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let expected = from_json(&doc);
    assert_every_kind_is_found(&expected);

    let jsonl = run(args("jsonl"));
    assert_eq!(jsonl.code, 1);
    assert_eq!(from_jsonl(&jsonl.stdout), expected, "jsonl");

    let csv = run(args("csv"));
    assert_eq!(csv.code, 1);
    assert!(
        csv.stdout.starts_with("revision_id,"),
        "nothing before the header"
    );
    assert_eq!(from_csv(&csv.stdout), expected, "csv");

    let log = dir.path().join("wsuscat.log");
    let mut human_args = args("human");
    // --all: every finding in the table, not the first few of each group.
    human_args.extend([
        "--all".to_string(),
        "--log".to_string(),
        log.display().to_string(),
    ]);
    let human = run(&human_args);
    assert_eq!(human.code, 1);
    assert_eq!(from_cmtrace(&log), expected, "cmtrace");
    // The human table has no profile column: a row's profile is the one
    // whose finding on that update has that rule and severity.
    let profile_of = |rev: &str, rule: &str, severity: &str| {
        let about = format!("RevisionId {rev}");
        let matches: Vec<&Key> = expected
            .findings
            .iter()
            .filter(|k| k.1 == rule && k.2 == about && k.3 == severity)
            .collect();
        assert_eq!(matches.len(), 1, "{rev} {rule} {severity}");
        matches[0].0.clone()
    };
    assert_eq!(from_human(&human.stdout, profile_of), expected, "human");
}

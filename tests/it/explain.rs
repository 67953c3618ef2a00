//! `info`, `list`, `show` and enriched `check` against the generator's
//! ground truth: titles, KB numbers, products and classifications come from
//! the shards, and every answer is compared with what the generator wrote.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::*;
use serde_json::Value;
use wsuscat::cab::Compression;
use wsuscat::catalog::package::scan::ScanOptions;
use wsuscat::catalog::update::Kind;
use wsuscat::commands::generate::model::{CategoryType, Truth, TruthUpdate};
use wsuscat::commands::generate::{self, Spec};
use wsuscat::commands::list::{list, Filters, ListOptions};
use wsuscat::{SignaturePolicy, TrustOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    truth: Truth,
}

fn spec() -> Spec {
    Spec {
        seed: 4,
        updates: 2500,
        shards: 6,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        outer_folders: 2,
        inject: vec![(1_293_995, Some("PreDeploymentCheck".into()))],
        ..Spec::default()
    }
}

fn make(spec: Spec) -> Fixture {
    let g = generate::generate(&spec);
    let (dir, path) = temp_file("catalog.cab", &g.cab);
    Fixture {
        _dir: dir,
        path,
        truth: g.truth,
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| make(spec()))
}

/// Runs the binary and parses its JSON stdout.
fn json(args: &[&str], path: &Path) -> (i32, Value) {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.push(path.display().to_string());
    let r = run(&all);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr));
    (r.code, v)
}

fn show(path: &Path, id: &str) -> Value {
    let r = run([
        "show".as_ref(),
        "--allow-unsigned".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        path.as_os_str(),
        id.as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("show JSON")
}

/// The names the generator gave an update's categories of one type.
fn category_titles(t: &Truth, u: &TruthUpdate, ty: CategoryType) -> Vec<String> {
    u.categories
        .iter()
        .map(|&c| &t.updates[c])
        .filter(|c| c.category_type == Some(ty))
        .map(|c| c.title.clone())
        .collect()
}

fn assert_names(t: &Truth, u: &TruthUpdate, shown: &Value) {
    let n = &shown["names"];
    assert_eq!(n["title"], u.title.as_str(), "title of {}", u.revision_id);
    assert_eq!(
        n["kb"].as_str(),
        u.kb.map(|k| k.to_string()).as_deref(),
        "KB of {}",
        u.revision_id
    );
    assert_eq!(n["msrc_severity"].as_str(), u.severity, "{}", u.revision_id);
    let products: Vec<String> = n["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        products,
        category_titles(t, u, CategoryType::Product),
        "{}",
        u.revision_id
    );
    let classes = category_titles(t, u, CategoryType::UpdateClassification);
    assert_eq!(
        n["classification"].as_str(),
        (!classes.is_empty()).then(|| classes.join("; ")).as_deref(),
        "{}",
        u.revision_id
    );
}

#[test]
fn show_names_updates_in_the_first_and_last_shard_and_at_a_boundary() {
    let f = fixture();
    let t = &f.truth;
    assert!(t.shards.len() >= 3);
    let first_bundle = t.updates.iter().find(|u| u.kind == Kind::Bundle).unwrap();
    let last = t.updates.last().unwrap();
    // Exactly at a RANGESTART: the first revision of the third shard.
    let (boundary_shard, boundary) = &t.shards[2];
    let at = t
        .by_revision(*boundary)
        .expect("a RANGESTART is a revision");
    let below = t
        .updates
        .iter()
        .rev()
        .find(|u| u.revision_id < *boundary)
        .unwrap();
    for (u, shard) in [
        (first_bundle, t.shards[0].0.as_str()),
        (last, t.shards.last().unwrap().0.as_str()),
        (at, boundary_shard.as_str()),
        (below, t.shards[1].0.as_str()),
    ] {
        let v = show(&f.path, &u.revision_id.to_string());
        let shown = &v["updates"][0];
        assert_eq!(shown["entry"]["revision_id"], u.revision_id);
        assert_eq!(shown["shard"], shard, "{}", u.revision_id);
        assert_eq!(t.shard_for(u.revision_id), Some(shard));
        assert_names(t, u, shown);
        let members: Vec<&str> = shown["fragments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["member"].as_str().unwrap())
            .collect();
        let rev = u.revision_id;
        assert_eq!(
            members,
            vec![
                format!("c\\{rev}"),
                format!("l\\en\\{rev}"),
                format!("x\\{rev}")
            ]
        );
    }
}

/// A bundle that supersedes something and is superseded by something.
fn chained_bundle(t: &Truth) -> &TruthUpdate {
    t.updates
        .iter()
        .find(|u| {
            u.kind == Kind::Bundle
                && !u.superseded_by.is_empty()
                && t.updates
                    .iter()
                    .any(|o| o.superseded_by.contains(&u.revision_id))
        })
        .expect("the generator makes supersedence chains")
}

/// The RevisionIds of the updates the generator put in a bundle.
fn bundle_members(t: &Truth, bundle: &TruthUpdate) -> Vec<u64> {
    t.updates
        .iter()
        .filter(|o| o.bundled_by == Some(bundle.revision_id))
        .map(|o| u64::from(o.revision_id))
        .collect()
}

/// `show` of an update named by its braced, upper-case UpdateId: the one
/// update it answers is that update.
fn show_by_update_id(f: &Fixture, u: &TruthUpdate) -> Value {
    let v = show(&f.path, &format!("{{{}}}", u.update_id.to_uppercase()));
    let shown = v["updates"][0].clone();
    assert_eq!(shown["entry"]["revision_id"], u.revision_id);
    shown
}

/// The RevisionIds of the references `show` lists under `key`.
fn referenced_revisions(shown: &Value, key: &str) -> Vec<u64> {
    shown[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision_id"].as_u64().unwrap())
        .collect()
}

/// The titles of the references `show` lists under `key`.
fn referenced_titles<'a>(shown: &'a Value, key: &str) -> Vec<&'a str> {
    shown[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect()
}

#[test]
fn show_by_update_id_resolves_supersedence_and_bundle_members() {
    let f = fixture();
    let t = &f.truth;
    let bundle = chained_bundle(t);
    let shown = show_by_update_id(f, bundle);
    assert_eq!(
        referenced_revisions(&shown, "superseded_by"),
        bundle
            .superseded_by
            .iter()
            .map(|&r| u64::from(r))
            .collect::<Vec<_>>()
    );
    let dangling: Vec<bool> = shown["superseded_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["in_catalog"].as_bool().unwrap())
        .collect();
    let expected: Vec<bool> = bundle
        .superseded_by
        .iter()
        .map(|&r| t.by_revision(r).is_some())
        .collect();
    assert_eq!(dangling, expected);
    let supersedes: Vec<u64> = t
        .updates
        .iter()
        .filter(|o| o.superseded_by.contains(&bundle.revision_id))
        .map(|o| u64::from(o.revision_id))
        .collect();
    assert_eq!(referenced_revisions(&shown, "supersedes"), supersedes);
    assert_eq!(
        referenced_revisions(&shown, "bundles"),
        bundle_members(t, bundle)
    );
}

#[test]
fn show_resolves_prerequisites_and_categories_to_the_generators_titles() {
    let f = fixture();
    let t = &f.truth;
    let bundle = chained_bundle(t);
    let shown = show_by_update_id(f, bundle);
    let expected: Vec<&str> = bundle
        .prerequisites
        .iter()
        .map(|id| {
            t.updates
                .iter()
                .find(|u| &u.update_id == id)
                .unwrap()
                .title
                .as_str()
        })
        .collect();
    assert_eq!(referenced_titles(&shown, "prerequisites"), expected);
    let expected: Vec<&str> = bundle
        .categories
        .iter()
        .map(|&c| t.updates[c].title.as_str())
        .collect();
    assert_eq!(referenced_titles(&shown, "categories"), expected);
}

#[test]
fn show_by_kb_finds_the_bundle_and_every_child_carrying_its_kb_article() {
    let f = fixture();
    let t = &f.truth;
    let kb = chained_bundle(t).kb.unwrap();
    let v = show(&f.path, &format!("KB{kb}"));
    let mut got: Vec<u64> = v["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["entry"]["revision_id"].as_u64().unwrap())
        .collect();
    got.sort_unstable();
    let expected: Vec<u64> = t
        .updates
        .iter()
        .filter(|u| u.kb == Some(kb))
        .map(|u| u64::from(u.revision_id))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn show_lists_payload_files_with_their_file_location_urls() {
    let f = fixture();
    let t = &f.truth;
    let children = bundle_members(t, chained_bundle(t));
    let child = t.by_revision(children[0] as u32).unwrap();
    let v = show(&f.path, &child.revision_id.to_string());
    let payload = v["updates"][0]["payload"].as_array().unwrap();
    assert_eq!(payload.len(), child.payload.len());
    for p in payload {
        assert!(p["url"]
            .as_str()
            .unwrap()
            .starts_with("http://download.windowsupdate.com/"));
    }
}

#[test]
fn unmapped_revisions_are_reported_not_errors() {
    let base = spec();
    let probe = generate::generate(&Spec {
        updates: 600,
        shards: 3,
        ..base.clone()
    });
    let t = &probe.truth;
    let lowest_start = t.updates[5].revision_id;
    let f = make(Spec {
        updates: 600,
        shards: 3,
        first_range_start: lowest_start,
        ..base
    });
    let below = f.truth.updates[0].revision_id;
    assert!(below < lowest_start);
    let v = show(&f.path, &below.to_string());
    let notes = v["updates"][0]["names"]["notes"].to_string();
    assert!(notes.contains("below every RANGESTART"), "{notes}");
    assert!(v["updates"][0]["shard"].is_null());

    // The human report says the same in words.
    let r = run([
        "show".as_ref(),
        "--allow-unsigned".as_ref(),
        f.path.as_os_str(),
        below.to_string().as_ref(),
    ]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("below every RANGESTART"), "{}", r.stdout);

    // A RevisionId that is not in the catalog at all is an error (exit 2).
    let r = run([
        "show".as_ref(),
        "--allow-unsigned".as_ref(),
        f.path.as_os_str(),
        "7".as_ref(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("no update with RevisionId 7"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
}

/// A shard index.xml names but the outer cabinet lacks was a note on the
/// updates it held; it is now a damaged catalog, refused before anything is
/// shown, as check and verify refuse it (issue 12).
#[test]
fn a_missing_shard_is_an_unusable_catalog() {
    let base = spec();
    let probe = generate::generate(&Spec {
        updates: 600,
        shards: 3,
        ..base.clone()
    });
    let omitted = probe.truth.shards[2].0.clone();
    let f = make(Spec {
        updates: 600,
        shards: 3,
        omit_shards: vec![omitted.clone()],
        ..base
    });
    let in_missing = f.truth.shards[2].1;
    let r = run([
        "show".as_ref(),
        "--allow-unsigned".as_ref(),
        f.path.as_os_str(),
        in_missing.to_string().as_ref(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("index.xml names {omitted}")),
        "{}",
        r.stderr
    );
}

fn listed(args: &[&str]) -> BTreeSet<u64> {
    let mut all = vec!["list", "--allow-unsigned", "--format", "json"];
    all.extend_from_slice(args);
    let (code, v) = json(&all, &fixture().path);
    assert_eq!(code, 0, "{v}");
    v["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["revision_id"].as_u64().unwrap())
        .collect()
}

fn expected(pred: impl Fn(&TruthUpdate) -> bool) -> BTreeSet<u64> {
    fixture()
        .truth
        .updates
        .iter()
        .filter(|u| pred(u))
        .map(|u| u64::from(u.revision_id))
        .collect()
}

#[test]
fn list_filters_return_exactly_the_expected_sets() {
    let t = &fixture().truth;
    let bundle = t.updates.iter().find(|u| u.kind == Kind::Bundle).unwrap();
    let kb = bundle.kb.unwrap();
    let has = |u: &TruthUpdate, ty, name: &str| category_titles(t, u, ty).iter().any(|n| n == name);
    let cases: Vec<(Vec<String>, BTreeSet<u64>)> = vec![
        (
            vec!["--kb".into(), format!("KB{kb}")],
            expected(|u| u.kb == Some(kb)),
        ),
        (
            vec!["--update-id".into(), bundle.update_id.clone()],
            expected(|u| u.update_id == bundle.update_id),
        ),
        (
            vec!["--revision-id".into(), "1293995".into()],
            expected(|u| u.revision_id == 1_293_995),
        ),
        (
            vec![
                "--product".into(),
                "windows 10, version 1903 and later".into(),
            ],
            expected(|u| {
                has(
                    u,
                    CategoryType::Product,
                    "Windows 10, version 1903 and later",
                )
            }),
        ),
        (
            vec!["--classification".into(), "Security Updates".into()],
            expected(|u| has(u, CategoryType::UpdateClassification, "Security Updates")),
        ),
        (
            vec!["--deployment-action".into(), "absent".into()],
            expected(|u| u.deployment_action.is_none()),
        ),
        (
            vec!["--deployment-action".into(), "Bundle".into()],
            expected(|u| u.deployment_action.as_deref() == Some("Bundle")),
        ),
        (
            vec!["--superseded".into()],
            expected(|u| !u.superseded_by.is_empty()),
        ),
        (
            vec!["--not-superseded".into(), "--kind".into(), "bundle".into()],
            expected(|u| u.superseded_by.is_empty() && u.kind == Kind::Bundle),
        ),
        (
            vec!["--kind".into(), "category".into()],
            expected(|u| u.kind == Kind::Category),
        ),
        (
            vec![
                "--product".into(),
                "Windows 11".into(),
                "--classification".into(),
                "Updates".into(),
                "--kind".into(),
                "child".into(),
            ],
            expected(|u| {
                u.kind == Kind::Child
                    && has(u, CategoryType::Product, "Windows 11")
                    && has(u, CategoryType::UpdateClassification, "Updates")
            }),
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert!(!want.is_empty(), "{args:?} selects nothing in the fixture");
        assert_eq!(listed(&args), want, "{args:?}");
    }
}

#[test]
fn csv_round_trips_through_a_csv_parser() {
    let f = fixture();
    let t = &f.truth;
    let r = run([
        "list".as_ref(),
        "--allow-unsigned".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        f.path.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\r\n"));
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        wsuscat::report::list::CSV_COLUMNS.to_vec()
    );
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut rows = 0;
    let mut with_comma = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let rev: u32 = record[col("revision_id")].parse().unwrap();
        let u = t.by_revision(rev).unwrap();
        assert_eq!(&record[col("title")], u.title);
        assert_eq!(&record[col("update_id")], u.update_id);
        assert_eq!(
            &record[col("kb")],
            u.kb.map(|k| k.to_string()).unwrap_or_default()
        );
        assert_eq!(
            &record[col("products")],
            category_titles(t, u, CategoryType::Product).join(";")
        );
        assert_eq!(
            &record[col("deployment_action")],
            u.deployment_action.clone().unwrap_or_default()
        );
        assert_eq!(
            &record[col("deployment_action_present")],
            u.deployment_action.is_some().to_string()
        );
        assert_eq!(&record[col("kind")], u.kind.as_str());
        with_comma += usize::from(u.title.contains(','));
        rows += 1;
    }
    assert_eq!(rows, t.updates.len());
    assert!(
        with_comma > 0,
        "no title needed quoting: the test proves less"
    );
}

#[test]
fn info_census_equals_the_generator_counts() {
    let f = fixture();
    let t = &f.truth;
    let (code, v) = json(&["info", "--format", "json", "--no-verify"], &f.path);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["updates"], t.updates.len());
    for kind in Kind::ALL {
        let n = t.updates.iter().filter(|u| u.kind == kind).count();
        assert_eq!(v["by_kind"][kind.as_str()].as_u64().unwrap_or(0), n as u64);
    }
    let mut actions: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for u in &t.updates {
        *actions.entry(u.deployment_action.clone()).or_default() += 1;
    }
    let got: BTreeMap<Option<String>, u64> = v["deployment_action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().map(str::to_string),
                r["updates"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, actions);
    let bundles = t.updates.iter().filter(|u| u.kind == Kind::Bundle).count();
    let categories = t
        .updates
        .iter()
        .filter(|u| u.kind == Kind::Category)
        .count();
    assert_eq!(v["attributes"]["IsBundle"], bundles);
    assert_eq!(v["attributes"]["IsSoftware"], categories);
    assert_eq!(v["attributes"]["RevisionId"], t.updates.len());
    // Supersedence, dangling references included.
    let refs: usize = t.updates.iter().map(|u| u.superseded_by.len()).sum();
    let dangling = t
        .updates
        .iter()
        .flat_map(|u| &u.superseded_by)
        .filter(|&&r| t.by_revision(r).is_none())
        .count();
    let s = &v["supersedence"];
    assert_eq!(
        s["superseded_updates"],
        t.updates
            .iter()
            .filter(|u| !u.superseded_by.is_empty())
            .count()
    );
    assert_eq!(s["references"], refs);
    assert_eq!(s["dangling"], dangling);
    assert!(dangling > 0, "the fixture has no dangling reference");
    assert_eq!(v["file_locations"], t.file_locations.len());
    // Products and classifications, by name, with update counts.
    for (key, ty) in [
        ("products", CategoryType::Product),
        ("classifications", CategoryType::UpdateClassification),
    ] {
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for u in &t.updates {
            for name in category_titles(t, u, ty) {
                *want.entry(name).or_default() += 1;
            }
        }
        let got: BTreeMap<String, u64> = v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["updates"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{key}");
    }
    // The shard list, with RANGESTARTs.
    let cabs: Vec<(String, Option<u64>)> = v["cabs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["range_start"].as_u64(),
            )
        })
        .collect();
    let mut want = vec![("package.cab".to_string(), None)];
    want.extend(
        t.shards
            .iter()
            .map(|(n, s)| (n.clone(), Some(u64::from(*s)))),
    );
    assert_eq!(cabs, want);
}

#[test]
fn enriched_check_names_every_finding() {
    let base = spec();
    let t0 = generate::generate(&Spec {
        inject: Vec::new(),
        ..base.clone()
    })
    .truth;
    // One breaking value in every shard, so naming reads them all.
    let inject: Vec<(u32, Option<String>)> = t0
        .shards
        .iter()
        .map(|(_, start)| {
            let u = t0
                .updates
                .iter()
                .find(|u| u.revision_id >= *start && u.kind == Kind::Child)
                .unwrap();
            (u.revision_id, Some("PreDeploymentCheck".to_string()))
        })
        .collect();
    let f = make(Spec { inject, ..base });
    let (code, v) = json(&["check", "--format", "json", "--no-verify"], &f.path);
    assert_eq!(code, 1, "{v}");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), f.truth.shards.len());
    for finding in findings {
        let rev = finding["revision_id"].as_u64().unwrap() as u32;
        let u = f.truth.by_revision(rev).unwrap();
        assert_eq!(finding["title"], u.title.as_str());
        assert_eq!(
            finding["kb"].as_str(),
            u.kb.map(|k| k.to_string()).as_deref()
        );
        let bundle = f.truth.by_revision(u.bundled_by.unwrap()).unwrap();
        assert_eq!(finding["bundled_by"]["revision_id"], bundle.revision_id);
        assert_eq!(finding["bundled_by"]["title"], bundle.title.as_str());
        let products: Vec<&str> = finding["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(
            products,
            category_titles(&f.truth, u, CategoryType::Product)
        );
        assert_eq!(finding["notes"].as_array().unwrap().len(), 0);
    }
    // --no-names leaves them out.
    let (_, v) = json(
        &["check", "--format", "json", "--no-verify", "--no-names"],
        &f.path,
    );
    assert!(v["findings"][0]["title"].is_null());
}

#[test]
fn each_shard_is_decoded_once_however_many_updates_are_named() {
    let f = fixture();
    let options = ListOptions {
        filters: Filters::default(),
        lang: "en".into(),
        names: true,
        scan: ScanOptions::default(),
        trust: TrustOptions {
            policy: SignaturePolicy::AllowUnsigned,
            ..TrustOptions::default()
        },
    };
    let r = list(&f.path, &options).unwrap();
    r.for_each_row(&mut |_| Ok(())).unwrap();
    assert_eq!(r.matched(), f.truth.updates.len());
    let shards = r.shards();
    let names: Vec<&str> = shards.shards.iter().map(|s| s.name.as_str()).collect();
    let want: Vec<&str> = f.truth.shards.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, want, "every shard read, in index order");
    // The categories' titles are read first, from the shards that hold the
    // categories (the first ones): those are decoded twice, every other
    // shard once, although thousands of members were picked from it (the
    // generator writes one folder per shard).
    let twice: Vec<&str> = shards
        .shards
        .iter()
        .filter(|s| s.folders_decoded == 2)
        .map(|s| s.name.as_str())
        .collect();
    assert!(!twice.is_empty() && twice.len() <= 2, "{twice:?}");
    assert_eq!(twice[0], want[0], "categories are in the first shards");
    for s in &shards.shards {
        assert!(s.folders_decoded <= 2, "{}", s.name);
        assert!(s.fragments > 1000 / f.truth.shards.len(), "{s:?}");
    }
    // The outer cabinet has two folders; each was opened once for the rows,
    // and the shards' folder once more, up to the categories' shards.
    assert_eq!(shards.outer_folders_decoded, 3);

    // One RevisionId reads one shard.
    let one = ListOptions {
        filters: Filters {
            revision_id: Some(1_293_995),
            ..Filters::default()
        },
        ..options
    };
    let r = list(&f.path, &one).unwrap();
    r.for_each_row(&mut |_| Ok(())).unwrap();
    assert_eq!(r.matched(), 1);
    let shards = r.shards();
    let read: Vec<&str> = shards.shards.iter().map(|s| s.name.as_str()).collect();
    // Its own shard, plus the one holding its categories' titles.
    assert!(read.contains(&f.truth.shard_for(1_293_995).unwrap()));
    assert!(read.len() <= 2, "{read:?}");
}

/// The sample catalog's outer cabinet rebuilt, unsigned, in one MSZIP
/// folder, its shards in RANGESTART order or reversed.
fn reordered_sample(shards_reversed: bool) -> Vec<u8> {
    use std::io::Cursor;
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::Cabinet;
    let bytes = std::fs::read("testdata/sample-wsusscn2.cab").unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    cab.stream_members(
        || Ok(Cursor::new(&bytes[..])),
        |_| true,
        |f, data| {
            members.push((f.name.clone(), data));
            Ok(())
        },
    )
    .unwrap();
    let (mut shards, rest): (Vec<_>, Vec<_>) = members
        .into_iter()
        .partition(|(n, _)| n.starts_with("package") && n != "package.cab");
    assert!(shards.len() >= 3, "{}", shards.len());
    // Numbered in RANGESTART order in the sample.
    shards.sort_by_key(|(n, _)| {
        n.trim_start_matches("package")
            .trim_end_matches(".cab")
            .parse::<u32>()
            .unwrap()
    });
    if shards_reversed {
        shards.reverse();
    }
    let mut b = CabBuilder::new();
    b.add_folder(Compression::MsZip);
    for (name, data) in rest.iter().chain(&shards) {
        b.add_file(name, data);
    }
    b.finish()
}

/// Rows are written in RevisionId order shard after shard; a catalog whose
/// outer cabinet holds its shards in another order than their RANGESTARTs
/// still lists every row, named, in RevisionId order (read in further
/// passes over the outer cabinet), the same as in the usual order.
#[test]
fn list_is_the_same_whatever_order_the_outer_cabinet_holds_the_shards_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for reversed in [false, true] {
        let path = dir.path().join(format!("sample-{reversed}.cab"));
        std::fs::write(&path, reordered_sample(reversed)).unwrap();
        let mut per_format = Vec::new();
        for format in ["human", "csv"] {
            for threads in ["1", "2", "4"] {
                let r = run([
                    "list",
                    "--allow-unsigned",
                    "--format",
                    format,
                    "--threads",
                    threads,
                    path.to_str().unwrap(),
                ]);
                assert_eq!(r.code, 0, "{}", r.stderr);
                per_format.push(r.stdout);
            }
        }
        outputs.push(per_format);
    }
    assert_eq!(outputs[0], outputs[1]);
    // Named: the table has titles and KB numbers.
    assert!(outputs[0][0].contains(" KB50"), "{}", outputs[0][0]);
    // And the reversed order did take more passes over the outer cabinet
    // (one thread: a window of two of the sample's three shards).
    let passes = |reversed: bool| {
        let path = dir.path().join(format!("sample-{reversed}.cab"));
        let r = run([
            "list",
            "--allow-unsigned",
            "--format",
            "json",
            "--threads",
            "1",
            path.to_str().unwrap(),
        ]);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        v["shards"]["outer_folders_decoded"].as_u64().unwrap()
    };
    assert!(
        passes(true) > passes(false),
        "{} {}",
        passes(true),
        passes(false)
    );
}

/// Moved from catalog/inventory.rs's unit tests: it builds its catalog with
/// the generator (commands), which the catalog layer may not import.
/// The current revision of an UpdateId is its highest RevisionNumber,
/// the first in RevisionId order of equal ones, whatever form the
/// UpdateId is written in.
#[test]
fn inventory_update_ids_find_their_current_revision() {
    let a = "2bf2a5f4-96e5-4e0b-9f1c-0123456789ab";
    let b = "{7C2D9A0E-0000-4E0B-9F1C-0123456789AB}";
    let updates = [
        (10, a, 1),
        (11, a, 3),
        (12, a, 3),
        (13, a, 2),
        (20, b, 5),
        (21, b, 4),
        (30, "not-a-guid", 1),
        (31, "Not-A-Guid", 2),
    ];
    let mut xml = String::from(
        "<OfflineSyncPackage xmlns=\"http://schemas.microsoft.com/msus/2004/02/OfflineSync\"><Updates>",
    );
    for (rev, id, rn) in updates {
        xml.push_str(&format!(
            "<Update RevisionId=\"{rev}\" UpdateId=\"{id}\" RevisionNumber=\"{rn}\"/>"
        ));
    }
    xml.push_str("<Update RevisionId=\"40\"/></Updates></OfflineSyncPackage>");
    let cab = wsuscat::commands::generate::catalog_from_package_xml(
        xml.as_bytes(),
        wsuscat::cab::folder::Compression::None,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.cab");
    std::fs::write(&path, cab).expect("write");
    let options = wsuscat::ScanOptions {
        threads: 1,
        ..wsuscat::ScanOptions::default()
    };
    let inv = wsuscat::catalog::inventory::read(
        &path,
        &options,
        &wsuscat::catalog::inventory::Keep::default(),
    )
    .expect("read");
    let current = |id: &str| inv.by_update_id(id).map(|e| e.revision_id());
    assert_eq!(current(a), Some(11));
    assert_eq!(
        current(&format!("{{{}}}", a.to_ascii_uppercase())),
        Some(11)
    );
    assert_eq!(current(b), Some(20));
    assert_eq!(current("7c2d9a0e-0000-4e0b-9f1c-0123456789ab"), Some(20));
    assert_eq!(current("not-a-guid"), Some(31));
    assert_eq!(current("2bf2a5f4-96e5-4e0b-9f1c-0123456789ac"), None);
    assert_eq!(current("nothing"), None);
}

/// A generated catalog in the 2026 shapes (small RevisionIds from 0,
/// bundles in several languages, severities as attributes) answers as its
/// ground truth says: every update's names, and `--lang` titles.
#[test]
fn a_generated_2026_shaped_catalog_is_named_from_its_truth() {
    let f = make(Spec {
        seed: 2026,
        updates: 1200,
        shards: 3,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        revision_base: 0,
        languages: vec!["en".into(), "de".into(), "ja".into()],
        ..Spec::default()
    });
    let t = &f.truth;
    assert!(t.updates.last().unwrap().revision_id < 3 * 1200);
    let (code, v) = json(&["list", "--allow-unsigned", "--format", "json"], &f.path);
    assert_eq!(code, 0);
    let rows = v["updates"].as_array().unwrap();
    assert_eq!(rows.len(), t.updates.len());
    let mut severities = 0;
    for (row, u) in rows.iter().zip(&t.updates) {
        assert_eq!(row["revision_id"], u.revision_id);
        assert_eq!(row["names"]["msrc_severity"].as_str(), u.severity, "{row}");
        assert_eq!(
            row["names"]["kb"].as_str(),
            u.kb.map(|k| k.to_string()).as_deref(),
            "{row}"
        );
        severities += usize::from(u.severity.is_some());
    }
    assert!(severities > 0);
    let bundle = t.updates.iter().find(|u| u.severity.is_some()).unwrap();
    let r = run([
        "show".as_ref(),
        "--allow-unsigned".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--lang".as_ref(),
        "ja".as_ref(),
        f.path.as_os_str(),
        bundle.revision_id.to_string().as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown: Value = serde_json::from_str(&r.stdout).unwrap();
    let names = &shown["updates"][0]["names"];
    assert_eq!(
        names["title"],
        format!("{} [ja] 更新プログラム", bundle.title)
    );
    assert_eq!(names["msrc_severity"].as_str(), bundle.severity);
}

/// Naming a finding after package.xml goes on in the same pass over the
/// outer folder (issue 14): the shards after package.cab are read from
/// where package.cab left the folder, which is opened no second time, and
/// give the same titles as a pass from the start. With package.cab last,
/// the shards lie before that point and a second pass reads them.
#[test]
fn names_are_read_in_the_same_outer_pass_as_package_xml() {
    use std::collections::HashSet;
    use wsuscat::catalog::names;
    use wsuscat::catalog::package::scan::Chunks;
    use wsuscat::catalog::shards::Request;
    use wsuscat::catalog::Catalog;
    for last in [false, true] {
        let spec = Spec {
            seed: 5,
            updates: 1200,
            shards: 4,
            package_cab_last: last,
            ..Spec::default()
        };
        let generated = generate::generate(&spec);
        let (_dir, path) = temp_file("c.cab", &generated.cab);
        let catalog = Catalog::open(&path).unwrap();
        let mut xml = catalog.stream_package_xml().unwrap();
        while !xml.next_chunk(1 << 20).unwrap().is_empty() {}
        let resume = xml.finish_resumable().unwrap();
        let index = catalog.read_index().unwrap();
        // The first and the last update: the first and the last shard.
        let updates = &generated.truth.updates;
        let revs: BTreeSet<u64> = [
            updates[0].revision_id,
            updates[updates.len() - 1].revision_id,
        ]
        .into_iter()
        .map(u64::from)
        .collect();
        let request = Request {
            revisions: revs.clone(),
            languages: ["en".to_string()].into(),
            ..Request::default()
        };
        let (again, from_start) =
            names::gather(&catalog, &index, &request, &HashSet::new(), 2).unwrap();
        let (same, resumed) =
            names::gather_resuming(&catalog, &index, &request, &HashSet::new(), 2, Some(resume))
                .unwrap();
        assert_eq!(from_start.outer_folders_decoded, 1);
        assert_eq!(
            resumed.outer_folders_decoded,
            usize::from(last),
            "package.cab last: {last}"
        );
        for rev in &revs {
            let title = |g: &names::Gathered| g.title(*rev, "en", None).map(|(t, _)| t.to_string());
            let want = generated
                .truth
                .by_revision(*rev as u32)
                .unwrap()
                .title
                .clone();
            assert_eq!(title(&same), Some(want.clone()), "{rev}");
            assert_eq!(title(&again), Some(want), "{rev}");
        }
    }
}

//! `wsuscat diff` against the generator's record of what it changed.

use crate::common::pair::pair;
use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use wsuscat::commands::generate::mutate::Changes;

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match field {
            "" => x.as_str().unwrap().to_string(),
            f => x[f].as_str().unwrap().to_string(),
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The pair exercises every section, or the test proves little.
fn assert_every_section_is_exercised(c: &Changes) {
    for (name, n) in [
        ("added", c.added.len()),
        ("removed", c.removed.len()),
        ("expired", c.expired.len()),
        ("revised", c.revised.len()),
        ("attribute changes", c.attribute_changes.len()),
        ("newly superseded", c.newly_superseded.len()),
        ("products added", c.products_added.len()),
        ("novelties", c.novelties.len()),
    ] {
        assert!(n > 0, "the mutation has no {name}");
    }
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Added, removed, newly expired and newly superseded updates, revisions
/// and attribute changes.
fn assert_update_sections(d: &Value, c: &Changes) {
    assert_eq!(sorted(strings(&d["added"], "update_id")), c.added);
    assert_eq!(sorted(strings(&d["removed"], "update_id")), c.removed);
    assert_eq!(sorted(strings(&d["newly_expired"], "update_id")), c.expired);
    assert_eq!(
        sorted(strings(&d["newly_superseded"], "update_id")),
        c.newly_superseded
    );
    let revised: Vec<(String, u32, u32)> = d["revised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["update_id"].as_str().unwrap().to_string(),
                v["old_revision_id"].as_u64().unwrap() as u32,
                v["new_revision_id"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    assert_eq!(revised, c.revised);
    let mut changes: Vec<_> = d["attribute_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["update_id"].as_str().unwrap().to_string(),
                v["attribute"].as_str().unwrap().to_string(),
                opt(&v["old"]),
                opt(&v["new"]),
            )
        })
        .collect();
    changes.sort();
    assert_eq!(changes, c.attribute_changes);
}

/// Products, classifications and the root element's attributes.
fn assert_product_classification_and_root_sections(d: &Value, c: &Changes) {
    assert_eq!(strings(&d["products_added"], ""), c.products_added);
    assert_eq!(strings(&d["products_removed"], ""), c.products_removed);
    assert_eq!(
        strings(&d["classifications_added"], ""),
        c.classifications_added
    );
    assert_eq!(
        strings(&d["classifications_removed"], ""),
        c.classifications_removed
    );
    let root: Vec<_> = d["root_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["attribute"].as_str().unwrap().to_string(),
                opt(&v["old"]),
                opt(&v["new"]),
            )
        })
        .collect();
    assert_eq!(root, c.root_changes);
}

/// Shards: every index.xml entry whose RANGESTART or presence changed.
fn assert_shard_changes(d: &Value, s0: &[(String, u32)], s1: &[(String, u32)]) {
    let mut names: Vec<&String> = s0.iter().chain(s1).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let expected: Vec<(String, Option<u64>, Option<u64>)> = names
        .into_iter()
        .filter_map(|n| {
            let find = |s: &[(String, u32)]| {
                s.iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, start)| u64::from(*start))
            };
            let (x, y) = (find(s0), find(s1));
            (x != y).then(|| (n.clone(), x, y))
        })
        .collect();
    assert!(!expected.is_empty(), "the mutation moves RANGESTARTs");
    let shards: Vec<_> = d["shard_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["old"]["range_start"].as_u64(),
                v["new"]["range_start"].as_u64(),
            )
        })
        .collect();
    assert_eq!(shards, expected);
}

/// The vocabulary section: what a baseline of the old catalog flags in the
/// new one, with the first RevisionIds carrying each term.
fn assert_vocabulary_novelties(d: &Value, c: &Changes) {
    let novelties: Vec<(Value, u64, Vec<u64>)> = d["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["term"].clone(),
                v["updates"].as_u64().unwrap(),
                v["first"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    let expected: Vec<(Value, u64, Vec<u64>)> = c
        .novelties
        .iter()
        .map(|(t, revs)| {
            (
                serde_json::to_value(t).unwrap(),
                revs.len() as u64,
                revs.iter().map(|&r| u64::from(r)).collect(),
            )
        })
        .collect();
    assert_eq!(novelties, expected);
}

/// CSV lists every item: one row per difference, after the header. Returns
/// the number of differences.
fn assert_csv_has_a_row_per_difference(old: &Path, new: &Path, d: &Value) -> usize {
    let csv = run([
        "diff",
        "--allow-unsigned",
        "--format",
        "csv",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(csv.code, 1);
    let sections = [
        "added",
        "removed",
        "revised",
        "attribute_changes",
        "newly_superseded",
        "newly_expired",
        "products_added",
        "products_removed",
        "classifications_added",
        "classifications_removed",
        "root_changes",
        "shard_changes",
        "vocabulary",
    ];
    let total: usize = sections
        .iter()
        .map(|s| d[s].as_array().unwrap().len())
        .sum();
    assert_eq!(csv.stdout.lines().count(), total + 1);
    total
}

/// The human summary names the sections and the counts.
fn assert_human_summary_counts(old: &Path, new: &Path, c: &Changes, total: usize) {
    let human = run([
        "diff",
        "--allow-unsigned",
        "--color",
        "never",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains(&format!("Updates added  {}", c.added.len())),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&format!("{total} difference(s)")));
}

#[test]
fn diff_reports_exactly_the_mutation_in_every_section() {
    let (a, b) = pair();
    let c = &b.changes;
    assert_every_section_is_exercised(c);
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.cab"), dir.path().join("new.cab"));
    std::fs::write(&old, &a.cab).unwrap();
    std::fs::write(&new, &b.generated.cab).unwrap();
    let r = run([
        "diff",
        "--allow-unsigned",
        "--format",
        "json",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let d: Value = serde_json::from_str(&r.stdout).unwrap();

    assert_update_sections(&d, c);
    assert_product_classification_and_root_sections(&d, c);
    assert_shard_changes(&d, &a.truth.shards, &b.generated.truth.shards);
    assert_vocabulary_novelties(&d, c);
    let total = assert_csv_has_a_row_per_difference(&old, &new, &d);
    assert_human_summary_counts(&old, &new, c, total);
}

#[test]
fn a_catalog_does_not_differ_from_itself_and_errors_are_not_differences() {
    let (a, _) = pair();
    let (_dir, path) = temp_file("a.cab", &a.cab);
    let p = path.to_str().unwrap();
    let r = run(["diff", "--allow-unsigned", "--format", "json", p, p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["added"], json!([]));
    assert_eq!(d["vocabulary"], json!([]));
    assert!(run(["diff", "--allow-unsigned", p, p])
        .stdout
        .contains("NO DIFFERENCES"));
    // A damaged NEW is an error (3), never a partial diff.
    let mut cut = a.cab.clone();
    cut.truncate(cut.len() / 2);
    let (_d2, broken) = temp_file("cut.cab", &cut);
    let r = run(["diff", "--allow-unsigned", p, broken.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(run(["diff", "--allow-unsigned", p, "/no/such.cab"]).code, 2);
}

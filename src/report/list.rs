//! The list report: a table, JSON, or CSV with one row per update.

use std::fmt::Write as _;

use serde::Serialize;

use super::csv;
use crate::list::{ListReport, Row};

/// The CSV columns, in order (docs/list.md describes each).
pub const CSV_COLUMNS: [&str; 15] = [
    "RevisionId",
    "UpdateId",
    "RevisionNumber",
    "Kind",
    "DeploymentAction",
    "Title",
    "KB",
    "Severity",
    "Classification",
    "Products",
    "BundledBy",
    "Superseded",
    "SupersededBy",
    "CreationDate",
    "Notes",
];

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_fields(r: &Row) -> [String; 15] {
    let e = &r.entry;
    let n = r.names.clone().unwrap_or_default();
    [
        e.revision_id.to_string(),
        opt(&e.update_id).to_string(),
        e.revision_number.map_or(String::new(), |n| n.to_string()),
        e.kind.as_str().to_string(),
        // Absent and empty differ: absent is an empty field, empty is "".
        match &e.deployment_action {
            None => String::new(),
            Some(v) if v.is_empty() => "\"\"".to_string(),
            Some(v) => v.clone(),
        },
        opt(&n.title).to_string(),
        opt(&n.kb).to_string(),
        opt(&n.severity).to_string(),
        opt(&n.classification).to_string(),
        n.products.join(";"),
        join(&e.bundled_by),
        (!e.superseded_by.is_empty()).to_string(),
        join(&e.superseded_by),
        opt(&e.creation_date).to_string(),
        n.notes.join("; "),
    ]
}

/// CSV: a header row, then one row per update.
pub fn csv(r: &ListReport) -> String {
    let mut out = csv::record(CSV_COLUMNS);
    for row in &r.rows {
        out.push_str(&csv::record(csv_fields(row)));
    }
    out
}

/// JSON: the rows with the shard reads that named them.
pub fn json(r: &ListReport) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        path: &'a str,
        updates_in_catalog: u64,
        matched: usize,
        updates: &'a [Row],
        shards: &'a crate::shards::ShardReport,
    }
    super::json_document(&Doc {
        path: &r.path,
        updates_in_catalog: r.updates_in_catalog,
        matched: r.rows.len(),
        updates: &r.rows,
        shards: &r.shards,
    })
}

/// A table for people.
pub fn human(r: &ListReport) -> String {
    let header = ["RevisionId", "KB", "Kind", "Action", "Title"];
    let rows: Vec<[String; 5]> = r
        .rows
        .iter()
        .map(|row| {
            let e = &row.entry;
            let n = row.names.clone().unwrap_or_default();
            [
                e.revision_id.to_string(),
                n.kb.map(|k| format!("KB{k}")).unwrap_or_default(),
                e.kind.as_str().to_string(),
                super::show_value(e.deployment_action.as_deref()),
                n.title.unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = super::table(&header, &rows);
    let _ = writeln!(
        out,
        "{} of {} updates match",
        r.rows.len(),
        r.updates_in_catalog
    );
    out
}

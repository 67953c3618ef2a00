//! The list report: a table, JSON, or CSV with one row per update.

use std::fmt::Write as _;

use serde::Serialize;

use super::{csv, jsonl, Format};
use crate::commands::list::{ListReport, Row};

/// Renders a list report: a table, JSON, JSON Lines (one `update` event per
/// row, then a `summary`), or CSV.
pub fn list(r: &ListReport, format: Format) -> String {
    match format {
        Format::Human => human(r),
        Format::Json => json(r),
        Format::Csv => csv(r),
        Format::Jsonl => {
            let mut out = String::new();
            for row in &r.rows {
                out.push_str(&jsonl::event("update", &JsonRow::new(r, row)));
            }
            #[derive(Serialize)]
            struct Summary<'a> {
                path: &'a str,
                updates_in_catalog: u64,
                matched: usize,
            }
            out.push_str(&jsonl::event(
                "summary",
                &Summary {
                    path: &r.path,
                    updates_in_catalog: r.updates_in_catalog,
                    matched: r.rows.len(),
                },
            ));
            out
        }
    }
}

/// A row as JSON: the entry, its categories resolved, and its names.
#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: &'a Row,
    categories: Vec<JsonCategory<'a>>,
}

#[derive(Serialize)]
struct JsonCategory<'a> {
    r#type: &'a str,
    update_id: &'a str,
}

impl<'a> JsonRow<'a> {
    fn new(r: &'a ListReport, row: &'a Row) -> JsonRow<'a> {
        JsonRow {
            row,
            categories: row
                .entry
                .categories
                .iter()
                .filter_map(|&i| r.categories.get(i as usize))
                .map(|(t, id)| JsonCategory {
                    r#type: t,
                    update_id: id,
                })
                .collect(),
        }
    }
}

/// The CSV columns, in order (docs/csv.md describes each).
pub const CSV_COLUMNS: [&str; 16] = [
    "revision_id",
    "update_id",
    "revision_number",
    "kind",
    "deployment_action",
    "deployment_action_present",
    "title",
    "kb",
    "msrc_severity",
    "classification",
    "products",
    "bundled_by",
    "superseded",
    "superseded_by",
    "creation_date",
    "notes",
];

fn opt<S: std::ops::Deref<Target = str>>(v: &Option<S>) -> &str {
    v.as_deref().unwrap_or("")
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// A row's CSV fields, in [`CSV_COLUMNS`] order.
pub fn csv_fields(r: &Row) -> [String; 16] {
    let e = &r.entry;
    let n = r.names.clone().unwrap_or_default();
    [
        e.revision_id.to_string(),
        opt(&e.update_id).to_string(),
        e.revision_number.map_or(String::new(), |n| n.to_string()),
        e.kind.as_str().to_string(),
        // Absent and empty differ, as in check's CSV.
        e.deployment_action.clone().unwrap_or_default(),
        e.deployment_action.is_some().to_string(),
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
fn csv(r: &ListReport) -> String {
    let mut out = csv::Csv::new(&CSV_COLUMNS);
    for row in &r.rows {
        out.record(&csv_fields(row));
    }
    out.finish()
}

/// JSON: the rows with the shard reads that named them.
fn json(r: &ListReport) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        path: &'a str,
        updates_in_catalog: u64,
        matched: usize,
        updates: Vec<JsonRow<'a>>,
        shards: &'a crate::catalog::shards::ShardReport,
    }
    super::json_document(&Doc {
        path: &r.path,
        updates_in_catalog: r.updates_in_catalog,
        matched: r.rows.len(),
        updates: r.rows.iter().map(|row| JsonRow::new(r, row)).collect(),
        shards: &r.shards,
    })
}

/// A table for people.
fn human(r: &ListReport) -> String {
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
                n.title.as_deref().unwrap_or_default().to_string(),
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

//! The list report: a table, JSON, or CSV with one row per update.

use std::io::{self, Write};

use serde::Serialize;

use super::{csv, jsonl, Format};
use crate::commands::list::{ListReport, Row};

/// Renders a list report: a table, JSON, JSON Lines (one `update` event per
/// row, then a `summary`), or CSV.
pub fn list(r: &ListReport, format: Format) -> String {
    let mut out = Vec::new();
    write(r, format, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// Writes a list report to `out` as [`list`] renders it, a row at a time:
/// neither the rows nor the document are ever whole in memory.
pub fn write(r: &ListReport, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human(r, out),
        Format::Json => json(r, out),
        Format::Csv => csv(r, out),
        Format::Jsonl => {
            r.for_each_row(&mut |row| {
                out.write_all(jsonl::event("update", &JsonRow::new(r, row)).as_bytes())
            })?;
            #[derive(Serialize)]
            struct Summary<'a> {
                path: &'a str,
                updates_in_catalog: u64,
                matched: usize,
            }
            out.write_all(
                jsonl::event(
                    "summary",
                    &Summary {
                        path: &r.path,
                        updates_in_catalog: r.updates_in_catalog,
                        matched: r.matched(),
                    },
                )
                .as_bytes(),
            )
        }
    }
}

/// A row as JSON: the entry, its categories resolved, and its names.
#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: Row,
    categories: Vec<JsonCategory<'a>>,
}

#[derive(Serialize)]
struct JsonCategory<'a> {
    r#type: &'a str,
    update_id: &'a str,
}

impl<'a> JsonRow<'a> {
    fn new(r: &'a ListReport, row: Row) -> JsonRow<'a> {
        let categories = row
            .entry
            .categories
            .iter()
            .filter_map(|&i| r.categories().get(i as usize))
            .map(|(t, id)| JsonCategory {
                r#type: t,
                update_id: id,
            })
            .collect();
        JsonRow { row, categories }
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
fn csv(r: &ListReport, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = csv::Csv::new(&CSV_COLUMNS);
    out.write_all(doc.drain().as_bytes())?;
    r.for_each_row(&mut |row| {
        doc.record(&csv_fields(&row));
        out.write_all(doc.drain().as_bytes())
    })?;
    out.write_all(doc.finish().as_bytes())
}

/// The rows as a JSON array, each made as it is written.
struct Updates<'a>(&'a ListReport);

impl Serialize for Updates<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(None)?;
        let mut failed: Option<S::Error> = None;
        let streamed = self.0.for_each_row(&mut |row| {
            seq.serialize_element(&JsonRow::new(self.0, row))
                .map_err(|e| {
                    let message = e.to_string();
                    failed = Some(e);
                    io::Error::other(message)
                })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        streamed.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// A value known only once the rows were written: how many matched, and
/// the shards read to name them.
struct Matched<'a>(&'a ListReport);

impl Serialize for Matched<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0.matched() as u64)
    }
}

struct Shards<'a>(&'a ListReport);

impl Serialize for Shards<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.shards().serialize(s)
    }
}

/// JSON: the rows with the shard reads that named them. `matched` follows
/// `updates`: with a filter on names it is counted as the rows stream.
fn json(r: &ListReport, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        path: &'a str,
        updates_in_catalog: u64,
        updates: Updates<'a>,
        matched: Matched<'a>,
        shards: Shards<'a>,
    }
    super::write_json_document(
        &Doc {
            path: &r.path,
            updates_in_catalog: r.updates_in_catalog,
            updates: Updates(r),
            matched: Matched(r),
            shards: Shards(r),
        },
        out,
    )
}

/// The width of the KB column when names are read: `KB` and seven digits,
/// as every KBArticleID has had since 2016 (KB3000000 and later). A table
/// that streams cannot be sized by its rows; a longer KB number pushes its
/// row's title to the right.
pub const KB_WIDTH: usize = 9;

/// A table for people, written as the rows stream. RevisionId, Kind and
/// Action are sized from package.xml before any row (they need no names);
/// KB has the fixed width [`KB_WIDTH`]; Title is last and not padded.
fn human(r: &ListReport, out: &mut dyn Write) -> io::Result<()> {
    let header = ["RevisionId", "KB", "Kind", "Action", "Title"];
    let [rev, kind, action] = r.package_widths();
    let kb = if r.named() { KB_WIDTH } else { 0 };
    let widths: Vec<usize> = [rev, kb, kind, action, 0]
        .iter()
        .zip(header)
        .map(|(w, h)| (*w).max(h.chars().count()))
        .collect();
    let mut w = io::BufWriter::new(out);
    writeln!(
        w,
        "{}",
        super::table_line(&mut header.iter().copied(), &widths)
    )?;
    r.for_each_row(&mut |row| {
        let e = &row.entry;
        let n = row.names.unwrap_or_default();
        let cells = [
            e.revision_id.to_string(),
            n.kb.map(|k| format!("KB{k}")).unwrap_or_default(),
            e.kind.as_str().to_string(),
            super::show_value(e.deployment_action.as_deref()),
            n.title.as_deref().unwrap_or_default().to_string(),
        ];
        writeln!(
            w,
            "{}",
            super::table_line(&mut cells.iter().map(String::as_str), &widths)
        )
    })?;
    writeln!(
        w,
        "{} of {} updates match",
        r.matched(),
        r.updates_in_catalog
    )?;
    w.flush()
}

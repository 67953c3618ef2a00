//! The diff report: a human summary (counts and the first items of each
//! section), JSON (the whole report) or CSV (one row per item, every item).

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::sync::Arc;

use super::{csv, jsonl, show_value, Format, Style};
use crate::catalog::index::IndexEntry;
use crate::commands::diff::{AttributeChange, DiffReport, UpdateBrief};

/// How many items each human section shows.
#[derive(Debug, Clone, Copy)]
pub struct DiffHuman {
    /// Items shown per section before "… and N more".
    pub top: usize,
}

/// Renders a diff: human text (counts and the first items per section),
/// JSON (the whole report), CSV (one record per item, [`DIFF_CSV_COLUMNS`])
/// or JSON Lines (one `difference` event per item with the CSV's columns as
/// fields, a `note` event per note on names, then a `summary`). CSV has no
/// place for the notes: the caller writes them to stderr.
pub fn diff(report: &DiffReport, format: Format, style: Style, human: DiffHuman) -> String {
    let mut out = Vec::new();
    write(report, format, style, human, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// [`diff`], written to `out` as it is made: JSON, CSV and JSON Lines are
/// never whole in memory (a pair that differs in every update has hundreds
/// of thousands of items, each named).
pub fn write(
    report: &DiffReport,
    format: Format,
    style: Style,
    human: DiffHuman,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Json => super::write_json_document(report, out),
        Format::Human => out.write_all(diff_human(report, style, human.top).as_bytes()),
        Format::Csv => {
            let mut out = io::BufWriter::new(out);
            let mut doc = csv::Csv::new(&DIFF_CSV_COLUMNS);
            let mut result = out.write_all(doc.drain().as_bytes());
            each_row(report, &mut |row| {
                if result.is_ok() {
                    doc.record(&row);
                    result = out.write_all(doc.drain().as_bytes());
                }
            });
            result?;
            out.write_all(doc.finish().as_bytes())?;
            out.flush()
        }
        Format::Jsonl => {
            let mut out = io::BufWriter::new(out);
            let mut result = Ok(());
            each_row(report, &mut |row| {
                if result.is_ok() {
                    let event: serde_json::Map<String, serde_json::Value> = DIFF_CSV_COLUMNS
                        .iter()
                        .zip(row)
                        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                        .collect();
                    result = out.write_all(jsonl::event("difference", &event).as_bytes());
                }
            });
            result?;
            #[derive(serde::Serialize)]
            struct Note<'a> {
                text: &'a str,
            }
            for note in &report.notes {
                out.write_all(jsonl::event("note", &Note { text: note }).as_bytes())?;
            }
            #[derive(serde::Serialize)]
            struct Summary {
                differences: usize,
            }
            out.write_all(
                jsonl::event(
                    "summary",
                    &Summary {
                        differences: report.differences(),
                    },
                )
                .as_bytes(),
            )?;
            out.flush()
        }
    }
}

/// The CSV columns of `diff` (docs/diff.md). An absent value is an empty
/// field; vocabulary rows put the description in `name` and the count of
/// updates in `new`. `title` and `kb` name an update's revision (OLD's for
/// removed and expired, NEW's otherwise), and `title` a category; they came
/// last (issue 13), so that the first seven keep their places.
pub const DIFF_CSV_COLUMNS: [&str; 9] = [
    "section",
    "update_id",
    "old_revision_id",
    "new_revision_id",
    "name",
    "old",
    "new",
    "title",
    "kb",
];

fn section(out: &mut String, style: Style, title: &str, items: Vec<String>, top: usize) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("{title}  {}", items.len()))
    );
    for item in items.iter().take(top) {
        let _ = writeln!(out, "  {item}");
    }
    if items.len() > top {
        let _ = writeln!(
            out,
            "  … and {} more (--format json or csv lists every item)",
            items.len() - top
        );
    }
}

/// The human diff: the two catalogs, one section per kind of difference
/// (each left out when empty, each cut to its first `top` items), then the
/// result line.
fn diff_human(r: &DiffReport, style: Style, top: usize) -> String {
    let mut out = String::new();
    write_catalogs(&mut out, r);
    let _ = writeln!(out);
    for (title, items) in human_sections(r) {
        section(&mut out, style, title, items, top);
    }
    for note in &r.notes {
        let _ = writeln!(out, "{}", style.paint("33", &format!("note: {note}")));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", result_line(r, style));
    out
}

/// One line for each of the OLD and NEW catalogs: path, PackageId,
/// CreationDate and number of updates.
fn write_catalogs(out: &mut String, r: &DiffReport) {
    for (label, c) in [("Old", &r.old), ("New", &r.new)] {
        let _ = writeln!(
            out,
            "{label}       {}  PackageId {}  CreationDate {}  {} updates",
            c.path,
            show_value(c.package_id.as_deref()),
            show_value(c.creation_date.as_deref()),
            c.updates
        );
    }
}

/// Every human section, titled, in the order they are shown.
fn human_sections(r: &DiffReport) -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("Vocabulary never seen in OLD", vocabulary_items(r)),
        ("Attribute changes", attribute_change_items(r)),
        ("Updates added", r.added.iter().map(update_item).collect()),
        (
            "Updates removed",
            r.removed.iter().map(update_item).collect(),
        ),
        ("Updates revised", revised_items(r)),
        (
            "Newly superseded",
            r.newly_superseded.iter().map(update_item).collect(),
        ),
        (
            "Newly expired (superseded in OLD, gone from NEW)",
            r.newly_expired.iter().map(update_item).collect(),
        ),
        ("Products added", category_items(r, &r.products_added)),
        ("Products removed", category_items(r, &r.products_removed)),
        (
            "Classifications added",
            category_items(r, &r.classifications_added),
        ),
        (
            "Classifications removed",
            category_items(r, &r.classifications_removed),
        ),
        ("Root attributes changed", root_change_items(r)),
        ("Shard layout changed", shard_change_items(r)),
    ]
}

/// An item's row: `KB<kb>  <title>  (<identity>)`, or the identity alone
/// when it has neither (names not read, or none found).
fn named(title: &Option<Arc<str>>, kb: &Option<Arc<str>>, identity: String) -> String {
    let names: Vec<String> = kb
        .iter()
        .map(|kb| format!("KB{kb}"))
        // An empty Title (some bundled children have one) names nothing.
        .chain(
            title
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.to_string()),
        )
        .collect();
    if names.is_empty() {
        identity
    } else {
        format!("{}  ({identity})", names.join("  "))
    }
}

/// An update added, removed, newly superseded or newly expired.
fn update_item(b: &UpdateBrief) -> String {
    named(
        &b.title,
        &b.kb,
        format!(
            "{}  RevisionId {}  Rev {}",
            b.update_id,
            b.revision_id,
            b.revision_number.map_or("-".into(), |n| n.to_string())
        ),
    )
}

/// A product or classification added or removed: its title, then its
/// UpdateId.
fn category_items(r: &DiffReport, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| match r.category_titles.get(id) {
            Some(t) => format!("{t}  ({id})"),
            None => id.clone(),
        })
        .collect()
}

/// Each novelty with the updates using it (their first RevisionIds), or
/// how often it occurs when no update carries it.
fn vocabulary_items(r: &DiffReport) -> Vec<String> {
    r.vocabulary
        .iter()
        .map(|n| {
            let revs: Vec<String> = n.first.iter().map(u64::to_string).collect();
            if n.updates > 0 {
                format!(
                    "{}: {} update(s), RevisionId {}",
                    n.subject,
                    n.updates,
                    revs.join(", ")
                )
            } else {
                format!("{}: {} occurrence(s)", n.subject, n.occurrences)
            }
        })
        .collect()
}

/// Each attribute change, DeploymentAction changes first: they are what
/// broke consumers before.
fn attribute_change_items(r: &DiffReport) -> Vec<String> {
    AttributeChange::shown_order(&r.attribute_changes)
        .into_iter()
        .map(|c| {
            format!(
                "{}  {}: {} -> {}",
                named(
                    &c.title,
                    &c.kb,
                    format!("{}  RevisionId {}", c.update_id, c.revision_id)
                ),
                c.attribute,
                show_value(c.old.as_deref()),
                show_value(c.new.as_deref())
            )
        })
        .collect()
}

/// Each update whose revision changed, old RevisionId to new.
fn revised_items(r: &DiffReport) -> Vec<String> {
    r.revised
        .iter()
        .map(|v| {
            named(
                &v.title,
                &v.kb,
                format!(
                    "{}  RevisionId {} -> {}",
                    v.update_id, v.old_revision_id, v.new_revision_id
                ),
            )
        })
        .collect()
}

/// Each attribute of the catalog's root element that changed.
fn root_change_items(r: &DiffReport) -> Vec<String> {
    r.root_changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} -> {}",
                c.attribute,
                show_value(c.old.as_deref()),
                show_value(c.new.as_deref())
            )
        })
        .collect()
}

/// Each shard whose index.xml entry changed, old entry to new.
fn shard_change_items(r: &DiffReport) -> Vec<String> {
    let show = |e: &Option<IndexEntry>| match e {
        None => "(absent)".to_string(),
        Some(e) => format!(
            "RANGESTART {}{}",
            e.range_start.map_or("-".into(), |n| n.to_string()),
            if e.files_dir { " FILESDIR" } else { "" }
        ),
    };
    r.shard_changes
        .iter()
        .map(|s| format!("{}: {} -> {}", s.name, show(&s.old), show(&s.new)))
        .collect()
}

/// The last line: NO DIFFERENCES, or how many with the main counts.
fn result_line(r: &DiffReport, style: Style) -> String {
    let n = r.differences();
    if n == 0 {
        style.paint("32;1", "Result    NO DIFFERENCES")
    } else {
        style.paint(
            "33;1",
            &format!(
                "Result    {n} difference(s): {} added, {} removed, {} revised, {} attribute change(s), {} new vocabulary",
                r.added.len(),
                r.removed.len(),
                r.revised.len(),
                r.attribute_changes.len(),
                r.vocabulary.len()
            ),
        )
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(String::new, T::to_string)
}

/// A row of [`DIFF_CSV_COLUMNS`].
type Row = [String; 9];

/// Every item of the diff as a row of [`DIFF_CSV_COLUMNS`], section by
/// section in the order docs/diff.md lists them, each handed to `rows` as
/// it is made.
fn each_row(r: &DiffReport, rows: &mut dyn FnMut(Row)) {
    update_rows(rows, r);
    attribute_rows(rows, r);
    supersedence_rows(rows, r);
    product_classification_rows(rows, r);
    root_rows(rows, r);
    shard_rows(rows, r);
    vocabulary_rows(rows, r);
}

/// `added`, `removed` and `revised`: an added update has only a new
/// revision, a removed one only an old, a revised one both, with its
/// RevisionNumber before and after.
fn update_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for b in &r.added {
        rows([
            "added".into(),
            b.update_id.clone(),
            e(),
            b.revision_id.to_string(),
            e(),
            e(),
            opt(&b.revision_number),
            opt(&b.title),
            opt(&b.kb),
        ]);
    }
    for b in &r.removed {
        rows([
            "removed".into(),
            b.update_id.clone(),
            b.revision_id.to_string(),
            e(),
            e(),
            opt(&b.revision_number),
            e(),
            opt(&b.title),
            opt(&b.kb),
        ]);
    }
    for v in &r.revised {
        rows([
            "revised".into(),
            v.update_id.clone(),
            v.old_revision_id.to_string(),
            v.new_revision_id.to_string(),
            "RevisionNumber".into(),
            opt(&v.old_revision_number),
            opt(&v.new_revision_number),
            opt(&v.title),
            opt(&v.kb),
        ]);
    }
}

/// `attribute`: the attribute's name, its old and new value.
fn attribute_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for c in &r.attribute_changes {
        rows([
            "attribute".into(),
            c.update_id.clone(),
            e(),
            c.revision_id.to_string(),
            c.attribute.clone(),
            show_value(c.old.as_deref()),
            show_value(c.new.as_deref()),
            opt(&c.title),
            opt(&c.kb),
        ]);
    }
}

/// `superseded` and `expired`: the update and its new revision.
fn supersedence_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for (section, list) in [
        ("superseded", &r.newly_superseded),
        ("expired", &r.newly_expired),
    ] {
        for b in list {
            rows([
                section.into(),
                b.update_id.clone(),
                e(),
                b.revision_id.to_string(),
                e(),
                e(),
                e(),
                opt(&b.title),
                opt(&b.kb),
            ]);
        }
    }
}

/// `product_*` and `classification_*`: the category's UpdateId, and its
/// title when one was found.
fn product_classification_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for (section, list) in [
        ("product_added", &r.products_added),
        ("product_removed", &r.products_removed),
        ("classification_added", &r.classifications_added),
        ("classification_removed", &r.classifications_removed),
    ] {
        for id in list {
            rows([
                section.into(),
                id.clone(),
                e(),
                e(),
                e(),
                e(),
                e(),
                opt(&r.category_titles.get(id)),
                e(),
            ]);
        }
    }
}

/// `root`: the root attribute's name, its old and new value.
fn root_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for c in &r.root_changes {
        rows([
            "root".into(),
            e(),
            e(),
            e(),
            c.attribute.clone(),
            show_value(c.old.as_deref()),
            show_value(c.new.as_deref()),
            e(),
            e(),
        ]);
    }
}

/// `shard`: the shard's name, its old and new index entry (RANGESTART,
/// then ` FILESDIR` when flagged).
fn shard_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    let show = |x: &Option<IndexEntry>| {
        x.as_ref().map_or("(absent)".to_string(), |x| {
            format!(
                "{}{}",
                opt(&x.range_start),
                if x.files_dir { " FILESDIR" } else { "" }
            )
        })
    };
    for s in &r.shard_changes {
        rows([
            "shard".into(),
            e(),
            e(),
            e(),
            s.name.clone(),
            show(&s.old),
            show(&s.new),
            e(),
            e(),
        ]);
    }
}

/// `vocabulary`: the first RevisionIds using the novelty go in
/// `new_revision_id`, its description in `name`, occurrences in `old` and
/// updates in `new`.
fn vocabulary_rows(rows: &mut dyn FnMut(Row), r: &DiffReport) {
    let e = String::new;
    for n in &r.vocabulary {
        let first: Vec<String> = n.first.iter().map(u64::to_string).collect();
        rows([
            "vocabulary".into(),
            e(),
            e(),
            first.join(" "),
            n.subject.clone(),
            n.occurrences.to_string(),
            n.updates.to_string(),
            e(),
            e(),
        ]);
    }
}

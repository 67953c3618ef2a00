//! The show report: everything about one update (or every update carrying
//! one KB article).

use std::fmt::Write as _;

use super::{csv, jsonl, show_value, Format, Style};
use crate::commands::list::Row;
use crate::commands::show::{Related, ShowReport, Shown};

/// Renders a show report. JSON Lines has one `update` event per update
/// shown; CSV has `list`'s columns, one row per update.
pub fn show(r: &ShowReport, format: Format, style: Style) -> String {
    match format {
        Format::Human => human(r, style),
        Format::Json => super::json_document(r),
        Format::Jsonl => r
            .updates
            .iter()
            .map(|u| jsonl::event("update", u))
            .collect(),
        Format::Csv => {
            let mut out = csv::Csv::new(&super::list::CSV_COLUMNS);
            for u in &r.updates {
                out.record(&super::list::csv_fields(&Row {
                    entry: u.entry.clone(),
                    names: Some(u.names.clone()),
                }));
            }
            out.finish()
        }
    }
}

fn related(r: &Related) -> String {
    let who = match (r.revision_id, &r.update_id) {
        (Some(rev), _) => format!("RevisionId {rev}"),
        (None, Some(id)) => format!("UpdateId {id}"),
        (None, None) => "?".to_string(),
    };
    let mut s = who;
    if let Some(d) = &r.detail {
        let _ = write!(s, " [{d}]");
    }
    match (&r.title, r.in_catalog) {
        (Some(t), _) => {
            let _ = write!(s, "  {t}");
        }
        (None, false) => s.push_str("  (not in this catalog)"),
        (None, true) => s.push_str("  (no title)"),
    }
    s
}

fn section(out: &mut String, name: &str, items: &[Related]) {
    if items.is_empty() {
        let _ = writeln!(out, "{name:<14} none");
        return;
    }
    let _ = writeln!(out, "{name:<14} {}", items.len());
    for r in items {
        let _ = writeln!(out, "  {}", related(r));
    }
}

fn one(out: &mut String, u: &Shown, style: Style) {
    let e = &u.entry;
    let n = &u.names;
    let title = n.title.clone().unwrap_or_else(|| "(no title)".into());
    let _ = writeln!(out, "{}", style.paint("1", &title));
    let _ = writeln!(out, "  RevisionId     {}", e.revision_id);
    let _ = writeln!(
        out,
        "  UpdateId       {}",
        e.update_id.as_deref().unwrap_or("(absent)")
    );
    let _ = writeln!(
        out,
        "  Revision       {}",
        e.revision_number
            .map_or("(absent)".into(), |n| n.to_string())
    );
    let _ = writeln!(out, "  Kind           {}", e.kind.label());
    let _ = writeln!(
        out,
        "  KB             {}",
        n.kb.as_deref().map_or("-".into(), |k| format!("KB{k}"))
    );
    let _ = writeln!(
        out,
        "  Severity       {}",
        n.severity.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "  Classification {}",
        n.classification.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "  Products       {}",
        if n.products.is_empty() {
            "-".to_string()
        } else {
            n.products.join("; ")
        }
    );
    let _ = writeln!(
        out,
        "  Shard          {}",
        u.shard
            .as_deref()
            .unwrap_or("(none: below every RANGESTART)")
    );
    for note in &n.notes {
        let _ = writeln!(out, "  {}", style.paint("33", &format!("note: {note}")));
    }
    let _ = writeln!(out, "package.xml");
    for (name, value) in &u.detail.attributes {
        let _ = writeln!(out, "  @{name:<20} {}", show_value(Some(value)));
    }
    for child in &u.detail.other_children {
        let _ = writeln!(out, "  <{child}> (a child wsuscat does not know)");
    }
    section(out, "Prerequisites", &u.prerequisites);
    section(out, "Categories", &u.categories);
    section(out, "Bundled by", &u.bundled_by);
    section(out, "Bundles", &u.bundles);
    section(out, "Superseded by", &u.superseded_by);
    section(out, "Supersedes", &u.supersedes);
    if u.payload.is_empty() {
        let _ = writeln!(out, "{:<14} none", "Payload");
    } else {
        let _ = writeln!(out, "{:<14} {}", "Payload", u.payload.len());
        for p in &u.payload {
            let _ = writeln!(
                out,
                "  {}  {}",
                p.id,
                p.url.as_deref().unwrap_or("(no FileLocation)")
            );
        }
    }
    let _ = writeln!(out, "Fragments");
    if u.fragments.is_empty() {
        let _ = writeln!(out, "  none found");
    }
    for f in &u.fragments {
        let _ = writeln!(out, "  {}", f.member);
        let _ = writeln!(out, "    {}", f.text.replace(['\r', '\n'], " "));
    }
}

/// Text for people.
fn human(r: &ShowReport, style: Style) -> String {
    let mut out = String::new();
    for (i, u) in r.updates.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        one(&mut out, u, style);
    }
    out
}

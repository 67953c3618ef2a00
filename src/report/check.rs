//! The check report.

use std::fmt::Write as _;

use serde::Serialize;

use super::{verify::signature_lines, Format, Style};
use crate::catalog::update::Kind;
use crate::commands::check::{CheckReport, ProfileRef};
use crate::rules::finding::show_value;
use crate::rules::finding::{CatalogFinding, Finding, Verdict};
use crate::rules::profile::Severity;
use crate::trust::integrity::SignatureStatus;

/// The JSON document `check --format json` writes; see docs/json.md and docs/check-report.schema.json.
#[derive(Serialize)]
pub(super) struct JsonCheck<'a> {
    catalog: &'a crate::catalog::CatalogIdentity,
    signature: &'a SignatureStatus,
    profile: JsonProfile,
    profiles: &'a [ProfileRef],
    read_pass: &'a crate::commands::check::ReadPass,
    summary: JsonSummary<'a>,
    findings: &'a [Finding],
    catalog_findings: &'a [CatalogFinding],
}

/// The document `check --format json` writes, which `install`'s JSON
/// report holds whole.
pub(super) fn json_document(report: &CheckReport) -> JsonCheck<'_> {
    JsonCheck {
        catalog: &report.catalog,
        signature: &report.signature,
        profile: JsonProfile {
            name: profile_names(report),
        },
        profiles: &report.profiles,
        read_pass: &report.read_pass,
        summary: summary(report),
        findings: &report.findings,
        catalog_findings: &report.catalog_findings,
    }
}

#[derive(Serialize)]
struct JsonProfile {
    name: String,
}

/// The counts every format agrees on: `findings` is every finding,
/// per-update and catalog-level, and always `breaking` + `warnings`.
#[derive(Serialize)]
struct JsonSummary<'a> {
    updates_checked: u64,
    by_kind: &'a std::collections::BTreeMap<Kind, u64>,
    findings: usize,
    update_findings: usize,
    catalog_findings: usize,
    breaking: usize,
    warnings: usize,
    verdict: Verdict,
}

fn profile_names(report: &CheckReport) -> String {
    report.profile_names().join(" + ")
}

/// A finding event of `check --format jsonl`: the finding's fields after
/// `scope`, which is `update` for a [`Finding`] and `catalog` for a
/// [`CatalogFinding`].
#[derive(Serialize)]
struct Scoped<'a, T> {
    scope: &'static str,
    #[serde(flatten)]
    finding: &'a T,
}

/// The `catalog` event of `check --format jsonl`: who the catalog is, its
/// signature, and the profiles it is checked against.
#[derive(Serialize)]
struct JsonlCatalog<'a> {
    #[serde(flatten)]
    catalog: &'a crate::catalog::CatalogIdentity,
    signature: &'a SignatureStatus,
    profile: JsonProfile,
    profiles: &'a [ProfileRef],
}

fn summary(report: &CheckReport) -> JsonSummary<'_> {
    JsonSummary {
        updates_checked: report.counts.updates_checked,
        by_kind: &report.counts.by_kind,
        findings: report.total_findings(),
        update_findings: report.findings.len(),
        catalog_findings: report.catalog_findings.len(),
        breaking: report.breaking(),
        warnings: report.warnings(),
        verdict: report.verdict,
    }
}

/// The columns of `check --format csv`, one row per finding, per-update
/// (`scope` `update`) then catalog-level (`scope` `catalog`); see
/// docs/csv.md. The last six came with catalog-level rows, after the
/// original twelve, so that scripts reading columns by position still work.
pub const CHECK_CSV_COLUMNS: [&str; 24] = [
    "revision_id",
    "update_id",
    "revision_number",
    "kind",
    "attribute",
    "attribute_present",
    "value",
    "rule",
    "profile",
    "severity",
    "message",
    "offset",
    "title",
    "kb",
    "msrc_severity",
    "classification",
    "products",
    "bundled_by",
    "scope",
    "subject",
    "updates",
    "occurrences",
    "first_updates",
    "profiles",
];

/// How the human check report shows the findings.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckHuman {
    /// Every finding in one table (`--all`), instead of the first few of
    /// each group of the same profile, rule and value when there are many.
    /// The machine formats always list every finding.
    pub all: bool,
}

/// Renders a check report.
pub fn check(report: &CheckReport, format: Format, style: Style, human: CheckHuman) -> String {
    let mut out = Vec::new();
    write(report, format, style, human, &mut out).expect("writing to a Vec does not fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// Writes a check report to `out` as it is made: a report of a hundred
/// thousand findings is never whole in memory.
pub fn write(
    report: &CheckReport,
    format: Format,
    style: Style,
    human: CheckHuman,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(out);
    match format {
        Format::Json => {
            super::write_json_document(&json_document(report), &mut w)?;
        }
        Format::Jsonl => {
            w.write_all(
                super::jsonl::event(
                    "catalog",
                    &JsonlCatalog {
                        catalog: &report.catalog,
                        signature: &report.signature,
                        profile: JsonProfile {
                            name: profile_names(report),
                        },
                        profiles: &report.profiles,
                    },
                )
                .as_bytes(),
            )?;
            for f in &report.findings {
                w.write_all(
                    super::jsonl::event(
                        "finding",
                        &Scoped {
                            scope: "update",
                            finding: f,
                        },
                    )
                    .as_bytes(),
                )?;
            }
            for f in &report.catalog_findings {
                w.write_all(
                    super::jsonl::event(
                        "finding",
                        &Scoped {
                            scope: "catalog",
                            finding: f,
                        },
                    )
                    .as_bytes(),
                )?;
            }
            w.write_all(super::jsonl::event("summary", &summary(report)).as_bytes())?;
        }
        Format::Csv => write_csv(report, &mut w)?,
        Format::Human => write_human(report, style, human, &mut w)?,
    }
    w.flush()
}

/// The CSV report, a record at a time.
fn write_csv(report: &CheckReport, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut csv = super::csv::Csv::new(&CHECK_CSV_COLUMNS);
    let profiles = report.profile_names().join(";");
    for f in &report.findings {
        csv.record(&[
            f.revision_id.to_string(),
            f.update_id.clone().unwrap_or_default(),
            f.revision_number.map_or(String::new(), |n| n.to_string()),
            f.kind.as_str().to_string(),
            f.attribute.to_string(),
            f.value.is_some().to_string(),
            f.value.clone().unwrap_or_default(),
            f.rule.to_string(),
            f.profile.to_string(),
            f.severity.as_str().to_string(),
            f.message.to_string(),
            f.offset.to_string(),
            f.names.title.as_deref().unwrap_or_default().to_string(),
            f.names.kb.as_deref().unwrap_or_default().to_string(),
            f.names.severity.as_deref().unwrap_or_default().to_string(),
            f.names
                .classification
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            f.names.products.join(";"),
            f.names
                .bundled_by
                .as_ref()
                .map_or(String::new(), |b| b.revision_id.to_string()),
            "update".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            profiles.clone(),
        ]);
        w.write_all(csv.take().as_bytes())?;
    }
    for f in &report.catalog_findings {
        csv.record(&catalog_csv_row(f, &profiles));
    }
    w.write_all(csv.finish().as_bytes())?;
    Ok(())
}

/// A catalog finding as a CSV row: the update columns empty, the rule's
/// columns as for an update, then what it is about and how many updates
/// carry it.
fn catalog_csv_row(f: &CatalogFinding, profiles: &str) -> [String; 24] {
    let mut row: [String; 24] = Default::default();
    row[7] = f.rule.to_string();
    row[8] = f.profile.to_string();
    row[9] = f.severity.as_str().to_string();
    row[10] = f.message.to_string();
    row[18] = "catalog".to_string();
    row[19] = f.subject.clone();
    row[20] = f.updates.to_string();
    row[21] = f.occurrences.to_string();
    row[22] = f
        .first
        .iter()
        .map(|u| u.revision_id.to_string())
        .collect::<Vec<_>>()
        .join(";");
    row[23] = profiles.to_string();
    row
}

/// The catalog's identity and signature, as check and info show them.
pub(super) fn identity_lines(
    c: &crate::catalog::CatalogIdentity,
    signature: &SignatureStatus,
    style: Style,
) -> String {
    let mut out = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_string());
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("Catalog   {}", c.path))
    );
    let _ = writeln!(out, "  size               {} bytes", c.size);
    if let Some(sha256) = &c.sha256 {
        let _ = writeln!(out, "  sha256             {sha256}");
    }
    if let Some(signed) = &c.signed_digest {
        let _ = writeln!(out, "  signed digest      {signed}");
    }
    let _ = writeln!(out, "  PackageId          {}", opt(&c.package_id));
    let _ = writeln!(out, "  CreationDate       {}", opt(&c.creation_date));
    let _ = writeln!(
        out,
        "  versions           package {}, protocol {}, minimum client {}",
        opt(&c.package_version),
        opt(&c.protocol_version),
        opt(&c.minimum_client_version)
    );
    let _ = write!(out, "{}", signature_lines(signature, "Signature "));
    out
}

/// The human check report, read top-down: the verdict and the counts
/// first, then the catalog's identity and signature, what it was checked
/// against, the update findings, the catalog findings and the verdict
/// again, so that it is the last line too.
/// The human report, written out in pieces of about 64 KB as it is made.
fn write_human(
    r: &CheckReport,
    style: Style,
    human: CheckHuman,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut failed = None;
    let mut flush = |s: &mut String| {
        if failed.is_none() {
            failed = w.write_all(s.as_bytes()).err();
        }
        s.clear();
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", verdict_line(r, style));
    let _ = writeln!(out, "{}", counts_line(r));
    let _ = writeln!(out);
    out.push_str(&identity_lines(&r.catalog, &r.signature, style));
    write_scope(&mut out, r);
    let _ = writeln!(out);
    write_findings(&mut out, r, style, human.all, &mut flush);
    write_catalog_findings(&mut out, r, style);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", verdict_line(r, style));
    flush(&mut out);
    failed.map_or(Ok(()), Err)
}

/// The second line: how many updates were checked and how many findings,
/// breaking and warnings, on updates and on the catalog, were made.
fn counts_line(r: &CheckReport) -> String {
    format!(
        "Counts    {} updates checked; {} finding(s): {} breaking, {} warning(s) ({} on updates, {} on the catalog)",
        r.counts.updates_checked,
        r.total_findings(),
        r.breaking(),
        r.warnings(),
        r.findings.len(),
        r.catalog_findings.len()
    )
}

/// The ANSI colour of a finding: red for what breaks, yellow for a warning.
fn severity_colour(severity: Severity) -> &'static str {
    if severity == Severity::Breaks {
        "31"
    } else {
        "33"
    }
}

/// What was checked against what: one `Profile` line per profile, then the
/// `Updates` line counting the updates checked per kind.
fn write_scope(out: &mut String, r: &CheckReport) {
    for p in &r.profiles {
        let _ = writeln!(out, "Profile   {}: {}", p.name, p.description);
    }
    let by_kind = Kind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                r.counts.by_kind.get(k).copied().unwrap_or(0),
                k.plural()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "Updates   {} checked: {by_kind}",
        r.counts.updates_checked
    );
    let rp = &r.read_pass;
    let unsummed = if rp.blocks_not_checksummed > 0 {
        format!(
            " ({} blocks not checksummed: checksum 0)",
            rp.blocks_not_checksummed
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Blocks    {} outer blocks in {} folder(s): every header and checksum checked{unsummed}",
        rp.outer_blocks, rp.outer_folders
    );
    let _ = writeln!(out, "Not read  {}", rp.left_to_verify);
}

/// The `Findings` section: its count, then (when there are any) the table,
/// with each update's KB and title in its row, and each rule's message once.
fn write_findings(
    out: &mut String,
    r: &CheckReport,
    style: Style,
    all: bool,
    flush: &mut dyn FnMut(&mut String),
) {
    if r.findings.is_empty() {
        let _ = writeln!(out, "Findings  none");
        return;
    }
    let _ = writeln!(
        out,
        "Findings  {} ({} breaking, {} warnings)",
        r.findings.len(),
        r.breaking_updates(),
        r.findings.len() - r.breaking_updates()
    );
    let lines = if all || r.findings.len() <= GROUP_ABOVE {
        r.findings.iter().map(TableLine::Row).collect()
    } else {
        let groups = groups(&r.findings);
        let _ = writeln!(
            out,
            "  {} groups of the same profile, rule and value: the first {FIRST_OF_GROUP} updates of each (--all lists all {})",
            groups.len(),
            r.findings.len()
        );
        grouped_lines(&groups)
    };
    write_findings_table(out, &lines, style, flush);
    write_finding_messages(out, &r.findings);
}

/// The cells of a finding's row: who the update is, what was found, and
/// (when names were read) its KB article and title, with the bundle a
/// bundled child ships in.
fn finding_row(f: &Finding, named: bool) -> Vec<String> {
    let mut row = vec![
        f.revision_id.to_string(),
        f.update_id.clone().unwrap_or_else(|| "(absent)".into()),
        f.revision_number.map_or("-".into(), |n| n.to_string()),
        format!("{}={}", f.attribute, show_value(f.value.as_deref())),
        f.rule.to_string(),
        f.severity.as_str().to_string(),
        f.kind.label().to_string(),
    ];
    if named {
        let n = &f.names;
        // A bundled child has no KB of its own in real catalogs: its
        // bundle's, the one an administrator searches for, stands in (the
        // title cell says which bundle).
        let kb =
            n.kb.as_ref()
                .or_else(|| n.bundled_by.as_ref().and_then(|b| b.kb.as_ref()));
        row.push(kb.map_or("-".into(), |kb| format!("KB{kb}")));
        let mut title = n.title.as_deref().unwrap_or("-").to_string();
        if let Some(b) = &n.bundled_by {
            let _ = write!(title, " (bundled in {})", b.revision_id);
        }
        row.push(title);
    }
    row
}

/// Without `--all`, the human report groups the findings when there are more
/// than this many.
const GROUP_ABOVE: usize = 20;
/// How many updates of each group it shows then.
const FIRST_OF_GROUP: usize = 5;

/// The findings grouped by profile, rule, attribute and value, groups in
/// the order of their first finding, findings in report order.
fn groups(findings: &[Finding]) -> Vec<Vec<&Finding>> {
    let mut index = std::collections::HashMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in findings {
        let key = (&f.profile, &f.rule, &f.attribute, &f.value);
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(f);
    }
    groups
}

/// The first few rows of each group, then how many more it has.
fn grouped_lines<'a>(groups: &[Vec<&'a Finding>]) -> Vec<TableLine<'a>> {
    let mut lines = Vec::new();
    for group in groups {
        lines.extend(group.iter().take(FIRST_OF_GROUP).map(|f| TableLine::Row(f)));
        if group.len() > FIRST_OF_GROUP {
            let f = group[0];
            lines.push(TableLine::Text(format!(
                "… and {} more with {}={} ({}, {}; --all lists them)",
                group.len() - FIRST_OF_GROUP,
                f.attribute,
                show_value(f.value.as_deref()),
                f.rule,
                f.profile
            )));
        }
    }
    lines
}

/// A line of the findings table: a finding's row, or a line of text
/// between rows (how many more a group has).
enum TableLine<'a> {
    Row(&'a Finding),
    Text(String),
}

/// The findings table: a header, then one row per finding (coloured by its
/// severity) and any text lines, columns padded to their widest cell. The
/// KB and Title columns are there when names were read for any finding.
fn write_findings_table(
    out: &mut String,
    lines: &[TableLine],
    style: Style,
    flush: &mut dyn FnMut(&mut String),
) {
    let named = lines
        .iter()
        .any(|l| matches!(l, TableLine::Row(f) if f.names.title.is_some() || f.names.kb.is_some()));
    let mut header = vec![
        "RevisionId",
        "UpdateId",
        "Rev",
        "Value",
        "Rule",
        "Severity",
        "Kind",
    ];
    if named {
        header.extend(["KB", "Title"]);
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    // Two passes over the rows, each made and dropped: the first sizes the
    // columns, the second writes them. `--all` on a catalog whose every
    // update is flagged has a row per update, never all held at once.
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for l in lines {
        if let TableLine::Row(f) = l {
            for (w, cell) in widths.iter_mut().zip(finding_row(f, named)) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (cell, w) in cells.iter().zip(&widths) {
            let _ = write!(s, " {cell:<w$}");
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header));
    for l in lines {
        match l {
            TableLine::Row(f) => {
                let cells = finding_row(f, named);
                let _ = writeln!(
                    out,
                    "{}",
                    style.paint(severity_colour(f.severity), &line(&cells))
                );
            }
            TableLine::Text(text) => {
                let _ = writeln!(out, "  {text}");
            }
        }
        if out.len() > 1 << 16 {
            flush(out);
        }
    }
}

/// Each rule's message once, sorted: many findings share a rule, and the
/// explanation need not repeat per row.
fn write_finding_messages(out: &mut String, findings: &[Finding]) {
    let mut messages: Vec<(&str, &str)> =
        findings.iter().map(|f| (&*f.rule, &*f.message)).collect();
    messages.sort();
    messages.dedup();
    for (rule, message) in messages {
        let _ = writeln!(out, "  {rule}: {message}");
    }
}

/// The `Catalog findings` section, left out when there are none.
fn write_catalog_findings(out: &mut String, r: &CheckReport, style: Style) {
    if r.catalog_findings.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let breaking = r.breaking() - r.breaking_updates();
    let _ = writeln!(
        out,
        "Catalog findings  {} ({breaking} breaking, {} warnings)",
        r.catalog_findings.len(),
        r.catalog_findings.len() - breaking
    );
    for f in &r.catalog_findings {
        write_catalog_finding(out, f, style);
    }
}

/// One catalog finding: severity, rule, subject and profile; then the
/// updates using the subject (the first few by RevisionId) or how often it
/// occurs; then the rule's message.
fn write_catalog_finding(out: &mut String, f: &CatalogFinding, style: Style) {
    let _ = writeln!(
        out,
        "{}",
        style.paint(
            severity_colour(f.severity),
            &format!(
                "  {:<6} {:<15} {}  [{}]",
                f.severity.as_str(),
                f.rule,
                f.subject,
                f.profile
            )
        )
    );
    if f.updates > 0 {
        let first: Vec<String> = f
            .first
            .iter()
            .map(|u| match &u.title {
                Some(t) => format!("{} ({t})", u.revision_id),
                None => u.revision_id.to_string(),
            })
            .collect();
        let more = if (f.first.len() as u64) < f.updates {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "         {} update(s): RevisionId {}{more}",
            f.updates,
            first.join(", ")
        );
    } else if f.occurrences > 1 {
        let _ = writeln!(out, "         {} occurrence(s)", f.occurrences);
    }
    let _ = writeln!(out, "         {}", f.message);
}

/// The last line: COMPATIBLE, or INCOMPATIBLE with how many updates (and
/// catalog findings, when any) break the profiles.
fn verdict_line(r: &CheckReport, style: Style) -> String {
    let names = profile_names(r);
    match r.verdict {
        Verdict::Compatible => style.paint(
            "32;1",
            &format!(
                "Verdict   COMPATIBLE: all {} updates read and checked; none breaks {names}",
                r.counts.updates_checked
            ),
        ),
        Verdict::Incompatible => {
            let catalog = r.breaking() - r.breaking_updates();
            let text = if catalog == 0 {
                format!(
                    "Verdict   INCOMPATIBLE: {} update(s) would break {names}",
                    r.breaking_updates()
                )
            } else {
                format!(
                    "Verdict   INCOMPATIBLE: {} update(s) and {catalog} catalog finding(s) would break {names}",
                    r.breaking_updates()
                )
            };
            style.paint("31;1", &text)
        }
    }
}

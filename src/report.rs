//! The one reporting layer: every result and error goes out through here,
//! as human text or JSON. Adding a format means adding it here only.

use std::fmt::Write as _;

use serde::Serialize;

use crate::check::{CheckReport, ProfileRef};
use crate::error::Error;
use crate::finding::{Finding, Verdict};
use crate::integrity::SignatureStatus;
use crate::profile::{Profile, Severity};
use crate::update::Kind;
use crate::verify::VerifyReport;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// How human text is decorated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The JSON document `check --format json` writes; see docs/json-schema.md.
#[derive(Serialize)]
struct JsonCheck<'a> {
    catalog: &'a crate::check::CatalogIdentity,
    signature: &'a SignatureStatus,
    profile: JsonProfile,
    profiles: &'a [ProfileRef],
    summary: JsonSummary<'a>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct JsonProfile {
    name: String,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    updates_checked: u64,
    by_kind: &'a std::collections::BTreeMap<Kind, u64>,
    findings: usize,
    breaking: usize,
    warnings: usize,
    verdict: Verdict,
}

fn profile_names(report: &CheckReport) -> String {
    report
        .profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Renders a check report.
pub fn check(report: &CheckReport, format: Format, style: Style) -> String {
    match format {
        Format::Json => {
            let doc = JsonCheck {
                catalog: &report.catalog,
                signature: &report.signature,
                profile: JsonProfile {
                    name: profile_names(report),
                },
                profiles: &report.profiles,
                summary: JsonSummary {
                    updates_checked: report.counts.updates_checked,
                    by_kind: &report.counts.by_kind,
                    findings: report.findings.len(),
                    breaking: report.breaking(),
                    warnings: report.warnings(),
                    verdict: report.verdict,
                },
                findings: &report.findings,
            };
            let mut s = serde_json::to_string_pretty(&doc).expect("reports serialize");
            s.push('\n');
            s
        }
        Format::Human => check_human(report, style),
    }
}

/// A value as a report shows it: `(absent)`, `""`, or quoted with escapes.
pub fn show_value(value: Option<&str>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(v) => format!("{v:?}"),
    }
}

fn check_human(r: &CheckReport, style: Style) -> String {
    let mut out = String::new();
    let c = &r.catalog;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_string());
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("Catalog   {}", c.path))
    );
    let _ = writeln!(out, "  size               {} bytes", c.size);
    let _ = writeln!(out, "  sha256             {}", c.sha256);
    let _ = writeln!(out, "  PackageId          {}", opt(&c.package_id));
    let _ = writeln!(out, "  CreationDate       {}", opt(&c.creation_date));
    let _ = writeln!(
        out,
        "  versions           package {}, protocol {}, minimum client {}",
        opt(&c.package_version),
        opt(&c.protocol_version),
        opt(&c.minimum_client_version)
    );
    let _ = write!(out, "{}", signature_lines(&r.signature, "Signature "));
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
    let _ = writeln!(out);
    if r.findings.is_empty() {
        let _ = writeln!(out, "Findings  none");
    } else {
        let _ = writeln!(
            out,
            "Findings  {} ({} breaking, {} warnings)",
            r.findings.len(),
            r.breaking(),
            r.warnings()
        );
        let rows: Vec<[String; 7]> = r
            .findings
            .iter()
            .map(|f| {
                [
                    f.revision_id.to_string(),
                    f.update_id.clone().unwrap_or_else(|| "(absent)".into()),
                    f.revision_number.map_or("-".into(), |n| n.to_string()),
                    format!("{}={}", f.attribute, show_value(f.value.as_deref())),
                    f.rule.clone(),
                    f.severity.as_str().to_string(),
                    f.kind.label().to_string(),
                ]
            })
            .collect();
        let header = [
            "RevisionId",
            "UpdateId",
            "Rev",
            "Value",
            "Rule",
            "Severity",
            "Kind",
        ];
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::from(" ");
            for (cell, w) in cells.iter().zip(&widths) {
                let _ = write!(s, " {cell:<w$}");
            }
            s.trim_end().to_string()
        };
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let _ = writeln!(out, "{}", line(&header));
        for (row, f) in rows.iter().zip(&r.findings) {
            let text = line(row);
            let code = if f.severity == Severity::Breaks {
                "31"
            } else {
                "33"
            };
            let _ = writeln!(out, "{}", style.paint(code, &text));
        }
        let mut messages: Vec<(&str, &str)> = r
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.message.as_str()))
            .collect();
        messages.sort();
        messages.dedup();
        for (rule, message) in messages {
            let _ = writeln!(out, "  {rule}: {message}");
        }
    }
    let _ = writeln!(out);
    let names = profile_names(r);
    let verdict = match r.verdict {
        Verdict::Compatible => style.paint(
            "32;1",
            &format!(
                "Verdict   COMPATIBLE: all {} updates read and checked; none breaks {names}",
                r.counts.updates_checked
            ),
        ),
        Verdict::Incompatible => style.paint(
            "31;1",
            &format!(
                "Verdict   INCOMPATIBLE: {} update(s) would break {names}",
                r.breaking()
            ),
        ),
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// Renders an error: one line for humans, `{"error": …}` for JSON.
pub fn error(err: &Error, format: Format) -> String {
    match format {
        Format::Human => format!("wsuscat: error: {err}\n"),
        Format::Json => {
            #[derive(Serialize)]
            struct Inner<'a> {
                kind: &'a str,
                message: String,
                cause: &'a str,
                file: Option<String>,
                members: &'a [String],
                folder: Option<u32>,
                block: Option<u32>,
                offset: Option<u64>,
                update: Option<&'a str>,
            }
            #[derive(Serialize)]
            struct Outer<'a> {
                error: Inner<'a>,
            }
            let p = err.place();
            let doc = Outer {
                error: Inner {
                    kind: err.kind().as_str(),
                    message: err.to_string(),
                    cause: err.message(),
                    file: p.file.as_ref().map(|f| f.display().to_string()),
                    members: &p.members,
                    folder: p.folder,
                    block: p.block,
                    offset: p.offset,
                    update: p.update.as_deref(),
                },
            };
            let mut s = serde_json::to_string_pretty(&doc).expect("errors serialize");
            s.push('\n');
            s
        }
    }
}

/// The built-in profiles, for `wsuscat profiles`.
pub fn profiles(list: &[Profile], default: &str, format: Format) -> String {
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Entry<'a> {
                name: &'a str,
                description: &'a str,
                default: bool,
                rules: &'a [crate::profile::Rule],
            }
            let entries: Vec<Entry> = list
                .iter()
                .map(|p| Entry {
                    name: &p.name,
                    description: &p.description,
                    default: p.name == default,
                    rules: &p.rules,
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&entries).expect("profiles serialize");
            s.push('\n');
            s
        }
        Format::Human => {
            let mut out = String::new();
            for p in list {
                let mark = if p.name == default { " (default)" } else { "" };
                let _ = writeln!(out, "{}{mark}\n    {}", p.name, p.description);
                for rule in &p.rules {
                    let mut allowed: Vec<String> =
                        rule.allowed.iter().map(|v| format!("{v:?}")).collect();
                    if rule.allow_absent {
                        allowed.insert(0, "(absent)".into());
                    }
                    let _ = writeln!(
                        out,
                        "    rule {} [{}]: {} may be {}",
                        rule.name,
                        rule.severity.as_str(),
                        rule.attribute,
                        allowed.join(", ")
                    );
                }
            }
            out
        }
    }
}

/// The signature's lines in a human report.
fn signature_lines(status: &SignatureStatus, label: &str) -> String {
    match status {
        SignatureStatus::Verified(s) => {
            let time = match &s.signing_time {
                Some(t) => format!(
                    "{t} ({}{})",
                    s.signing_time_source.replace('_', " "),
                    if s.timestamp_verified {
                        ", verified"
                    } else {
                        ""
                    }
                ),
                None => "none".to_string(),
            };
            let mut out = format!(
                "{label}verified\n  signer             {}\n  issuer             {}\n  serial             {}\n  digest             {}\n  signing time       {time}\n  anchor             {} (SHA-256 {})\n",
                s.signer_subject, s.signer_issuer, s.signer_serial, s.digest_algorithm, s.anchor_subject, s.anchor_sha256
            );
            for note in &s.notes {
                let _ = writeln!(out, "  note               {note}");
            }
            out
        }
        SignatureStatus::Unsigned => {
            format!("{label}UNSIGNED: accepted because --allow-unsigned was given\n")
        }
        SignatureStatus::NotChecked => format!("{label}not checked (--no-verify)\n"),
    }
}

/// Renders a verify report.
pub fn verify(r: &VerifyReport, format: Format, style: Style) -> String {
    if format == Format::Json {
        #[derive(Serialize)]
        struct Doc<'a> {
            #[serde(flatten)]
            report: &'a VerifyReport,
            verdict: &'static str,
        }
        let mut s = serde_json::to_string_pretty(&Doc {
            report: r,
            verdict: "intact",
        })
        .expect("reports serialize");
        s.push('\n');
        return s;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("Catalog   {}", r.path))
    );
    let _ = writeln!(
        out,
        "  size               {} bytes (header and signature area agree)",
        r.size
    );
    let _ = writeln!(out, "  sha256             {}", r.sha256);
    let _ = write!(out, "{}", signature_lines(&r.signature, "Signature "));
    let _ = writeln!(
        out,
        "Contents  {} folders, {} members, {} bytes decompressed; every block checksum and member size verified",
        r.folders, r.files, r.bytes
    );
    let _ = writeln!(
        out,
        "  index.xml          {} cabinets listed, all present",
        r.index.cabs.len()
    );
    let _ = writeln!(
        out,
        "  package.xml        {} bytes, {} updates, well-formed to the end",
        r.package_xml.bytes, r.package_xml.updates
    );
    let members: usize = r.cabs.iter().map(|c| c.files).sum();
    let bytes: u64 = r.cabs.iter().map(|c| c.bytes).sum();
    let _ = writeln!(
        out,
        "  nested cabinets    {} verified ({members} members, {bytes} bytes)",
        r.cabs.len()
    );
    for name in &r.unsafe_names {
        let _ = writeln!(
            out,
            "  {}",
            style.paint(
                "33",
                &format!(
                    "warning: member name {name:?} would escape a directory if used as a path"
                )
            )
        );
    }
    let _ = writeln!(out);
    let verdict = match r.signature {
        SignatureStatus::Verified(_) => "Verdict   INTACT and SIGNED: the catalog was read completely and the signature chains to a trust anchor",
        _ => "Verdict   INTACT, NOT SIGNED: the catalog was read completely; no signature was checked",
    };
    let _ = writeln!(out, "{}", style.paint("32;1", verdict));
    out
}

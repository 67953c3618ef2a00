//! The verify report, and the signature lines check shares.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Format, Style};
use crate::commands::verify::VerifyReport;
use crate::trust::integrity::SignatureStatus;

/// The signature's lines in a human report.
pub(super) fn signature_lines(status: &SignatureStatus, label: &str) -> String {
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
            format!("{label}UNSIGNED: accepted because unsigned catalogs were allowed\n")
        }
        SignatureStatus::NotChecked => {
            format!("{label}not checked (verification was turned off)\n")
        }
    }
}

/// What was checked of the blocks and members, for the human report and
/// the log: every checksum, unless some blocks carry none (checksum 0, "not
/// computed" in MS-CAB), which the clause then counts instead of claiming.
pub(super) fn checked_clause(r: &VerifyReport) -> String {
    match r.total_blocks_not_checksummed() {
        0 => "every block checksum and member size verified".to_string(),
        1 => "1 block not checksummed (checksum 0), every other block checksum and member size verified".to_string(),
        n => format!("{n} blocks not checksummed (checksum 0), every other block checksum and member size verified"),
    }
}

/// The columns of `verify --format csv`: one row per verified catalog.
pub const VERIFY_CSV_COLUMNS: [&str; 13] = [
    "path",
    "size",
    "sha256",
    "signature",
    "signer_subject",
    "folders",
    "files",
    "bytes",
    "cabs",
    "package_xml_bytes",
    "updates",
    "unsafe_names",
    "verdict",
];

/// The document `verify --format json` writes, which `install`'s JSON
/// report holds whole.
#[derive(Serialize)]
pub(super) struct JsonVerify<'a> {
    #[serde(flatten)]
    report: &'a VerifyReport,
    verdict: &'static str,
}

pub(super) fn json_document(r: &VerifyReport) -> JsonVerify<'_> {
    JsonVerify {
        report: r,
        verdict: "intact",
    }
}

/// Renders a verify report.
pub fn verify(r: &VerifyReport, format: Format, style: Style) -> String {
    match format {
        Format::Json => super::json_document(&json_document(r)),
        Format::Jsonl => {
            #[derive(Serialize)]
            struct Catalog<'a> {
                path: &'a str,
                size: u64,
                sha256: &'a str,
                signature: &'a SignatureStatus,
            }
            #[derive(Serialize)]
            struct Summary<'a> {
                folders: usize,
                files: usize,
                bytes: u64,
                blocks_not_checksummed: u64,
                index: &'a crate::catalog::index::Index,
                package_xml: &'a crate::commands::verify::PackageXmlSummary,
                cabs: &'a [crate::commands::verify::NestedCab],
                unsafe_names: &'a [String],
                unsafe_names_total: u64,
                verdict: &'static str,
            }
            let mut out = super::jsonl::event(
                "catalog",
                &Catalog {
                    path: &r.path,
                    size: r.size,
                    sha256: &r.sha256,
                    signature: &r.signature,
                },
            );
            out.push_str(&super::jsonl::event(
                "summary",
                &Summary {
                    folders: r.folders,
                    files: r.files,
                    bytes: r.bytes,
                    blocks_not_checksummed: r.blocks_not_checksummed,
                    index: &r.index,
                    package_xml: &r.package_xml,
                    cabs: &r.cabs,
                    unsafe_names: &r.unsafe_names,
                    unsafe_names_total: r.unsafe_names_total,
                    verdict: "intact",
                },
            ));
            out
        }
        Format::Csv => {
            let (status, signer) = match &r.signature {
                SignatureStatus::Verified(s) => ("verified", s.signer_subject.as_str()),
                SignatureStatus::Unsigned => ("unsigned", ""),
                SignatureStatus::NotChecked => ("not_checked", ""),
            };
            let mut csv = super::csv::Csv::new(&VERIFY_CSV_COLUMNS);
            csv.record(&[
                r.path.clone(),
                r.size.to_string(),
                r.sha256.clone(),
                status.to_string(),
                signer.to_string(),
                r.folders.to_string(),
                r.files.to_string(),
                r.bytes.to_string(),
                r.cabs.len().to_string(),
                r.package_xml.bytes.to_string(),
                r.package_xml.updates.to_string(),
                r.unsafe_names_total.to_string(),
                "intact".to_string(),
            ]);
            csv.finish()
        }
        Format::Human => verify_human(r, style),
    }
}

fn verify_human(r: &VerifyReport, style: Style) -> String {
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
        "Contents  {} folders, {} members, {} bytes decompressed; {}",
        r.folders,
        r.files,
        r.bytes,
        checked_clause(r)
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
    let unlisted = r.unsafe_names_total - r.unsafe_names.len() as u64;
    if unlisted > 0 {
        let _ = writeln!(
            out,
            "  {}",
            style.paint(
                "33",
                &format!(
                    "warning: … and {unlisted} more member name(s) that would escape a \
                     directory ({} in all)",
                    r.unsafe_names_total
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

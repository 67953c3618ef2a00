//! The fetch report: what was downloaded (or found unchanged), and, for a
//! new catalog, what verifying it established.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Format, Style};
use crate::commands::fetch::{FetchReport, FetchStatus};
use crate::commands::verify::VerifyReport;

/// The columns of `fetch --format csv`: one row per fetch.
pub const FETCH_CSV_COLUMNS: [&str; 11] = [
    "status",
    "url",
    "final_url",
    "file",
    "size",
    "sha256",
    "etag",
    "last_modified",
    "resumed_from",
    "received",
    "attempts",
];

/// Renders a fetch report; `verified` is the verify report of a new
/// catalog (none when unchanged).
pub fn fetch(
    r: &FetchReport,
    verified: Option<&VerifyReport>,
    format: Format,
    style: Style,
) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        #[serde(flatten)]
        report: &'a FetchReport,
        verify: Option<&'a VerifyReport>,
    }
    match format {
        Format::Json => super::json_document(&Doc {
            report: r,
            verify: verified,
        }),
        Format::Jsonl => {
            let mut out = super::jsonl::event("fetch", r);
            if let Some(v) = verified {
                out.push_str(&super::jsonl::event("verify", v));
            }
            out
        }
        Format::Csv => {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let mut csv = super::csv::Csv::new(&FETCH_CSV_COLUMNS);
            csv.record(&[
                status(r.status).to_string(),
                r.url.clone(),
                r.final_url.clone(),
                r.file.clone(),
                r.size.to_string(),
                r.sha256.clone(),
                opt(&r.etag),
                opt(&r.last_modified),
                r.resumed_from.map_or(String::new(), |n| n.to_string()),
                r.received.to_string(),
                r.attempts.to_string(),
            ]);
            csv.finish()
        }
        Format::Human => human(r, verified, style),
    }
}

fn status(s: FetchStatus) -> &'static str {
    match s {
        FetchStatus::Fetched => "fetched",
        FetchStatus::Unchanged => "unchanged",
    }
}

fn human(r: &FetchReport, verified: Option<&VerifyReport>, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.paint("1", &format!("Fetch     {}", r.url)));
    if r.final_url != r.url {
        let _ = writeln!(out, "  from               {}", r.final_url);
    }
    let _ = writeln!(out, "  file               {}", r.file);
    let _ = writeln!(out, "  size               {} bytes", r.size);
    let _ = writeln!(out, "  sha256             {}", r.sha256);
    if let Some(e) = &r.etag {
        let _ = writeln!(out, "  etag               {e}");
    }
    if let Some(l) = &r.last_modified {
        let _ = writeln!(out, "  last modified      {l}");
    }
    let resumed = r
        .resumed_from
        .map_or(String::new(), |n| format!(", resumed at byte {n}"));
    let _ = writeln!(
        out,
        "  received           {} bytes in {} attempt{}{resumed}",
        r.received,
        r.attempts,
        if r.attempts == 1 { "" } else { "s" }
    );
    if let Some(v) = verified {
        let _ = write!(
            out,
            "{}",
            super::verify::signature_lines(&v.signature, "Signature ")
        );
        let _ = writeln!(
            out,
            "Contents  {} nested cabinets, package.xml {} updates; {}",
            v.cabs.len(),
            v.package_xml.updates,
            super::verify::checked_clause(v)
        );
    }
    let _ = writeln!(out);
    let verdict = match r.status {
        FetchStatus::Fetched => "Result    FETCHED: a new catalog, verified, replaced the file",
        FetchStatus::Unchanged => {
            "Result    UNCHANGED: the server's catalog is the file already here (304 Not Modified)"
        }
    };
    let _ = writeln!(out, "{}", style.paint("32;1", verdict));
    out
}

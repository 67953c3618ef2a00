//! The install report: what check and verify said of the copy, and what
//! was done with it.

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::{check::CheckHuman, Format, Style};
use crate::commands::check::CheckReport;
use crate::commands::install::{Installation, KeptBy, Outcome};
use crate::commands::verify::VerifyReport;
use crate::trust::integrity::SignatureStatus;

/// The columns of `install --format csv`: one row per install.
pub const INSTALL_CSV_COLUMNS: [&str; 13] = [
    "new",
    "target",
    "outcome",
    "size",
    "sha256",
    "signature",
    "verdict",
    "breaking",
    "warnings",
    "verified",
    "kept",
    "kept_by",
    "pruned",
];

/// An install's results: the installation, the check of the copy, and its
/// verify (run only when the check passed).
pub struct InstallResults<'a> {
    /// What was done.
    pub installation: &'a Installation,
    /// What check said of the copy.
    pub check: &'a CheckReport,
    /// What verify said of it; `None` when the check refused it first.
    pub verify: Option<&'a VerifyReport>,
}

#[derive(Serialize)]
struct JsonInstall<'a> {
    install: &'a Installation,
    check: super::check::JsonCheck<'a>,
    verify: Option<super::verify::JsonVerify<'a>>,
}

/// Writes an install report to `out`.
pub fn write(
    r: &InstallResults<'_>,
    format: Format,
    style: Style,
    human: CheckHuman,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => super::write_json_document(
            &JsonInstall {
                install: r.installation,
                check: super::check::json_document(r.check),
                verify: r.verify.map(super::verify::json_document),
            },
            out,
        ),
        Format::Jsonl => {
            super::check::write(r.check, Format::Jsonl, style, human, out)?;
            if let Some(v) = r.verify {
                out.write_all(
                    super::jsonl::event("verify", &super::verify::json_document(v)).as_bytes(),
                )?;
            }
            out.write_all(super::jsonl::event("install", r.installation).as_bytes())?;
            out.flush()
        }
        Format::Csv => out.write_all(csv(r).as_bytes()),
        Format::Human => {
            super::check::write(r.check, Format::Human, style, human, out)?;
            if let Some(v) = r.verify {
                out.write_all(b"\n")?;
                out.write_all(super::verify::verify(v, Format::Human, style).as_bytes())?;
            }
            out.write_all(b"\n")?;
            out.write_all(human_install(r.installation, style).as_bytes())?;
            out.flush()
        }
    }
}

fn csv(r: &InstallResults<'_>) -> String {
    let i = r.installation;
    let signature = match &r.check.signature {
        SignatureStatus::Verified(_) => "verified",
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::NotChecked => "not_checked",
    };
    let mut csv = super::csv::Csv::new(&INSTALL_CSV_COLUMNS);
    csv.record(&[
        i.new.clone(),
        i.target.clone(),
        outcome(i.outcome).to_string(),
        i.size.to_string(),
        r.check.catalog.sha256.clone().unwrap_or_default(),
        signature.to_string(),
        r.check.verdict.as_str().to_string(),
        r.check.breaking().to_string(),
        r.check.warnings().to_string(),
        r.verify.is_some().to_string(),
        i.kept.as_ref().map_or(String::new(), |k| k.path.clone()),
        i.kept
            .as_ref()
            .map_or(String::new(), |k| kept_by(k.by).to_string()),
        i.pruned.join(";"),
    ]);
    csv.finish()
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Installed => "installed",
        Outcome::Refused => "refused",
    }
}

fn kept_by(by: KeptBy) -> &'static str {
    match by {
        KeptBy::HardLink => "hard_link",
        KeptBy::Copy => "copy",
    }
}

/// The install's own lines, after the check's and verify's reports.
fn human_install(i: &Installation, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("Install   {} -> {}", i.new, i.target))
    );
    let _ = writeln!(
        out,
        "  copy               {} bytes, copied beside the target; the copy is what was checked{}",
        i.size,
        if i.outcome == Outcome::Installed {
            " and verified"
        } else {
            ""
        }
    );
    let previous = match (&i.kept, i.replaced, i.outcome) {
        (_, _, Outcome::Refused) => "unchanged".to_string(),
        (Some(k), _, _) => format!("kept as {} ({})", k.path, kept_by(k.by).replace('_', " ")),
        (None, false, _) => "none (the target did not exist)".to_string(),
        (None, true, _) => "not kept (--keep 0)".to_string(),
    };
    let _ = writeln!(out, "  previous           {previous}");
    for p in &i.pruned {
        let _ = writeln!(
            out,
            "  removed            {p} (older than the generations kept)"
        );
    }
    for w in &i.warnings {
        let _ = writeln!(out, "  {}", style.paint("33", &format!("warning: {w}")));
    }
    let _ = writeln!(out);
    let result = match i.outcome {
        Outcome::Installed => style.paint(
            "32;1",
            &format!("Result    INSTALLED: {} is now the new catalog", i.target),
        ),
        Outcome::Refused => style.paint(
            "31;1",
            &format!(
                "Result    NOT INSTALLED: the check found the new catalog incompatible; {} is unchanged",
                i.target
            ),
        ),
    };
    let _ = writeln!(out, "{result}");
    out
}

//! The CMTrace log: the line format Configuration Manager's own logs use,
//! which CMTrace and OneTrace read, so that wsuscat's entries sit beside
//! wsyncmgr.log in the same viewer. See docs/cmtrace-log.md.
//!
//! ```text
//! <![LOG[message]LOG]!><time="HH:MM:SS.mmm+BIAS" date="MM-DD-YYYY" component="wsuscat" context="" type="1" thread="N" file="">
//! ```
//!
//! This module renders entries (what a run says, and how a line looks) and
//! appends them with ConfigMgr's rollover. The appender lives here, in the
//! library, rather than in the binary: the rollover is part of the format's
//! contract (viewers and collectors look for `.lo_`), and another front end
//! embedding the library should get the same log without copying it. The
//! clock is the caller's: the library takes a [`Stamp`] and reads no time
//! zone.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::commands::check::CheckReport;
use crate::commands::diff::{CatalogSummary, DiffReport};
use crate::commands::install::{Installation, KeptBy, Outcome};
use crate::commands::verify::VerifyReport;
use crate::error::Error;
use crate::rules::finding::{CatalogFinding, Finding, Verdict};
use crate::rules::profile::Severity;
use crate::trust::integrity::SignatureStatus;

/// The `component` every wsuscat line carries.
pub const COMPONENT: &str = "wsuscat";

/// CMTrace's `type`: how a viewer colours the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Shown plain: progress and results.
    Info = 1,
    /// Shown yellow: something the operator should look at.
    Warning = 2,
    /// Shown red: the run failed or found a breaking update.
    Error = 3,
}

/// One thing a run says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// How the viewer colours it.
    pub level: Level,
    /// What it says, on one line (line breaks are replaced when written).
    pub message: String,
}

impl Entry {
    fn new(level: Level, message: String) -> Entry {
        Entry { level, message }
    }
}

/// Local wall-clock time and the Windows bias of its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Calendar year, local time.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
    /// Millisecond, 0–999.
    pub millisecond: u32,
    /// Minutes, UTC − local, as Windows' `TIME_ZONE_INFORMATION.Bias`
    /// counts them: +300 in New York in winter, −120 in Cairo in summer.
    pub bias_minutes: i32,
}

/// One log line for `entry`, with CRLF, as ConfigMgr writes them.
pub fn line(entry: &Entry, stamp: &Stamp, thread: u32) -> String {
    let sign = if stamp.bias_minutes < 0 { '-' } else { '+' };
    format!(
        "<![LOG[{}]LOG]!><time=\"{:02}:{:02}:{:02}.{:03}{sign}{:03}\" date=\"{:02}-{:02}-{:04}\" component=\"{COMPONENT}\" context=\"\" type=\"{}\" thread=\"{thread}\" file=\"\">\r\n",
        sanitize(&entry.message),
        stamp.hour,
        stamp.minute,
        stamp.second,
        stamp.millisecond.min(999),
        stamp.bias_minutes.unsigned_abs(),
        stamp.month,
        stamp.day,
        stamp.year,
        entry.level as u8,
    )
}

/// A message made safe for one line: CMTrace ends the message at the first
/// `]LOG]!>`, so that marker becomes `]LOG]!&gt;` (reads the same, ends
/// nothing), and control characters (CR and LF first) become spaces so that
/// one entry stays one line.
pub fn sanitize(message: &str) -> String {
    message
        .replace("]LOG]!>", "]LOG]!&gt;")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The first line of a run: the version and the command line.
pub fn start(version: &str, command_line: &str) -> Entry {
    Entry::new(
        Level::Info,
        format!("wsuscat {version} started: {command_line}"),
    )
}

/// The last line of a run.
pub fn exit(code: i32, meaning: &str) -> Entry {
    let level = match code {
        0 => Level::Info,
        1 => Level::Warning,
        _ => Level::Error,
    };
    Entry::new(level, format!("exit code {code} ({meaning})"))
}

fn diff_catalog(role: &str, c: &CatalogSummary) -> Entry {
    Entry::new(
        Level::Info,
        format!(
            "{role} catalog {}: PackageId {}, CreationDate {}, {} updates",
            c.path,
            c.package_id.as_deref().unwrap_or("(absent)"),
            c.creation_date.as_deref().unwrap_or("(absent)"),
            c.updates
        ),
    )
}

/// What `diff` logs: the two catalogs and a summary, `different: N
/// difference(s): …` with the count of each kind (a warning, so that a
/// viewer shows it), or `no differences`.
pub fn diff(r: &DiffReport) -> Vec<Entry> {
    let mut entries = vec![diff_catalog("old", &r.old), diff_catalog("new", &r.new)];
    let n = r.differences();
    entries.push(if n == 0 {
        Entry::new(
            Level::Info,
            "no differences between the two catalogs".to_string(),
        )
    } else {
        Entry::new(
            Level::Warning,
            format!(
                "different: {n} difference(s): {} added, {} removed, {} revised, {} attribute change(s), {} newly superseded, {} newly expired, products {} added {} removed, classifications {} added {} removed, {} root attribute change(s), {} shard change(s), {} new vocabulary term(s)",
                r.added.len(),
                r.removed.len(),
                r.revised.len(),
                r.attribute_changes.len(),
                r.newly_superseded.len(),
                r.newly_expired.len(),
                r.products_added.len(),
                r.products_removed.len(),
                r.classifications_added.len(),
                r.classifications_removed.len(),
                r.root_changes.len(),
                r.shard_changes.len(),
                r.vocabulary.len(),
            ),
        )
    });
    entries
}

/// An error that ended the run.
pub fn error(err: &Error) -> Entry {
    Entry::new(Level::Error, format!("error: {err}"))
}

fn signature(status: &SignatureStatus) -> Entry {
    match status {
        SignatureStatus::Verified(s) => Entry::new(
            Level::Info,
            format!(
                "signature verified: signer {}, {}, anchor {}",
                s.signer_subject, s.digest_algorithm, s.anchor_subject
            ),
        ),
        SignatureStatus::Unsigned => Entry::new(
            Level::Warning,
            "signature: UNSIGNED, accepted because unsigned catalogs were allowed".into(),
        ),
        SignatureStatus::NotChecked => Entry::new(
            Level::Warning,
            "signature: not checked (verification was turned off)".into(),
        ),
    }
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Breaks => Level::Error,
        Severity::Warn => Level::Warning,
    }
}

fn finding(f: &Finding) -> Entry {
    Entry::new(
        level(f.severity),
        format!(
            "finding: RevisionId {} (UpdateId {}, revision {}, {}): {}={} {} rule {} of {}: {}",
            f.revision_id,
            f.update_id.as_deref().unwrap_or("(absent)"),
            f.revision_number
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            f.kind.label(),
            f.attribute,
            super::show_value(f.value.as_deref()),
            f.severity.as_str(),
            f.rule,
            f.profile,
            f.message
        ),
    )
}

/// A catalog-level finding: its subject, rule, profile, how many updates
/// carry it (the first few by RevisionId) and why it matters.
fn catalog_finding(f: &CatalogFinding) -> Entry {
    let first: Vec<String> = f.first.iter().map(|u| u.revision_id.to_string()).collect();
    let carried = if f.first.is_empty() {
        String::new()
    } else {
        let more = if (f.first.len() as u64) < f.updates {
            ", ..."
        } else {
            ""
        };
        format!(
            " ({} update(s), first RevisionId {}{more})",
            f.updates,
            first.join(", ")
        )
    };
    Entry::new(
        level(f.severity),
        format!(
            "catalog finding: {}{carried} {} rule {} of {}: {}",
            f.subject,
            f.severity.as_str(),
            f.rule,
            f.profile,
            f.message
        ),
    )
}

/// A check's entries: the catalog's identity, its signature, the profiles
/// it was judged against, each per-update finding, each catalog-level
/// finding, and the verdict.
pub fn check(r: &CheckReport) -> Vec<Entry> {
    let c = &r.catalog;
    let opt = |v: &Option<String>| v.as_deref().unwrap_or("(absent)").to_string();
    let mut out = vec![
        Entry::new(
            Level::Info,
            format!(
                "catalog {}: {} bytes, {}, PackageId {}, CreationDate {}",
                c.path,
                c.size,
                c.fingerprint(),
                opt(&c.package_id),
                opt(&c.creation_date)
            ),
        ),
        signature(&r.signature),
    ];
    let names = r.profile_names().join(" + ");
    out.push(Entry::new(
        Level::Info,
        format!(
            "profiles: {}",
            if names.is_empty() { "(none)" } else { &names }
        ),
    ));
    out.extend(r.findings.iter().map(finding));
    out.extend(r.catalog_findings.iter().map(catalog_finding));
    out.push(match r.verdict {
        Verdict::Compatible => Entry::new(
            Level::Info,
            format!(
                "verdict COMPATIBLE: all {} updates read and checked; none breaks {names}; {} warning(s)",
                r.counts.updates_checked,
                r.warnings()
            ),
        ),
        Verdict::Incompatible => Entry::new(
            Level::Error,
            format!(
                "verdict INCOMPATIBLE: {} breaking finding(s) ({} update(s), {} catalog finding(s)) would break {names}; {} updates checked; {} warning(s)",
                r.breaking(),
                r.breaking_updates(),
                r.breaking() - r.breaking_updates(),
                r.counts.updates_checked,
                r.warnings()
            ),
        ),
    });
    out
}

/// A verify's entries: the catalog's identity, its signature, the verdict.
pub fn verify(r: &VerifyReport) -> Vec<Entry> {
    vec![
        Entry::new(
            Level::Info,
            format!("catalog {}: {} bytes, SHA-256 {}", r.path, r.size, r.sha256),
        ),
        signature(&r.signature),
        Entry::new(
            Level::Info,
            format!(
                "verdict INTACT: {} folders, {} members, {} nested cabinets, package.xml {} updates; {}",
                r.folders,
                r.files,
                r.cabs.len(),
                r.package_xml.updates,
                match r.total_blocks_not_checksummed() {
                    0 => "every block checksum and size verified".to_string(),
                    _ => super::verify::checked_clause(r),
                }
            ),
        ),
    ]
}

/// An install's entries, after the check's and verify's: what became of
/// the target, the previous generation, and anything pruned.
pub fn install(r: &Installation) -> Vec<Entry> {
    let mut out = Vec::new();
    match r.outcome {
        Outcome::Installed => {
            let previous = match (&r.kept, r.replaced) {
                (Some(k), _) => format!(
                    "previous kept as {} ({})",
                    k.path,
                    match k.by {
                        KeptBy::HardLink => "hard link",
                        KeptBy::Copy => "copy",
                    }
                ),
                (None, false) => "there was no previous catalog".to_string(),
                (None, true) => "previous not kept (--keep 0)".to_string(),
            };
            out.push(Entry::new(
                Level::Info,
                format!(
                    "installed {} as {} ({} bytes, checked and verified as copied); {previous}",
                    r.new, r.target, r.size
                ),
            ));
        }
        Outcome::Refused => out.push(Entry::new(
            Level::Error,
            format!(
                "not installed: the check found {} incompatible; {} is unchanged",
                r.new, r.target
            ),
        )),
    }
    out.extend(r.pruned.iter().map(|p| {
        Entry::new(
            Level::Info,
            format!("removed {p} (older than the generations kept)"),
        )
    }));
    out.extend(
        r.warnings
            .iter()
            .map(|w| Entry::new(Level::Warning, w.clone())),
    );
    out
}

/// A fetch's step, as it happens.
#[cfg(feature = "fetch")]
pub fn fetch_event(event: &crate::commands::fetch::FetchEvent) -> Entry {
    use crate::commands::fetch::FetchEvent as E;
    let info = |m: String| Entry::new(Level::Info, m);
    match event {
        E::Unconditional { reason } => info(format!("unconditional request: {reason}")),
        E::Discarded { reason } => info(format!("partial download discarded: {reason}")),
        E::Request {
            url,
            proxy,
            headers,
        } => {
            let via = proxy
                .as_ref()
                .map_or(String::new(), |p| format!(" via proxy {p}"));
            let sent = if headers.is_empty() {
                String::new()
            } else {
                format!(" ({})", headers.join("; "))
            };
            info(format!("request GET {url}{via}{sent}"))
        }
        E::Redirect { status, to } => info(format!("redirect {status} to {to}")),
        E::NotModified => info("304 Not Modified: unchanged".to_string()),
        E::Resume { from, total } => info(match total {
            Some(t) => format!("resume at byte {from} of {t}"),
            None => format!("resume at byte {from}"),
        }),
        E::Restart { reason } => {
            Entry::new(Level::Warning, format!("restart from byte 0: {reason}"))
        }
        E::Retry {
            attempt,
            of,
            wait,
            error,
        } => Entry::new(
            Level::Warning,
            format!(
                "retry {attempt} of {of} in {:.1} s after error: {error}",
                wait.as_secs_f64()
            ),
        ),
        E::Downloaded { size, received } => info(format!(
            "downloaded {size} bytes ({received} received in this run)"
        )),
        E::Verified => info("download verified".to_string()),
        E::Rejected { error } => Entry::new(
            Level::Error,
            format!("download rejected and removed, file untouched: {error}"),
        ),
        E::Replaced { file } => info(format!("replaced {file} with the verified download")),
        E::Saved { path } => info(format!("validators saved to {path}")),
        E::Warning { message } => Entry::new(Level::Warning, message.clone()),
    }
}

/// A fetch's result.
#[cfg(feature = "fetch")]
pub fn fetch(r: &crate::commands::fetch::FetchReport) -> Vec<Entry> {
    use crate::commands::fetch::FetchStatus;
    let what = match r.status {
        FetchStatus::Fetched => "fetched",
        FetchStatus::Unchanged => "unchanged",
    };
    vec![Entry::new(
        Level::Info,
        format!(
            "{what}: {} is {} bytes, SHA-256 {} (from {})",
            r.file, r.size, r.sha256, r.final_url
        ),
    )]
}

/// A log file that rolls over the way ConfigMgr's do: before a line would
/// take it past `max_bytes`, `X.log` is renamed `X.lo_` (replacing the
/// previous one) and a new `X.log` begins. A file never exceeds
/// `max_bytes` unless a single line does.
#[derive(Debug, Clone)]
pub struct RollingFile {
    path: PathBuf,
    max_bytes: u64,
}

impl RollingFile {
    /// A log at `path` that rolls over once it would pass `max_bytes`.
    pub fn new(path: &Path, max_bytes: u64) -> RollingFile {
        RollingFile {
            path: path.to_path_buf(),
            max_bytes,
        }
    }

    /// The current log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous log goes: the extension's last character becomes
    /// `_` (`wsuscat.log` → `wsuscat.lo_`), or `.lo_` is added when there is
    /// no extension.
    pub fn rolled_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        match path.extension().map(|e| e.to_string_lossy().into_owned()) {
            Some(ext) if !ext.is_empty() => {
                let mut ext = ext;
                ext.pop();
                ext.push('_');
                path.with_extension(ext)
            }
            _ => {
                name.push(".lo_");
                path.with_file_name(name)
            }
        }
    }

    /// Appends the lines, rolling over between them as needed. The size is
    /// read from the file, not remembered, so that runs sharing a log
    /// (several scheduled tasks) roll it over at the right size too.
    pub fn append(&self, lines: &[String]) -> io::Result<()> {
        let path = self.resolved();
        if super::device::is_device(&path) {
            // `--log NUL`: written straight into, never measured or rolled
            // (Windows has no size for a device and refuses append mode on it).
            let mut device = OpenOptions::new().write(true).open(&path)?;
            for line in lines {
                device.write_all(line.as_bytes())?;
            }
            return device.flush();
        }
        let (mut size, regular) = match fs::metadata(&path) {
            Ok(m) => (m.len(), m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, true),
            Err(e) => return Err(e),
        };
        let mut file = Self::open(&path)?;
        for line in lines {
            let len = line.len() as u64;
            // Only a regular file rolls over: a device (`/dev/null`, `NUL`)
            // or a pipe is written straight, never renamed.
            if regular && size > 0 && size + len > self.max_bytes {
                // Closed first: Windows does not rename a file this process
                // holds open.
                drop(file);
                fs::rename(&path, Self::rolled_path(&path))?;
                file = Self::open(&path)?;
                size = 0;
            }
            file.write_all(line.as_bytes())?;
            size += len;
        }
        file.flush()
    }

    /// The file the log really is: a symlink's target (so that rolling
    /// over renames the log, not the link an operator pointed at it, and
    /// the link keeps pointing at the current log), else the path itself.
    fn resolved(&self) -> PathBuf {
        let mut path = self.path.clone();
        // A chain of links is followed a bounded number of steps; a loop
        // is left to fail when the file is opened.
        for _ in 0..40 {
            match fs::read_link(&path) {
                Ok(target) => {
                    path = match path.parent() {
                        Some(dir) => dir.join(target),
                        None => target,
                    }
                }
                Err(_) => break,
            }
        }
        path
    }

    fn open(path: &Path) -> io::Result<fs::File> {
        OpenOptions::new().create(true).append(true).open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(bias: i32) -> Stamp {
        Stamp {
            year: 2026,
            month: 5,
            day: 2,
            hour: 8,
            minute: 7,
            second: 9,
            millisecond: 42,
            bias_minutes: bias,
        }
    }

    #[test]
    fn bias_sign_follows_windows() {
        let e = Entry::new(Level::Warning, "m".into());
        assert!(line(&e, &stamp(300), 7).contains("time=\"08:07:09.042+300\" date=\"05-02-2026\""));
        assert!(line(&e, &stamp(-120), 7).contains("time=\"08:07:09.042-120\""));
        assert!(line(&e, &stamp(0), 7).contains("time=\"08:07:09.042+000\""));
        assert!(line(&e, &stamp(0), 7).contains("type=\"2\" thread=\"7\""));
    }

    #[test]
    fn a_message_cannot_end_its_entry_or_break_its_line() {
        let e = Entry::new(Level::Info, "a]LOG]!>b\r\nc\nd".into());
        let l = line(&e, &stamp(0), 1);
        assert!(
            l.starts_with("<![LOG[a]LOG]!&gt;b  c d]LOG]!><time="),
            "{l}"
        );
        assert_eq!(l.matches("]LOG]!>").count(), 1);
        assert_eq!(l.trim_end_matches("\r\n").lines().count(), 1);
    }

    #[test]
    fn rolled_name_is_configmgrs() {
        assert_eq!(
            RollingFile::rolled_path(Path::new("/x/wsuscat.log")),
            Path::new("/x/wsuscat.lo_")
        );
        assert_eq!(
            RollingFile::rolled_path(Path::new("noext")),
            Path::new("noext.lo_")
        );
    }
}

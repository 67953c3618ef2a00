//! `--event-log`: one entry in the Windows Application event log at the end
//! of a run, so that a scheduled task's result shows in Event Viewer (and in
//! whatever forwards or alerts on that log) without a PowerShell wrapper
//! that reads the exit code and calls `Write-EventLog`.
//!
//! The entry has source `wsuscat`, event ID 1000 + the exit code (1000
//! compatible or no differences, 1001 incompatible or different, 1002 usage
//! or environment, 1003 unusable catalog, 1130 interrupted: the IDs
//! docs/recipes.md used before the flag existed), and type information for
//! exit 0, warning for 1, error otherwise. Its one insertion string says
//! what ran, on which catalog, with what verdict, and the first findings
//! or the error: the run's CMTrace entries (`Log::write` passes each
//! through [`note`]), bounded in count and in size.
//!
//! What Event Viewer shows depends on the source's registration, which is
//! an administrator's step (`wsuscat event-log install`, or `New-EventLog`;
//! see docs/windows.md): registered with .NET's EventLogMessages.dll as
//! its message file, whose every message is `%1`, it shows the text alone;
//! unregistered, it shows "The description for Event ID 1001 from source
//! wsuscat cannot be found. …" followed by the same text. The entry is
//! written either way.
//!
//! The event log never changes a run's outcome: an entry that cannot be
//! written is a warning on stderr (and in the `--log`), and the exit code
//! stays the run's own. Elsewhere than on Windows the flag is refused
//! before any work, by [`available`].

use std::path::Path;
use std::sync::Mutex;

use wsuscat::report::cmtrace::Entry;
use wsuscat::{Error, ErrorKind};

use crate::exit_codes;

/// The event source, as registered and as Event Viewer's Source column shows it.
pub const SOURCE: &str = "wsuscat";

/// The event ID of a run that exited with `code`.
pub fn event_id(code: i32) -> u32 {
    1000 + u32::try_from(code).unwrap_or(0)
}

/// Findings named in the entry; the rest are counted ("and N more").
const MAX_FINDINGS: usize = 10;
/// Characters of one line of the entry, so that one long profile message or
/// path cannot crowd out the rest.
const MAX_LINE_CHARS: usize = 1000;
/// UTF-16 units of the whole text: ReportEventW refuses an insertion string
/// longer than 31,839 characters; this leaves room below it.
const MAX_TEXT_UNITS: usize = 30_000;
const _: () = assert!(MAX_TEXT_UNITS < 31_839);

/// Entries other than findings kept for the text (a run logs a handful:
/// identity, signature, profiles, the verdict); past it, the latest one
/// takes the last place, so that the conclusion is never lost.
const MAX_OTHERS: usize = 64;

/// The run being recorded, when `--event-log` was given. Bounded: a run
/// that logs 137,000 findings keeps the first [`MAX_FINDINGS`] and a count.
struct Run {
    command: &'static str,
    catalogs: Vec<String>,
    findings: Vec<Entry>,
    more_findings: usize,
    others: Vec<Entry>,
}

impl Run {
    fn new(command: &'static str, catalogs: Vec<String>) -> Run {
        Run {
            command,
            catalogs,
            findings: Vec::new(),
            more_findings: 0,
            others: Vec::new(),
        }
    }

    fn record(&mut self, entry: &Entry) {
        if is_finding(entry) {
            if self.findings.len() < MAX_FINDINGS {
                self.findings.push(entry.clone());
            } else {
                self.more_findings += 1;
            }
        } else if self.others.len() < MAX_OTHERS {
            self.others.push(entry.clone());
        } else if let Some(last) = self.others.last_mut() {
            *last = entry.clone();
        }
    }
}

/// The run being recorded: set by [`begin`], filled by [`note`] (from
/// `Log::write`, on any thread) and taken by [`finish`] or [`interrupted`],
/// whichever comes first, so that a run writes at most one entry.
static RUN: Mutex<Option<Run>> = Mutex::new(None);

/// Whether this platform has an event log for `what` (`--event-log`,
/// `event-log install`) to use: on Windows it does; elsewhere this is a
/// usage error (exit 2), raised before any work.
pub fn available(what: &str) -> Result<(), Error> {
    if cfg!(windows) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Usage,
            format!(
                "{what} is Windows-only (it uses the Windows Application event log); \
                 on Linux and other systems, use --log FILE (a CMTrace log) or the exit code"
            ),
        ))
    }
}

/// Starts recording a run of `command` on `catalogs`.
pub fn begin(command: &'static str, catalogs: &[&Path]) {
    *RUN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Run::new(
        command,
        catalogs.iter().map(|p| p.display().to_string()).collect(),
    ));
}

/// Records what the run logs, when a run is being recorded.
pub fn note(entries: &[Entry]) {
    if let Some(run) = RUN.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        for entry in entries {
            run.record(entry);
        }
    }
}

/// Writes the run's entry, if one is being recorded, for exit `code`
/// (which `meaning` names). An error says why it could not be written; the
/// caller warns and keeps `code`.
pub fn finish(code: i32, meaning: &str) -> Result<(), Error> {
    let Some(run) = RUN.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return Ok(());
    };
    let text = text(&run, code, meaning);
    write(event_type(code), event_id(code), &text).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "cannot write the Windows event log entry (source {SOURCE}, event ID {}): {e}; \
                 the exit code is the run's own",
                event_id(code)
            ),
        )
    })
}

/// For the interrupt handler: the entry for exit code 130, with `err`.
pub fn interrupted(err: &Error) {
    note(&[wsuscat::report::cmtrace::error(err)]);
    let code = exit_codes::INTERRUPTED;
    if let Err(e) = finish(code, exit_codes::meaning(code)) {
        warn(&e);
    }
}

/// One warning line on stderr; a closed stderr is not worth a panic.
pub fn warn(err: &Error) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "wsuscat: warning: {}", err.message());
}

/// The kind of entry: information for exit 0, warning for 1 (incompatible,
/// or `diff`'s "different"), error for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Information,
    Warning,
    Error,
}

fn event_type(code: i32) -> EventType {
    match code {
        0 => EventType::Information,
        1 => EventType::Warning,
        _ => EventType::Error,
    }
}

/// Whether a logged entry is a finding, of which only the first
/// [`MAX_FINDINGS`] are named (docs/cmtrace-log.md gives their shape).
fn is_finding(entry: &Entry) -> bool {
    entry.message.starts_with("finding: ") || entry.message.starts_with("catalog finding: ")
}

/// The entry's text, most telling first, since Event Viewer's preview and
/// an alert's subject show the start: what ran and how it ended, the
/// catalog(s), the run's conclusion (its last logged entry: the verdict,
/// diff's summary, or the error that ended it), the first findings and how
/// many more there are, then the other entries as logged (the catalog's
/// identity, the signature, the profiles). Bounded by [`MAX_LINE_CHARS`] a
/// line and [`MAX_TEXT_UNITS`] in all.
fn text(run: &Run, code: i32, meaning: &str) -> String {
    let mut lines = vec![format!(
        "wsuscat {}: exit code {code} ({meaning})",
        run.command
    )];
    let label = if run.catalogs.len() == 1 {
        "catalog"
    } else {
        "catalogs"
    };
    lines.push(format!("{label}: {}", run.catalogs.join(", ")));
    let (conclusion, context) = match run.others.split_last() {
        Some((last, rest)) => (Some(last), rest),
        None => (None, &[][..]),
    };
    lines.extend(conclusion.map(|e| e.message.clone()));
    lines.extend(run.findings.iter().map(|e| e.message.clone()));
    if run.more_findings > 0 {
        lines.push(format!(
            "... and {} more finding(s): the report and the --log list every one",
            run.more_findings
        ));
    }
    lines.extend(context.iter().map(|e| e.message.clone()));
    let lines: Vec<String> = lines.iter().map(|l| bounded_line(l)).collect();
    bounded_text(&lines.join("\r\n"))
}

/// One line, on one line and at most [`MAX_LINE_CHARS`] characters.
fn bounded_line(line: &str) -> String {
    let flat: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX_LINE_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX_LINE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The text cut to at most [`MAX_TEXT_UNITS`] UTF-16 units, at a character
/// boundary, saying that it was cut.
fn bounded_text(text: &str) -> String {
    const CUT: &str = "\r\n... (cut: the report and the --log have the rest)";
    if text.encode_utf16().count() <= MAX_TEXT_UNITS {
        return text.to_string();
    }
    let budget = MAX_TEXT_UNITS - CUT.len();
    let mut units = 0;
    let mut out = String::new();
    for c in text.chars() {
        units += c.len_utf16();
        if units > budget {
            break;
        }
        out.push(c);
    }
    out + CUT
}

/// The source's key under HKEY_LOCAL_MACHINE, where the event log looks
/// up a source's message file.
pub const KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\wsuscat";
/// .NET Framework 4's message file, whose every message is `%1` (the
/// insertion string alone): what `New-EventLog` registers too. Present on
/// every Windows wsuscat runs on, unless .NET Framework 4 was removed.
const MESSAGE_FILE: &str =
    r"%SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll";

/// `event-log install`: registers the source in the Application log, with
/// [`MESSAGE_FILE`] when it is there. Returns what was done, for stdout.
pub fn install() -> Result<String, Error> {
    available("event-log install")?;
    let dll = std::env::var_os("SystemRoot").map(|root| {
        Path::new(&root).join(r"Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll")
    });
    let has_dll = dll.as_ref().is_some_and(|p| p.is_file());
    let mut values = vec![("TypesSupported", registry::Value::Dword(7))];
    if has_dll {
        values.push(("EventMessageFile", registry::Value::ExpandSz(MESSAGE_FILE)));
    }
    registry::create(KEY, &values).map_err(|e| elevation("register", &e))?;
    let file = if has_dll {
        format!("EventMessageFile {MESSAGE_FILE}")
    } else {
        format!(
            "no EventMessageFile: .NET Framework 4's EventLogMessages.dll is not at {}, so \
             Event Viewer shows each entry's text after \"The description for Event ID ... \
             cannot be found\"",
            dll.map_or_else(|| MESSAGE_FILE.to_string(), |p| p.display().to_string())
        )
    };
    Ok(format!(
        "registered the event source {SOURCE} in the Application log: HKLM\\{KEY}, \
         TypesSupported 7, {file}\n"
    ))
}

/// `event-log uninstall`: removes the source's key. Not an error when it
/// was not there. Returns what was done, for stdout.
pub fn uninstall() -> Result<String, Error> {
    available("event-log uninstall")?;
    match registry::delete(KEY) {
        Ok(true) => Ok(format!("removed the event source {SOURCE}: HKLM\\{KEY}\n")),
        Ok(false) => Ok(format!(
            "the event source {SOURCE} was not registered (no HKLM\\{KEY}); nothing to remove\n"
        )),
        Err(e) => Err(elevation("remove", &e)),
    }
}

/// A registry failure, with what to do about the usual one: HKLM is
/// writable only from an elevated prompt.
fn elevation(verb: &str, e: &std::io::Error) -> Error {
    let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
        "; run it from an elevated prompt (Run as administrator)"
    } else {
        ""
    };
    Error::new(
        ErrorKind::Io,
        format!("cannot {verb} the event source {SOURCE} (HKLM\\{KEY}): {e}{hint}"),
    )
}

/// A value of the source's key.
// Read only by the Windows registry calls.
#[cfg_attr(not(windows), allow(dead_code))]
pub enum RegValue<'a> {
    Dword(u32),
    ExpandSz(&'a str),
}

/// The registry, through windows-sys: std has no access to it.
#[cfg(windows)]
mod registry {
    use std::io;
    use std::ptr::{null, null_mut};

    use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS};
    use windows_sys::Win32::System::Registry::{
        RegCloseKey, RegCreateKeyExW, RegDeleteKeyExW, RegSetValueExW, HKEY_LOCAL_MACHINE,
        KEY_SET_VALUE, KEY_WOW64_64KEY, REG_DWORD, REG_EXPAND_SZ, REG_OPTION_NON_VOLATILE,
    };

    pub use super::RegValue as Value;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(Some(0)).collect()
    }

    fn checked(rc: u32) -> io::Result<()> {
        if rc == ERROR_SUCCESS {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(rc as i32))
        }
    }

    /// Creates `key` under HKLM (64-bit view) and sets `values` in it.
    pub fn create(key: &str, values: &[(&str, Value)]) -> io::Result<()> {
        let mut hkey = null_mut();
        // SAFETY: NUL-terminated UTF-16 in, a key handle out, closed below.
        checked(unsafe {
            RegCreateKeyExW(
                HKEY_LOCAL_MACHINE,
                wide(key).as_ptr(),
                0,
                null(),
                REG_OPTION_NON_VOLATILE,
                KEY_SET_VALUE | KEY_WOW64_64KEY,
                null(),
                &mut hkey,
                null_mut(),
            )
        })?;
        let mut result = Ok(());
        for (name, value) in values {
            let (kind, bytes): (u32, Vec<u8>) = match value {
                Value::Dword(d) => (REG_DWORD, d.to_le_bytes().to_vec()),
                Value::ExpandSz(s) => (
                    REG_EXPAND_SZ,
                    wide(s).iter().flat_map(|u| u.to_le_bytes()).collect(),
                ),
            };
            let len = u32::try_from(bytes.len()).expect("a short value");
            // SAFETY: an open key, a NUL-terminated name, `len` bytes of data.
            result = checked(unsafe {
                RegSetValueExW(hkey, wide(name).as_ptr(), 0, kind, bytes.as_ptr(), len)
            });
            if result.is_err() {
                break;
            }
        }
        // SAFETY: the handle RegCreateKeyExW opened, closed once.
        unsafe { RegCloseKey(hkey) };
        result
    }

    /// Deletes `key` under HKLM (64-bit view): false when it was not there.
    pub fn delete(key: &str) -> io::Result<bool> {
        // SAFETY: a NUL-terminated UTF-16 name.
        let rc =
            unsafe { RegDeleteKeyExW(HKEY_LOCAL_MACHINE, wide(key).as_ptr(), KEY_WOW64_64KEY, 0) };
        match rc {
            ERROR_FILE_NOT_FOUND => Ok(false),
            rc => checked(rc).map(|()| true),
        }
    }
}

/// Never reached: [`available`] refuses `event-log install` here first.
#[cfg(not(windows))]
mod registry {
    use std::io;

    pub use super::RegValue as Value;

    fn unsupported() -> io::Error {
        io::Error::new(io::ErrorKind::Unsupported, "no Windows registry here")
    }

    pub fn create(_key: &str, _values: &[(&str, Value)]) -> io::Result<()> {
        Err(unsupported())
    }

    pub fn delete(_key: &str) -> io::Result<bool> {
        Err(unsupported())
    }
}

#[cfg(windows)]
fn write(kind: EventType, id: u32, text: &str) -> std::io::Result<()> {
    use windows_sys::Win32::System::EventLog::{
        DeregisterEventSource, RegisterEventSourceW, ReportEventW, EVENTLOG_ERROR_TYPE,
        EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
    };
    let wide = |s: &str| -> Vec<u16> { s.encode_utf16().chain(Some(0)).collect() };
    let source = wide(SOURCE);
    let message = wide(text);
    let strings = [message.as_ptr()];
    let kind = match kind {
        EventType::Information => EVENTLOG_INFORMATION_TYPE,
        EventType::Warning => EVENTLOG_WARNING_TYPE,
        EventType::Error => EVENTLOG_ERROR_TYPE,
    };
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the
    // calls; a null server name is the local machine; the handle is
    // checked before use and released once.
    unsafe {
        let handle = RegisterEventSourceW(std::ptr::null(), source.as_ptr());
        if handle.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        let ok = ReportEventW(
            handle,
            kind,
            0,
            id,
            std::ptr::null_mut(),
            1,
            0,
            strings.as_ptr(),
            std::ptr::null(),
        );
        let result = if ok == 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        };
        DeregisterEventSource(handle);
        result
    }
}

/// Never reached: [`available`] refuses `--event-log` here before a run
/// is recorded.
#[cfg(not(windows))]
fn write(_kind: EventType, _id: u32, _text: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no Windows event log on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsuscat::report::cmtrace::Level;

    fn entry(level: Level, message: &str) -> Entry {
        Entry {
            level,
            message: message.to_string(),
        }
    }

    fn run(entries: Vec<Entry>) -> Run {
        let mut run = Run::new("check", vec![r"C:\WSUS\wsusscn2.cab".to_string()]);
        for e in &entries {
            run.record(e);
        }
        run
    }

    #[test]
    fn ids_and_types_follow_the_exit_code() {
        assert_eq!(
            [0, 1, 2, 3, 130].map(event_id),
            [1000, 1001, 1002, 1003, 1130]
        );
        assert_eq!(event_type(0), EventType::Information);
        assert_eq!(event_type(1), EventType::Warning);
        assert_eq!(event_type(2), EventType::Error);
        assert_eq!(event_type(3), EventType::Error);
        assert_eq!(event_type(130), EventType::Error);
    }

    #[test]
    fn the_text_leads_with_the_outcome_and_names_ten_findings_then_counts_the_rest() {
        let mut entries = vec![entry(
            Level::Info,
            "catalog C:\\WSUS\\wsusscn2.cab: 1 bytes",
        )];
        for i in 0..13 {
            entries.push(entry(
                Level::Error,
                &format!("finding: RevisionId {i} breaks"),
            ));
        }
        entries.push(entry(
            Level::Error,
            "verdict INCOMPATIBLE: 13 breaking finding(s)",
        ));
        let text = text(&run(entries), 1, "incompatible");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "wsuscat check: exit code 1 (incompatible)");
        assert_eq!(lines[1], r"catalog: C:\WSUS\wsusscn2.cab");
        assert_eq!(lines[2], "verdict INCOMPATIBLE: 13 breaking finding(s)");
        assert_eq!(lines[3], "finding: RevisionId 0 breaks");
        assert_eq!(lines[12], "finding: RevisionId 9 breaks");
        assert_eq!(
            lines[13],
            "... and 3 more finding(s): the report and the --log list every one"
        );
        assert_eq!(lines[14], r"catalog C:\WSUS\wsusscn2.cab: 1 bytes");
        assert_eq!(lines.len(), 15);
    }

    #[test]
    fn a_run_of_a_whole_catalogs_findings_keeps_a_bounded_record() {
        let mut r = run(Vec::new());
        for i in 0..137_000 {
            r.record(&entry(
                Level::Error,
                &format!("finding: RevisionId {i} breaks"),
            ));
        }
        for i in 0..200 {
            r.record(&entry(Level::Info, &format!("context {i}")));
        }
        r.record(&entry(Level::Error, "verdict INCOMPATIBLE"));
        assert_eq!(r.findings.len(), MAX_FINDINGS);
        assert_eq!(r.more_findings, 137_000 - MAX_FINDINGS);
        assert_eq!(r.others.len(), MAX_OTHERS);
        let text = text(&r, 1, "incompatible");
        assert_eq!(text.split("\r\n").nth(2), Some("verdict INCOMPATIBLE"));
        assert!(text.contains("... and 136990 more finding(s)"), "{text}");
    }

    #[test]
    fn ten_findings_or_fewer_are_all_named_without_a_count() {
        let entries = (0..10)
            .map(|i| entry(Level::Error, &format!("catalog finding: X{i}")))
            .collect();
        let text = text(&run(entries), 1, "incompatible");
        assert!(text.contains("catalog finding: X9"), "{text}");
        assert!(!text.contains("more finding"), "{text}");
    }

    #[test]
    fn the_text_stays_within_an_insertion_strings_limit() {
        let long = "é".repeat(5000) + "\u{1F600}";
        let entries = (0..40).map(|_| entry(Level::Info, &long)).collect();
        let text = text(&run(entries), 3, "unusable catalog");
        let units = text.encode_utf16().count();
        assert!(units <= MAX_TEXT_UNITS, "{units}");
        assert!(text.ends_with("(cut: the report and the --log have the rest)"));
        assert!(text
            .split("\r\n")
            .all(|l| l.chars().count() <= MAX_LINE_CHARS));
    }

    #[test]
    fn an_error_run_says_the_error_and_a_line_break_cannot_split_a_line() {
        let entries = vec![entry(Level::Error, "error: bad\nthing")];
        let text = text(&run(entries), 3, "unusable catalog");
        assert_eq!(
            text,
            "wsuscat check: exit code 3 (unusable catalog)\r\ncatalog: C:\\WSUS\\wsusscn2.cab\r\nerror: bad thing"
        );
    }
}

//! The `--log` CMTrace log: the clock and the file; the lines themselves
//! are rendered by `wsuscat::report::cmtrace`.

use std::sync::Mutex;

use chrono::{DateTime, Datelike, FixedOffset, Local, Timelike, Utc};
use wsuscat::report::cmtrace::{self, Entry, RollingFile, Stamp};
use wsuscat::{Error, ErrorKind};

use crate::cli::LogArgs;
use crate::exit_codes;

/// For tests only: the local zone's offset from UTC in minutes (east
/// positive, as in ISO 8601: -300 is UTC−05:00), instead of the machine's.
const TZ_OVERRIDE: &str = "WSUSCAT_LOG_TZ_OFFSET_MINUTES";

/// The open log, for the interrupt handler (which runs on its own thread).
static OPEN: Mutex<Option<RollingFile>> = Mutex::new(None);

/// A run's log, or nothing when `--log` was not given.
pub struct Log {
    file: Option<RollingFile>,
}

impl Log {
    /// No log: for failures before the log could be opened.
    pub fn disabled() -> Log {
        Log { file: None }
    }

    /// Opens the log and writes the start line. A log that cannot be written
    /// fails the run before any work: a scheduled task that asked for a log
    /// must not run without one.
    pub fn open(args: &LogArgs) -> Result<Log, Error> {
        let Some(path) = &args.log else {
            return Ok(Log { file: None });
        };
        let log = Log {
            file: Some(RollingFile::new(path, args.log_max_bytes)),
        };
        // A log that did not exist and cannot be written (a full disk,
        // `ulimit -f`) is removed again rather than left empty.
        let existed = std::fs::symlink_metadata(path).is_ok();
        let command_line: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        log.try_write(&[cmtrace::start(
            env!("CARGO_PKG_VERSION"),
            &command_line.join(" "),
        )])
        .map_err(|e| {
            if !existed && std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
                let _ = std::fs::remove_file(path);
            }
            Error::new(ErrorKind::Io, format!("cannot write the log: {e}")).with_file(path)
        })?;
        *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = log.file.clone();
        Ok(log)
    }

    fn try_write(&self, entries: &[Entry]) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let stamp = now();
        // The process id: stable for the run, and it tells apart runs that
        // share one log.
        let thread = std::process::id();
        let lines: Vec<String> = entries
            .iter()
            .map(|e| cmtrace::line(e, &stamp, thread))
            .collect();
        file.append(&lines)
    }

    /// Writes entries. Once the run has started, a failing log only warns:
    /// the verdict and its exit code matter more than the log.
    pub fn write(&self, entries: &[Entry]) {
        // What the run says goes into its --event-log entry too, with or
        // without a --log.
        crate::event_log::note(entries);
        if let Err(e) = self.try_write(entries) {
            let path = self.file.as_ref().map(|f| f.path().to_path_buf());
            let mut err = Error::new(ErrorKind::Io, format!("cannot write the log: {e}"));
            if let Some(p) = path {
                err = err.with_file(&p);
            }
            eprint!(
                "{}",
                wsuscat::report::error(&err, wsuscat::report::Format::Human)
            );
        }
    }

    /// Writes the exit code line with the command's own `meaning` of it
    /// (`diff`'s 1 is "different", not "incompatible") and returns the code.
    pub fn exit_meaning(&self, code: i32, meaning: &str) -> i32 {
        self.write(&[cmtrace::exit(code, meaning)]);
        code
    }
}

/// For the interrupt handler: the error and the exit code 130 in the open
/// log, if there is one.
pub fn interrupted(err: &Error) {
    let file = OPEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let log = Log { file };
    let code = exit_codes::INTERRUPTED;
    let _ = log.try_write(&[
        cmtrace::error(err),
        cmtrace::exit(code, exit_codes::meaning(code)),
    ]);
    crate::event_log::interrupted(err);
}

fn now() -> Stamp {
    let utc = Utc::now();
    let forced = std::env::var(TZ_OVERRIDE)
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .and_then(|minutes| FixedOffset::east_opt(minutes * 60));
    match forced {
        Some(offset) => stamp(utc.with_timezone(&offset)),
        None => stamp(utc.with_timezone(&Local).fixed_offset()),
    }
}

fn stamp(t: DateTime<FixedOffset>) -> Stamp {
    Stamp {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        // A leap second shows as 1000+ ms; CMTrace wants three digits.
        millisecond: t.timestamp_subsec_millis().min(999),
        // Windows' bias is UTC − local; chrono's offset is local − UTC.
        bias_minutes: -t.offset().local_minus_utc() / 60,
    }
}

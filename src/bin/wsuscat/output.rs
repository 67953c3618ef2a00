//! Writing a report to `--output` atomically, and leaving no temp file
//! behind when the run is interrupted.
//!
//! The report is rendered in memory first; only then is a temp file created
//! beside the target (same directory, so the rename cannot cross file
//! systems), written, synced, and renamed over the target. A reader, or a
//! scheduled task that runs after a crash, sees the old report or the new
//! one, never half of one. Ctrl-C, SIGTERM and closing the console run the
//! handler installed here, which removes the temp file; SIGKILL cannot be
//! caught, which is why the temp file lives only for the write and rename.
//!
//! Only a regular file (or a name not yet taken) is replaced. A symlink is
//! written through: its target is replaced atomically, with the temp file
//! beside the target, and the link stays. A device, FIFO or socket
//! (`/dev/null`, `NUL`) is written straight into, with no temp file and no
//! rename: replacing `/dev/null` with a report would break the machine.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::exit_codes;

/// The temp file being written, if any. Held locked for the whole write and
/// rename, so that the interrupt handler either runs before the file exists
/// or after it has become the target.
static TEMP: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The temporary files of an install (the copy beside TARGET, a copy of the
/// previous generation being made), which live for the whole check and
/// verify: unlike [`TEMP`], the list is locked only for each step that
/// creates, renames or removes one of them (see `wsuscat::Cleanup`), so
/// that Ctrl-C during a long check is acted on at once.
static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The interrupt handler's list of files to remove, for the library.
pub struct Scratch;

impl wsuscat::Cleanup for Scratch {
    fn with_list(&self, step: &mut dyn FnMut(&mut Vec<PathBuf>)) {
        step(&mut SCRATCH.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Installs the handler for Ctrl-C, SIGTERM and console close. Without it
/// the process would still die at once; it would only leave a temp file.
/// The handler says so on stderr and in the log (if one is open), so that an
/// operator can tell an interrupted run from a hung one.
pub fn install_interrupt_handler() {
    ignore_file_size_signal();
    let _ = ctrlc::set_handler(|| {
        let temp = TEMP.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = temp.as_ref() {
            let _ = fs::remove_file(path);
        }
        // Held until the process exits: an install step that would create
        // or rename a file waits here and never runs.
        let scratch = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
        for path in scratch.iter() {
            let _ = fs::remove_file(path);
        }
        let err = wsuscat::Error::new(
            wsuscat::ErrorKind::Io,
            "interrupted (Ctrl-C, SIGTERM or the console closed) before the run finished",
        );
        // Not eprint!: a closed stderr must not panic this thread and
        // leave the run going.
        let _ = io::stderr()
            .write_all(wsuscat::report::error(&err, wsuscat::report::Format::Human).as_bytes());
        crate::log::interrupted(&err);
        std::process::exit(exit_codes::INTERRUPTED);
    });
}

/// `ulimit -f` exceeded: by default SIGXFSZ kills the process mid-write and
/// leaves the temp file. Ignored, the write fails with EFBIG instead, and
/// the failure is reported and cleaned up like any other.
#[cfg(unix)]
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN, before any other
    // thread exists; no handler code runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_file_size_signal() {}

/// `.NAME.wsuscat-tmp-PID` beside the target: hidden on Unix, and named
/// after its owner so an administrator knows what a leftover is.
fn temp_path(target: &Path) -> io::Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".wsuscat-tmp-{}", std::process::id()));
    Ok(target.with_file_name(temp))
}

/// Where `target` says to write: a regular file's path (or a new name) to
/// replace atomically, or something else to write straight into.
enum Destination {
    Replace(PathBuf),
    Straight,
}

fn destination(target: &Path) -> io::Result<Destination> {
    if wsuscat::report::device::is_device(target) {
        // `NUL`, `CON`: Windows answers a metadata query on them with an
        // error, so they are known by name (see the function's docs).
        return Ok(Destination::Straight);
    }
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Destination::Replace(target.to_path_buf()))
        }
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return match fs::canonicalize(target) {
            // The link's target: replaced like any other path, so a dangling
            // link gets its file created, and a link to /dev/null is written
            // straight into.
            Ok(resolved) => match destination(&resolved)? {
                Destination::Replace(p) => Ok(Destination::Replace(p)),
                Destination::Straight => Ok(Destination::Straight),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let link = fs::read_link(target)?;
                let resolved = match target.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
                Ok(Destination::Replace(resolved))
            }
            Err(e) => Err(e),
        };
    }
    if meta.is_file() {
        Ok(Destination::Replace(target.to_path_buf()))
    } else if meta.is_dir() {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory",
        ))
    } else {
        Ok(Destination::Straight)
    }
}

/// Replaces `target` with `bytes`, atomically when it is a regular file or
/// a new name (through a symlink, its target), straight into it when it is
/// a device or a pipe.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(target, b"", &|f| f.write_all(bytes))
}

/// [`write_atomically`] for a report written as it is made, by `write`
/// (buffered here): the temporary file grows, memory does not. A file
/// starts with `file_preamble` (CSV's byte order mark); a device or a pipe
/// does not (on the console, a BOM shows as `∩╗┐`).
pub fn write_atomically_with(
    target: &Path,
    file_preamble: &[u8],
    write: &dyn Fn(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let buffered = |f: File, preamble: &[u8]| {
        let mut w = io::BufWriter::new(f);
        w.write_all(preamble)?;
        write(&mut w)?;
        w.flush()?;
        w.into_inner().map_err(io::IntoInnerError::into_error)
    };
    let target = match destination(target)? {
        Destination::Replace(p) => p,
        Destination::Straight => {
            let f = fs::OpenOptions::new().write(true).open(target)?;
            return buffered(f, b"").map(drop);
        }
    };
    let target = target.as_path();
    let temp = temp_path(target)?;
    let mut registered = TEMP.lock().unwrap_or_else(|e| e.into_inner());
    *registered = Some(temp.clone());
    let result = File::create(&temp)
        .and_then(|f| buffered(f, file_preamble))
        .and_then(|f| f.sync_all())
        .and_then(|()| replace(&temp, target));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    *registered = None;
    result
}

/// Renames `temp` over `target`, retried while Windows says another
/// program holds it open (`wsuscat::commands::replace_file`), and then
/// fails with an error that says what to do. The old file is left as it
/// was; the temp file is removed by the caller.
fn replace(temp: &Path, target: &Path) -> io::Result<()> {
    wsuscat::commands::replace_file(temp, target).map_err(|e| {
        if wsuscat::commands::held_open(&e) {
            io::Error::new(
                e.kind(),
                format!(
                    "it is open in another program, or read-only ({e}); close it (Excel \
                     keeps an open CSV locked) and run again: the old file is unchanged"
                ),
            )
        } else {
            e
        }
    })
}

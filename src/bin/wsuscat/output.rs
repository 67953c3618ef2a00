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

/// Installs the handler for Ctrl-C, SIGTERM and console close. Without it
/// the process would still die at once; it would only leave a temp file.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        let temp = TEMP.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = temp.as_ref() {
            let _ = fs::remove_file(path);
        }
        std::process::exit(exit_codes::INTERRUPTED);
    });
}

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

/// Replaces `target` with `bytes`, atomically.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path(target)?;
    let mut registered = TEMP.lock().unwrap_or_else(|e| e.into_inner());
    *registered = Some(temp.clone());
    let result = File::create(&temp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&temp, target));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    *registered = None;
    result
}

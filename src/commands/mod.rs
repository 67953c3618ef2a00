//! The commands: each one runs the layers below it over a catalog and
//! returns its report as data.
//!
//! One module per command (`check`, `verify`, `info`, `list`, `show`,
//! `diff`, `fetch`, `install`, and `generate`, which writes synthetic
//! catalogs for tests and benchmarks). Commands do not call each other: what
//! two of them share belongs to a layer below, and `install` and `fetch`,
//! which gate on check and verify, take them as their caller's judge. How a report is shown is the report layer's
//! job, and argv and exit codes are the binary's.

pub mod check;
pub mod diff;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod generate;
pub mod info;
pub mod install;
pub mod list;
pub mod show;
pub mod verify;

/// Renames `temp` over `target`: atomic on one volume, so that a reader
/// of `target` sees the old file or the new one, never half of one. On
/// Windows a target that another program holds open without sharing
/// delete (an antivirus scanner or the indexer, briefly; Excel, for as
/// long as it has the file) cannot be replaced: the rename is retried for
/// about two seconds, which outlasts a scanner, and then the last error is
/// returned. `target` is then as it was; removing `temp` is the caller's
/// choice (a report's temp file is garbage, a verified download is not).
pub fn replace_file(temp: &std::path::Path, target: &std::path::Path) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::rename(temp, target) {
            Err(e) if held_open(&e) && tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// ERROR_ACCESS_DENIED (5), ERROR_SHARING_VIOLATION (32) and
/// ERROR_LOCK_VIOLATION (33): what Windows answers a rename over a file
/// that is open elsewhere. Unix replaces an open file (its reader keeps
/// the old one), so this never holds there.
pub fn held_open(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

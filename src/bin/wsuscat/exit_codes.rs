//! The exit codes, in one place. Scheduled tasks and ConfigMgr steps act on
//! these, so they never change meaning. 3010, 1641, 1618 and 1707 are avoided:
//! ConfigMgr reserves them.

use wsuscat::ErrorKind;

/// The catalog was read completely and nothing in it breaks the consumer.
pub const COMPATIBLE: i32 = 0;
/// At least one finding of severity `breaks`.
pub const FINDINGS: i32 = 1;
/// `diff`: the two catalogs do not differ.
pub const SAME: i32 = 0;
/// `diff`: the two catalogs differ.
pub const DIFFERENT: i32 = 1;
/// `install`: the copy passed check and verify and is now the target.
pub const INSTALLED: i32 = 0;
/// Usage or environment error: bad arguments, missing file, unreadable profile, I/O.
pub const USAGE: i32 = 2;
/// The catalog itself is unusable: not a cab, truncated, corrupt, malformed,
/// missing package.cab / package.xml / updates, or not validly signed.
pub const CATALOG: i32 = 3;

/// Interrupted by Ctrl-C, SIGTERM or closing the console, before the run
/// finished: 128 + SIGINT, as shells report it, and far from 0–3 so that no
/// interrupted run reads as a verdict. An `--output` in progress was
/// removed, never left half-written; one line on stderr and an entry in
/// the log say the run was interrupted.
pub const INTERRUPTED: i32 = 130;

/// The table printed in `--help` and pinned by tests/it/report_formats.rs. A
/// macro, so that `concat!` can put it into the clap help texts.
#[macro_export]
macro_rules! exit_codes_table {
    () => {
        "\
Exit codes:
  0    compatible: the catalog was read completely and has no breaking finding
  1    incompatible: at least one breaking finding
  2    usage or environment error (bad arguments, missing file, I/O, bad profile,
       report or log not writable)
  3    unusable catalog (not a cab, truncated, corrupt block or checksum,
       package.cab or package.xml missing, malformed XML, no <Update>,
       unsigned, bad or untrusted signature)
  130  interrupted (Ctrl-C, SIGTERM); no half-written --output is left"
    };
}

/// What an exit code means, in the words of the table, for the log.
pub fn meaning(code: i32) -> &'static str {
    match code {
        COMPATIBLE => "compatible",
        FINDINGS => "incompatible",
        USAGE => "usage or environment error",
        CATALOG => "unusable catalog",
        INTERRUPTED => "interrupted",
        _ => "unknown",
    }
}

/// What `diff`'s exit code means, for its log: 0 and 1 are `no
/// differences` and `different` there, not a verdict.
pub fn diff_meaning(code: i32) -> &'static str {
    match code {
        SAME => "no differences",
        DIFFERENT => "different",
        _ => meaning(code),
    }
}

/// What `install`'s exit code means, for its log: whatever the cause,
/// anything but 0 left the target as it was.
pub fn install_meaning(code: i32) -> &'static str {
    match code {
        INSTALLED => "installed",
        FINDINGS => "incompatible, not installed",
        USAGE => "usage or environment error, not installed",
        CATALOG => "unusable catalog, not installed",
        _ => meaning(code),
    }
}

/// What `fetch`'s exit code means, for its log. Its 0 is "a verified
/// catalog is in place": a new one, or the one already there (304), since
/// Task Scheduler shows any other code as a failure; 2 covers the network
/// (`ErrorKind::Network`), 3 a download that failed verification.
pub fn fetch_meaning(code: i32) -> &'static str {
    match code {
        COMPATIBLE => "a verified catalog is in place: fetched or unchanged",
        USAGE => "network, usage or environment error",
        CATALOG => "the download failed verification",
        _ => meaning(code),
    }
}

/// The only place an error becomes an exit code.
pub fn for_error(kind: ErrorKind) -> i32 {
    if kind.is_catalog_fault() {
        CATALOG
    } else {
        USAGE
    }
}

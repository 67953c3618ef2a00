//! `install`: put a new catalog where a sync reads it, only if it passes.
//!
//! The gate: NEW is copied to a temp file beside TARGET (the same folder, so
//! that the final rename never crosses volumes), the copy is judged — the
//! caller's judge runs check and verify on it, since commands do not call
//! each other — and only a copy that passed is renamed over TARGET. The
//! bytes judged are the bytes that become TARGET: NEW may be a download
//! cache that changes meanwhile, and a copy may go wrong.
//!
//! Before the rename the previous TARGET is kept, by a hard link where the
//! volume allows it and else by a copy, in a folder that is not TARGET's
//! own (the folder a sync reads may be replicated, and would then publish
//! the old generations too). TARGET therefore never disappears: a reader
//! sees the old file or the new one, whole.
//!
//! Every temporary file is put on the caller's [`Cleanup`] list before it
//! exists and taken off once it is gone or has become TARGET, so that an
//! interrupt, which only the caller can catch, removes exactly what is
//! left. On any failure TARGET is untouched and the temp file removed.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// How many previous generations `install` keeps unless told otherwise.
pub const DEFAULT_KEEP: usize = 3;

/// How long a replacement that another program blocks is retried unless
/// told otherwise. An antivirus scanner or the indexer opens a freshly
/// written file for a few seconds — a whole catalog of a gigabyte takes
/// longer to scan than a report — so the retry is longer than `--output`'s
/// two seconds; a sync that is reading TARGET holds it for minutes, and
/// waiting for that would only delay the error.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(10);

/// The folder, beside TARGET's folder, that holds the previous generations
/// by default (see [`default_keep_dir`]).
pub const KEEP_DIR_NAME: &str = "wsuscat-previous";

/// The files an interrupt must remove, kept by the caller: only the caller
/// can catch Ctrl-C or SIGTERM. The library adds a temporary file to the
/// list in the same `step` that creates it, and takes it off in the same
/// `step` that renames or removes it, so that an interrupt between two
/// steps finds the list true.
pub trait Cleanup: Sync {
    /// Runs `step` with the list; an interrupt that arrives during `step`
    /// must wait for it, then remove every file on the list.
    fn with_list(&self, step: &mut dyn FnMut(&mut Vec<PathBuf>));
}

/// A list nobody acts on, for callers without an interrupt handler.
struct NoCleanup(std::sync::Mutex<Vec<PathBuf>>);

impl Cleanup for NoCleanup {
    fn with_list(&self, step: &mut dyn FnMut(&mut Vec<PathBuf>)) {
        step(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// How `install` runs.
pub struct InstallOptions<'a> {
    /// How many previous generations of TARGET to keep; 0 keeps none.
    pub keep: usize,
    /// Where to keep them; `None` is [`default_keep_dir`].
    pub keep_dir: Option<PathBuf>,
    /// How long a rename that another program blocks (Windows: a sharing
    /// violation) is retried before it is reported.
    pub retry: Duration,
    /// The caller's list of files to remove on an interrupt.
    pub cleanup: Option<&'a dyn Cleanup>,
}

impl Default for InstallOptions<'_> {
    fn default() -> Self {
        InstallOptions {
            keep: DEFAULT_KEEP,
            keep_dir: None,
            retry: DEFAULT_RETRY,
            cleanup: None,
        }
    }
}

/// What the judge said of the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The copy passed and is now TARGET.
    Installed,
    /// The copy did not pass (check found it incompatible): TARGET is
    /// unchanged.
    Refused,
}

/// How the previous TARGET was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptBy {
    /// A second name for the same file: no bytes copied.
    HardLink,
    /// A copy: the keep folder is on another volume, or its file system
    /// has no hard links.
    Copy,
}

/// The previous TARGET, kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Where it is now.
    pub path: String,
    /// How it got there.
    pub by: KeptBy,
}

/// What an install did, as data.
#[derive(Debug, Clone, Serialize)]
pub struct Installation {
    /// NEW, as the caller gave it.
    pub new: String,
    /// TARGET, as the caller gave it.
    pub target: String,
    /// The size of the copy that was judged.
    pub size: u64,
    /// Whether TARGET now holds the copy.
    pub outcome: Outcome,
    /// Whether there was a TARGET before.
    pub replaced: bool,
    /// The previous TARGET, when it was kept (installed, TARGET existed,
    /// and `keep` is not 0).
    pub kept: Option<Kept>,
    /// The folder generations are kept in (`None` with `keep` 0, or when
    /// there was no TARGET to keep).
    pub keep_dir: Option<String>,
    /// Older generations removed to keep `keep`.
    pub pruned: Vec<String>,
    /// What went wrong after TARGET was replaced, and so changes nothing
    /// about the outcome (an old generation that could not be removed).
    pub warnings: Vec<String>,
}

/// The default keep folder for `target`: `wsuscat-previous\FOLDER` beside
/// TARGET's folder (`…\Microsoft Updates Inventory Tool\wsuscat-previous\PkgSource`
/// for `…\Microsoft Updates Inventory Tool\PkgSource\wsusscn2.cab`). Beside,
/// not inside: the folder a sync reads may be replicated or scanned whole.
/// On the same volume, so that keeping a generation is a hard link, not a
/// copy of a gigabyte. Named after TARGET's folder, so that two targets of
/// the same name in sibling folders do not prune each other's generations.
/// `None` when TARGET's folder is a root (it has no folder beside it).
pub fn default_keep_dir(target: &Path) -> Option<PathBuf> {
    let folder = absolute(target).parent()?.to_path_buf();
    let name = folder.file_name()?.to_os_string();
    Some(folder.parent()?.join(KEEP_DIR_NAME).join(name))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The temp file an install copies NEW to: `.NAME.wsuscat-install-PID`
/// beside `target`, hidden on Unix and named after its owner, so that an
/// administrator knows what a leftover of a killed run is.
pub fn temp_path(target: &Path) -> Option<PathBuf> {
    let mut name = OsString::from(".");
    name.push(target.file_name()?);
    name.push(format!(".wsuscat-install-{}", std::process::id()));
    Some(target.with_file_name(name))
}

/// Copies `new` beside `target`, asks `judge` about the copy, and when it
/// passes keeps the previous `target` and renames the copy over it.
///
/// `judge` gets the copy's path and returns whether it passed (`Ok(false)`:
/// incompatible) or the error that makes it unusable. Its errors come back
/// naming `new` instead of the copy, which is gone by then and was
/// byte-identical to `new` when it was made. Any error leaves `target`
/// byte-identical and no temp file.
pub fn install(
    new: &Path,
    target: &Path,
    options: &InstallOptions<'_>,
    judge: &mut dyn FnMut(&Path) -> Result<bool>,
) -> Result<Installation> {
    let fallback = NoCleanup(std::sync::Mutex::new(Vec::new()));
    let cleanup = options.cleanup.unwrap_or(&fallback);
    let plan = Plan::new(new, target, options)?;
    let size = plan.copy(new, cleanup)?;
    let passed = match judge(&plan.temp) {
        Ok(passed) => passed,
        Err(mut err) => {
            plan.discard(cleanup);
            if err.place().file.as_deref() == Some(plan.temp.as_path()) {
                err.place_mut().file = Some(new.to_path_buf());
            }
            return Err(err);
        }
    };
    let mut installation = Installation {
        new: new.display().to_string(),
        target: target.display().to_string(),
        size,
        outcome: Outcome::Refused,
        replaced: plan.existed,
        kept: None,
        keep_dir: plan.keep_dir.as_ref().map(|d| d.display().to_string()),
        pruned: Vec::new(),
        warnings: Vec::new(),
    };
    if !passed {
        plan.discard(cleanup);
        return Ok(installation);
    }
    let deadline = std::time::Instant::now() + options.retry;
    // Windows: a TARGET another program holds without sharing delete can
    // be neither replaced nor, once linked, unlinked again; so wait for it
    // to be free before keeping it, and keep nothing when it stays held.
    if plan.existed {
        if let Err(e) = retry_held(deadline, &mut || deletable(&plan.target)) {
            plan.discard(cleanup);
            return Err(plan.not_replaced(e, options.retry, None));
        }
    }
    let kept = match plan.keep_previous(cleanup) {
        Ok(k) => k,
        Err(e) => {
            plan.discard(cleanup);
            return Err(e);
        }
    };
    plan.replace(kept.as_ref(), deadline, options.retry, cleanup)?;
    installation.outcome = Outcome::Installed;
    installation.kept = kept.map(|(path, by)| Kept {
        path: path.display().to_string(),
        by,
    });
    if let Some(dir) = &plan.keep_dir {
        prune(dir, &plan.target, options.keep, &mut installation);
    }
    Ok(installation)
}

/// Where everything goes, decided before the first byte is copied: a wrong
/// TARGET folder fails before any work.
struct Plan {
    /// TARGET, through a symlink its target.
    target: PathBuf,
    temp: PathBuf,
    /// Whether TARGET exists (so there is something to keep).
    existed: bool,
    /// `None` when nothing is kept.
    keep_dir: Option<PathBuf>,
}

impl Plan {
    fn new(new: &Path, target: &Path, options: &InstallOptions<'_>) -> Result<Plan> {
        let usage = |message: String| Err(Error::new(ErrorKind::Usage, message).with_file(target));
        // A symlink is installed through, as --output writes through one:
        // the link stays, the file it names is replaced.
        let target = match fs::canonicalize(target) {
            Ok(t) if fs::symlink_metadata(target).is_ok_and(|m| m.is_symlink()) => t,
            _ => target.to_path_buf(),
        };
        let Some(temp) = temp_path(&target) else {
            return usage("--to needs a file name, such as …\\PkgSource\\wsusscn2.cab".into());
        };
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match fs::metadata(&folder) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return usage(format!("{} is not a folder", folder.display())),
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("cannot install into {}: {e}", folder.display()),
                )
                .with_file(&target)
                .with_source(e))
            }
        }
        let existed = match fs::metadata(&target) {
            Ok(m) if m.is_dir() => return usage(
                "is a folder; --to names the file to replace, such as …\\PkgSource\\wsusscn2.cab"
                    .into(),
            ),
            Ok(m) if !m.is_file() => return usage("is not a regular file".into()),
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(Error::io(e, "the file to replace").with_file(&target));
            }
        };
        if existed && same_file(new, &target) {
            return usage(
                "is the new catalog itself (NEW and --to name one file); install from where \
                 the new catalog was downloaded"
                    .into(),
            );
        }
        // Nothing to keep, no folder to make: a first install leaves no
        // empty keep folder behind.
        let keep_dir = if options.keep == 0 || !existed {
            None
        } else {
            let dir = match options.keep_dir.clone().or_else(|| default_keep_dir(&target)) {
                Some(d) => d,
                None => return usage(format!(
                    "{} is a root folder, so there is no folder beside it to keep previous generations in; give --keep-dir DIR (or --keep 0)",
                    folder.display()
                )),
            };
            Some(dir)
        };
        Ok(Plan {
            target,
            temp,
            existed,
            keep_dir,
        })
    }

    /// Copies `new` to the temp file, synced to disk before anyone judges
    /// it: what is renamed over TARGET must be on the disk, not in a cache
    /// that a power cut loses. Returns its size.
    fn copy(&self, new: &Path, cleanup: &dyn Cleanup) -> Result<u64> {
        let mut source =
            File::open(new).map_err(|e| Error::io(e, "the new catalog").with_file(new))?;
        let meta = source
            .metadata()
            .map_err(|e| Error::io(e, "the new catalog").with_file(new))?;
        if !meta.is_file() {
            return Err(Error::new(
                ErrorKind::Io,
                "not a regular file: install needs a catalog file to copy",
            )
            .with_file(new));
        }
        let mut created = Err(io::Error::other("not created"));
        cleanup.with_list(&mut |list| {
            created = File::create(&self.temp);
            if created.is_ok() {
                list.push(self.temp.clone());
            }
        });
        let cannot = |e: io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("cannot copy the new catalog beside it: {e}"),
            )
            .with_file(&self.target)
            .with_source(e)
        };
        let mut temp = created.map_err(cannot)?;
        let copied = copy_bounded(&mut source, &mut temp).map_err(|e| match e {
            Copy::Read(e) => Error::io(e, "the new catalog").with_file(new),
            Copy::Write(e) => cannot(e),
        });
        let result = copied.and_then(|n| {
            self.mirror_permissions(&temp);
            temp.sync_all().map_err(cannot)?;
            Ok(n)
        });
        drop(temp);
        if result.is_err() {
            self.discard(cleanup);
        }
        result
    }

    /// On Unix the new TARGET gets the old one's mode, so that a sync
    /// running as another user still reads it. (Windows gives a new file
    /// its folder's inherited ACL, which is what the old one had.)
    fn mirror_permissions(&self, temp: &File) {
        if cfg!(unix) && self.existed {
            if let Ok(m) = fs::metadata(&self.target) {
                // Best effort: the folder's defaults are the fallback.
                let _ = temp.set_permissions(m.permissions());
            }
        }
    }

    /// Removes the temp file and takes it off the list, in one step.
    fn discard(&self, cleanup: &dyn Cleanup) {
        cleanup.with_list(&mut |list| {
            let _ = fs::remove_file(&self.temp);
            list.retain(|p| p != &self.temp);
        });
    }

    /// Keeps the previous TARGET under a new name in the keep folder,
    /// before the rename, so that it never disappears. `None` when there is
    /// no TARGET yet or nothing is kept.
    fn keep_previous(&self, cleanup: &dyn Cleanup) -> Result<Option<(PathBuf, KeptBy)>> {
        let (Some(dir), true) = (&self.keep_dir, self.existed) else {
            return Ok(None);
        };
        // Made only now, once the copy passed: a refused catalog leaves no
        // trace, not even an empty folder.
        fs::create_dir_all(dir).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot create the folder for previous generations, so {} was not replaced: {e}",
                    self.target.display()
                ),
            )
            .with_file(dir)
            .with_source(e)
        })?;
        let stamp = utc_stamp(SystemTime::now());
        let cannot = |e: io::Error, path: &Path| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot keep the previous {} here, so it was not replaced: {e}",
                    self.target.display()
                ),
            )
            .with_file(path)
            .with_source(e)
        };
        for n in 1..=100 {
            let kept = dir.join(generation_name(&self.target, &stamp, n));
            match fs::hard_link(&self.target, &kept) {
                Ok(()) => return Ok(Some((kept, KeptBy::HardLink))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // Another volume, or no hard links (FAT, some shares): copy.
                Err(_) => {}
            }
            if fs::symlink_metadata(&kept).is_ok() {
                continue;
            }
            return self
                .copy_previous(&kept, cleanup)
                .map(|()| Some((kept.clone(), KeptBy::Copy)))
                .map_err(|e| cannot(e, &kept));
        }
        Err(cannot(
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "100 generations share this second",
            ),
            dir,
        ))
    }

    /// Copies TARGET to `kept` through a temp file of its own, so that an
    /// interrupt never leaves a partial generation that looks whole.
    fn copy_previous(&self, kept: &Path, cleanup: &dyn Cleanup) -> io::Result<()> {
        let mut name = OsString::from(".");
        name.push(kept.file_name().unwrap_or_default());
        name.push(format!(".wsuscat-keep-{}", std::process::id()));
        let temp = kept.with_file_name(name);
        let mut created = Err(io::Error::other("not created"));
        cleanup.with_list(&mut |list| {
            created = File::create(&temp);
            if created.is_ok() {
                list.push(temp.clone());
            }
        });
        let mut out = created?;
        let result = File::open(&self.target)
            .and_then(|mut source| {
                copy_bounded(&mut source, &mut out).map_err(|e| match e {
                    Copy::Read(e) | Copy::Write(e) => e,
                })
            })
            .and_then(|_| out.sync_all());
        drop(out);
        let mut result = Some(result);
        cleanup.with_list(&mut |list| {
            let r = result.take().expect("called once");
            result = Some(r.and_then(|()| fs::rename(&temp, kept)));
            if result.as_ref().is_some_and(|r| r.is_err()) {
                let _ = fs::remove_file(&temp);
            }
            list.retain(|p| p != &temp);
        });
        result.expect("set above")
    }

    /// Renames the copy over TARGET, retrying until `deadline` while
    /// another program holds TARGET (or the copy) open without sharing
    /// delete. On failure the copy and the generation kept for this install
    /// are removed: TARGET is still the previous file, and the keep folder
    /// as it was.
    fn replace(
        &self,
        kept: Option<&(PathBuf, KeptBy)>,
        deadline: std::time::Instant,
        retry: Duration,
        cleanup: &dyn Cleanup,
    ) -> Result<()> {
        let renamed = retry_held(deadline, &mut || {
            let mut outcome = Ok(());
            cleanup.with_list(&mut |list| {
                outcome = fs::rename(&self.temp, &self.target);
                if outcome.is_ok() {
                    list.retain(|p| p != &self.temp);
                }
            });
            outcome
        });
        let Err(err) = renamed else {
            sync_folder(&self.target);
            return Ok(());
        };
        self.discard(cleanup);
        let left = kept.and_then(|(path, _)| fs::remove_file(path).err().map(|e| (path, e)));
        Err(self.not_replaced(err, retry, left))
    }

    /// The error for a TARGET that could not be replaced, which is
    /// unchanged; `left` is a generation kept for it that could not be
    /// removed again (it then duplicates TARGET in the keep folder).
    fn not_replaced(
        &self,
        err: io::Error,
        retry: Duration,
        left: Option<(&PathBuf, io::Error)>,
    ) -> Error {
        let mut message = if held_open(&err) {
            format!(
                "cannot replace it: it is open in another program, or read-only ({err}), \
                 still after {} s; it is unchanged: close the program (a sync that is \
                 reading it) and install again",
                retry.as_secs()
            )
        } else {
            format!("cannot replace it: {err}; it is unchanged")
        };
        if let Some((path, e)) = left {
            message.push_str(&format!(
                " (the copy kept of it as {} could not be removed: {e})",
                path.display()
            ));
        }
        Error::new(ErrorKind::Io, message)
            .with_file(&self.target)
            .with_source(err)
    }
}

/// Runs `op` until it succeeds, fails otherwise than by another program
/// holding the file, or `deadline` passes; waits from 50 ms, doubling up
/// to 1 s, in between.
fn retry_held(
    deadline: std::time::Instant,
    op: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<()> {
    let mut wait = Duration::from_millis(50);
    loop {
        match op() {
            Err(e) if held_open(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(1));
            }
            result => return result,
        }
    }
}

/// Whether `path` could be renamed over or deleted now: on Windows, an
/// open for DELETE access fails with a sharing violation while another
/// program holds the file without sharing delete. Nothing is changed.
#[cfg(windows)]
fn deletable(path: &Path) -> io::Result<()> {
    use std::os::windows::fs::OpenOptionsExt;
    const DELETE: u32 = 0x0001_0000;
    const SHARE_READ_WRITE_DELETE: u32 = 0x7;
    fs::OpenOptions::new()
        .access_mode(DELETE)
        .share_mode(SHARE_READ_WRITE_DELETE)
        .open(path)
        .map(drop)
}

/// Unix renames over an open file; nothing to wait for.
#[cfg(not(windows))]
fn deletable(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Whether `a` and `b` are one file (the same path, a link to it).
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Which side of a copy failed: a read names NEW, a write names TARGET.
enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// Copies in 1 MiB pieces: memory stays the same for any size of catalog.
fn copy_bounded(from: &mut File, to: &mut File) -> std::result::Result<u64, Copy> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        to.write_all(&buf[..n]).map_err(Copy::Write)?;
        total += n as u64;
    }
}

/// ERROR_ACCESS_DENIED (5), ERROR_SHARING_VIOLATION (32) and
/// ERROR_LOCK_VIOLATION (33): what Windows answers a rename over a file
/// another program holds open without sharing delete. Unix replaces an
/// open file (its reader keeps the old one), so this never holds there.
fn held_open(e: &io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

/// On Unix, the rename is durable only once the folder is synced; a power
/// cut before that could bring back the old name. Windows (NTFS) journals
/// the rename itself. Best effort: the rename has happened either way.
fn sync_folder(target: &Path) {
    if cfg!(unix) {
        if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = File::open(folder).and_then(|f| f.sync_all());
        }
    }
}

/// `20250612T033012Z`: UTC to the second, sortable as text.
pub fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// `wsusscn2.20250612T033012Z.cab` (the `n`th of that second:
/// `wsusscn2.20250612T033012Z-2.cab`): TARGET's name with the time it was
/// replaced, its extension kept so that it opens as what it is.
fn generation_name(target: &Path, stamp: &str, n: u32) -> OsString {
    let stem = target.file_stem().unwrap_or_default();
    let mut name = stem.to_os_string();
    name.push(".");
    name.push(stamp);
    if n > 1 {
        name.push(format!("-{n}"));
    }
    if let Some(ext) = target.extension() {
        name.push(".");
        name.push(ext);
    }
    name
}

/// The stamp and number of a generation of `target` named `name`, or
/// `None` for any other file: only wsuscat's own generations of this
/// TARGET are ever pruned.
fn generation_of(target: &Path, name: &str) -> Option<(String, u32)> {
    let stem = target.file_stem()?.to_str()?;
    let rest = name.strip_prefix(stem)?.strip_prefix('.')?;
    let rest = match target.extension() {
        Some(ext) => rest.strip_suffix(ext.to_str()?)?.strip_suffix('.')?,
        None => rest,
    };
    let (stamp, n) = match rest.split_once('-') {
        Some((s, n)) => (s, n.parse::<u32>().ok().filter(|n| *n > 1)?),
        None => (rest, 1),
    };
    let shape = stamp.len() == 16
        && stamp.as_bytes()[8] == b'T'
        && stamp.ends_with('Z')
        && stamp[..8].bytes().all(|b| b.is_ascii_digit())
        && stamp[9..15].bytes().all(|b| b.is_ascii_digit());
    shape.then(|| (stamp.to_string(), n))
}

/// Removes the oldest generations of `target` in `dir` beyond `keep`.
/// TARGET has already been replaced, so a failure here only warns.
fn prune(dir: &Path, target: &Path, keep: usize, installation: &mut Installation) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            installation.warnings.push(format!(
                "{}: cannot list the previous generations to remove the oldest: {e}",
                dir.display()
            ));
            return;
        }
    };
    let mut generations: Vec<((String, u32), PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let key = generation_of(target, name.to_str()?)?;
            Some((key, e.path()))
        })
        .collect();
    generations.sort();
    let excess = generations.len().saturating_sub(keep);
    for (_, path) in generations.into_iter().take(excess) {
        match fs::remove_file(&path) {
            Ok(()) => installation.pruned.push(path.display().to_string()),
            Err(e) => installation.warnings.push(format!(
                "{}: cannot remove this old generation: {e}",
                path.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_civil_time() {
        let at = |s: u64| utc_stamp(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "19700101T000000Z");
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(at(1_709_251_199), "20240229T235959Z");
        // 2000-03-01T12:34:56Z, after a leap century's February.
        assert_eq!(at(951_914_096), "20000301T123456Z");
    }

    #[test]
    fn generation_names_round_trip_and_nothing_else_is_one() {
        let target = Path::new("/x/PkgSource/wsusscn2.cab");
        let name = generation_name(target, "20250612T033012Z", 1);
        assert_eq!(name, "wsusscn2.20250612T033012Z.cab");
        assert_eq!(
            generation_of(target, "wsusscn2.20250612T033012Z.cab"),
            Some(("20250612T033012Z".into(), 1))
        );
        let second = generation_name(target, "20250612T033012Z", 2);
        assert_eq!(
            generation_of(target, second.to_str().unwrap()),
            Some(("20250612T033012Z".into(), 2))
        );
        for other in [
            "wsusscn2.cab",
            "wsusscn2.20250612T033012Z.cab.txt",
            "other.20250612T033012Z.cab",
            "wsusscn2.2025-06-12.cab",
            "wsusscn2.20250612T033012Z-1.cab",
            ".wsusscn2.20250612T033012Z.cab.wsuscat-keep-7",
        ] {
            assert_eq!(generation_of(target, other), None, "{other}");
        }
    }

    #[test]
    fn the_default_keep_dir_is_beside_the_target_folder() {
        assert_eq!(
            default_keep_dir(Path::new("/srv/PkgSource/wsusscn2.cab")),
            Some(PathBuf::from("/srv/wsuscat-previous/PkgSource"))
        );
        assert_eq!(default_keep_dir(Path::new("/wsusscn2.cab")), None);
    }
}

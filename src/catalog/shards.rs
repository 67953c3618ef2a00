//! Reading fragments out of the shards (`package2.cab` … `packageN.cab`)
//! without extracting anything.
//!
//! Peers expand all 15–25 GB of fragments to disk to look up a few titles.
//! Here the wanted RevisionIds are grouped by shard first (index.xml's
//! RANGESTARTs), so each shard is decoded at most once per call: the outer
//! cabinet streams front to back once, each wanted shard's compressed bytes
//! (about 9 MB) go to the rayon pool as they pass, and there every folder of
//! the shard is decoded once while the wanted members are picked out of the
//! stream (a shard holds about 12.5k members; opening them one by one would
//! re-decode the folder each time). A fragment that is not there is a fact
//! the caller reports, never an error; a shard that is damaged is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::cab::Cabinet;
use crate::catalog::fragment::FragmentKind;
use crate::catalog::index::Index;
use crate::catalog::package::scan::Gate;
use crate::catalog::{Catalog, OuterResume};
use crate::error::{Error, ErrorKind, Result};

/// The most compressed bytes of one shard held in memory at once. Each
/// wanted shard passes through as one buffer, and at most `threads + 1` are
/// alive (one being read, one per worker), so this bounds what the shards
/// can make `list` and `show` hold. A 2026 shard is about 9 MB compressed
/// (214 MB expanded, 12.5k members); 48 MiB is five times that, and three
/// of them stay well under the 256 MB that hostile input may cost. A shard
/// above it is refused (exit 3) before any of it is read.
pub const MAX_SHARD_BYTES: u64 = 48 << 20;

/// The most bytes one fragment (`c\`, `x\`, `l\<lang>\` member of a
/// shard) may expand to. A wanted fragment is handed over whole, so a
/// hostile shard holding one 2 GiB member of zeros (a few MB compressed)
/// would otherwise be expanded into one 2 GiB buffer. Real fragments are a
/// few KB (the largest `x\` fragments, with their file lists, tens of
/// KB); 4 MiB leaves two orders of magnitude. A wanted member above it is
/// refused (exit 3) before its folder is decoded.
pub const MAX_FRAGMENT_BYTES: u64 = 4 << 20;

/// Which fragments to read.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The RevisionIds whose fragments are wanted; each is mapped to its
    /// shard by index.xml's RANGESTARTs.
    pub revisions: BTreeSet<u64>,
    /// Read `c\<rev>` (core) fragments: identity, prerequisites,
    /// applicability rules.
    pub core: bool,
    /// Read `x\<rev>` (extended) fragments: KB article, MSRC severity,
    /// files.
    pub extended: bool,
    /// Languages of `l\<lang>\` fragments to read.
    pub languages: BTreeSet<String>,
    /// Read `e\<lang>\` fragments in these languages too.
    pub eula: bool,
}

impl Request {
    fn wants(&self, kind: &FragmentKind) -> bool {
        match kind {
            FragmentKind::Core => self.core,
            FragmentKind::Extended => self.extended,
            FragmentKind::Localized(l) => self.languages.contains(l),
            FragmentKind::Eula(l) => self.eula && self.languages.contains(l),
            FragmentKind::Full => false,
        }
    }
}

/// One shard, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardRead {
    /// The shard's member name (`package2.cab`).
    pub name: String,
    /// Its RANGESTART in index.xml: the lowest RevisionId it holds.
    pub range_start: u64,
    /// Requested revisions mapped to this shard.
    pub revisions: usize,
    /// Members in the shard.
    pub members: usize,
    /// Wanted fragments found and handed over.
    pub fragments: usize,
    /// How many times a folder of this shard was opened and decoded. Each
    /// folder is decoded once, so this equals the number of folders that
    /// hold a wanted member.
    pub folders_decoded: usize,
}

/// What a read established besides the fragments themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShardReport {
    /// Every shard read, in index.xml order.
    pub shards: Vec<ShardRead>,
    /// Shards index.xml names for requested revisions that the catalog does
    /// not contain, with those revisions.
    pub missing_shards: BTreeMap<String, Vec<u64>>,
    /// Requested revisions below every RANGESTART: no shard covers them.
    pub unmapped: Vec<u64>,
    /// How many times the outer cabinet's folders were opened for the
    /// shards (each at most once).
    pub outer_folders_decoded: usize,
}

/// Gets every wanted fragment: (shard name, RevisionId, kind, bytes). Called
/// from pool threads, in no particular order.
pub type Sink<'a> = dyn Fn(&str, u64, &FragmentKind, &[u8]) -> Result<()> + Sync + 'a;

/// One shard to read: its name, RANGESTART and the requested revisions it
/// holds (a slice of one sorted list that every job of a plan shares: no
/// set per shard).
#[derive(Debug, Clone)]
pub struct Job {
    /// The shard's member name (`package2.cab`).
    pub name: String,
    /// Its RANGESTART in index.xml.
    pub range_start: u64,
    wanted: Arc<Vec<u64>>,
    range: std::ops::Range<usize>,
}

impl Job {
    /// Whether `rev` is one of this shard's requested revisions.
    pub fn wants(&self, rev: u64) -> bool {
        self.revisions().binary_search(&rev).is_ok()
    }

    /// This shard's requested revisions, ascending.
    pub fn revisions(&self) -> &[u64] {
        &self.wanted[self.range.clone()]
    }
}

/// The shards a request needs, in RANGESTART order (so their revisions
/// come in RevisionId order), and what could not be mapped: `report` has
/// `missing_shards` and `unmapped` filled, nothing read yet. Refuses a
/// planned shard larger than [`MAX_SHARD_BYTES`] before anything is read.
pub fn plan(
    catalog: &Catalog,
    index: &Index,
    request: &Request,
) -> Result<(Vec<Job>, ShardReport)> {
    plan_sorted(
        catalog,
        index,
        Arc::new(request.revisions.iter().copied().collect()),
    )
}

/// [`plan`] for revisions given as one ascending list without duplicates
/// (8 bytes a revision: a list of a whole catalog needs no set).
pub fn plan_sorted(
    catalog: &Catalog,
    index: &Index,
    wanted: Arc<Vec<u64>>,
) -> Result<(Vec<Job>, ShardReport)> {
    debug_assert!(wanted.windows(2).all(|w| w[0] < w[1]));
    let mut report = ShardReport::default();
    let outer = catalog.outer();
    let mut jobs: Vec<Job> = Vec::new();
    // A revision's shard is the one with the greatest RANGESTART at or
    // below it: along an ascending list, each shard's revisions are one run.
    let mut i = 0;
    while i < wanted.len() {
        let rev = wanted[i];
        let entry = index.shard_for(rev);
        let mut j = i + 1;
        while j < wanted.len()
            && index.shard_for(wanted[j]).map(|e| &e.name) == entry.map(|e| &e.name)
        {
            j += 1;
        }
        match entry {
            None => report.unmapped.extend_from_slice(&wanted[i..j]),
            Some(entry) => {
                let name = entry.name.as_str();
                match outer.find(name) {
                    Some(f) if u64::from(f.size) > MAX_SHARD_BYTES => {
                        return Err(Error::new(
                            ErrorKind::Limit,
                            format!(
                                "shard {name} is {} bytes, over the bound of {MAX_SHARD_BYTES} bytes for one shard (MAX_SHARD_BYTES; real shards are about 9 MB)",
                                f.size
                            ),
                        )
                        .with_file(catalog.path()));
                    }
                    Some(_) => jobs.push(Job {
                        name: entry.name.clone(),
                        range_start: entry.range_start.unwrap_or(0),
                        wanted: wanted.clone(),
                        range: i..j,
                    }),
                    None => {
                        report
                            .missing_shards
                            .entry(name.to_string())
                            .or_default()
                            .extend_from_slice(&wanted[i..j]);
                    }
                }
            }
        }
        i = j;
    }
    Ok((jobs, report))
}

/// Reads the fragments `request` asks for and hands each to `sink`.
/// With `resume` (the outer folder where package.cab left it), the shards
/// after that point are read in the same pass over the outer folder; when
/// a wanted shard lies before it, the folder is decoded again from its
/// start instead.
pub fn read(
    catalog: &Catalog,
    index: &Index,
    request: &Request,
    threads: usize,
    resume: Option<OuterResume>,
    sink: &Sink<'_>,
) -> Result<ShardReport> {
    let (jobs, mut report) = plan(catalog, index, request)?;
    if jobs.is_empty() {
        return Ok(report);
    }
    let plan: BTreeMap<&str, &Job> = jobs.iter().map(|j| (j.name.as_str(), j)).collect();
    let wanted = |f: &crate::cab::FileEntry| plan.keys().any(|name| f.name_matches(name));
    let resume = resume.filter(|r| {
        let (folder, at) = r.at();
        !catalog
            .outer()
            .files
            .iter()
            .any(|f| f.folder == folder && u64::from(f.folder_offset) < at && wanted(f))
    });

    let threads = threads.max(1);
    let results: Mutex<Vec<ShardRead>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<(u64, Error)>> = Mutex::new(None);
    let gate = Gate::new(threads + 1);
    let outer_opens = AtomicUsize::new(0);
    let pool = worker_pool(threads)?;
    let path = catalog.path();
    let outer = catalog.outer();
    let plan = &plan;
    let streamed = pool.in_place_scope(|scope| {
        let mut seq = 0u64;
        let (results, failure, gate) = (&results, &failure, &gate);
        let on_member = |f: &crate::cab::FileEntry, bytes: Vec<u8>| {
            let order = seq;
            seq += 1;
            if failure.lock().expect("failure lock").is_some() {
                return Err(Error::new(ErrorKind::Io, "stopped after a shard failed"));
            }
            let Some((_, job)) = plan.iter().find(|(name, _)| f.name_matches(name)) else {
                return Ok(());
            };
            let slot = gate.enter();
            scope.spawn(move |_| {
                let _slot = slot;
                match read_shard(job, &bytes, request, sink) {
                    Ok(read) => results.lock().expect("results lock").push(read),
                    Err(e) => {
                        let mut first = failure.lock().expect("failure lock");
                        // The first failing shard in stream order wins,
                        // whatever order the pool finished in.
                        if first.as_ref().is_none_or(|(o, _)| order < *o) {
                            *first = Some((order, e));
                        }
                    }
                }
            });
            Ok(())
        };
        let open = || open_outer(path, &outer_opens);
        outer.stream_members_resuming(
            resume.map(OuterResume::into_folder),
            open,
            wanted,
            on_member,
        )
    });
    if let Some((_, e)) = failure.into_inner().expect("pool finished") {
        return Err(e.with_file(path));
    }
    streamed.map_err(|e| e.with_file(path))?;
    let mut shards = results.into_inner().expect("pool finished");
    let order: Vec<&str> = index.cabs.iter().map(|c| c.name.as_str()).collect();
    shards.sort_by_key(|s| order.iter().position(|n| *n == s.name));
    report.shards = shards;
    report.outer_folders_decoded = outer_opens.into_inner();
    Ok(report)
}

fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.saturating_sub(1).max(1))
        .thread_name(|i| format!("wsuscat-shard-{i}"))
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot start the worker pool: {e}")).with_source(e)
        })
}

fn open_outer(
    path: &std::path::Path,
    opens: &AtomicUsize,
) -> Result<std::io::BufReader<std::fs::File>> {
    opens.fetch_add(1, Ordering::Relaxed);
    std::fs::File::open(path)
        .map(|f| std::io::BufReader::with_capacity(256 << 10, f))
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_source(e))
}

/// Takes one wanted fragment into a shard's `T`: (RevisionId, kind, bytes).
pub type Collect<'a, T> = dyn Fn(&mut T, u64, &FragmentKind, &[u8]) -> Result<()> + Sync + 'a;

/// What the ordered reader shares between the stream and the workers.
struct Window<T> {
    /// Finished shards not yet delivered, by job index.
    done: BTreeMap<usize, Result<(ShardRead, T)>>,
    /// Jobs spawned and not yet delivered (running or in `done`).
    held: usize,
}

/// Reads the shards of `jobs` (from [`plan`]) and delivers each to
/// `deliver` on the calling thread **in the order of `jobs`**, one shard's
/// fragments collected into one `T` by `collect` (called on a pool thread,
/// one shard at a time per `T`). At most `threads + 1` shards are held at
/// once (compressed bytes or collected `T`, running or waiting for their
/// turn), so what the caller keeps per shard is bounded by a window, not by
/// the catalog.
///
/// The shards come in the outer cabinet's order, which is RANGESTART order
/// in every catalog seen; when it is not, a shard that comes too early for
/// the window is skipped and read by a further pass over the outer
/// cabinet (each pass delivers at least the next shard), so any order is
/// read correctly, and the usual one in one pass.
pub fn read_in_order<T: Send + Default>(
    catalog: &Catalog,
    jobs: &[Job],
    request: &Request,
    threads: usize,
    collect: &Collect<'_, T>,
    deliver: &mut dyn FnMut(&Job, T) -> Result<()>,
) -> Result<(Vec<ShardRead>, usize)> {
    let threads = threads.max(1);
    let limit = threads + 1;
    let pool = worker_pool(threads)?;
    let path = catalog.path();
    let outer = catalog.outer();
    let outer_opens = AtomicUsize::new(0);
    let mut reads = Vec::new();
    let mut next = 0usize; // the next job to deliver
    let window = std::sync::Mutex::new(Window::<T> {
        done: BTreeMap::new(),
        held: 0,
    });
    let changed = std::sync::Condvar::new();
    while next < jobs.len() {
        let first = next;
        let mut spawned = vec![false; jobs.len()];
        // Delivers every finished job that is next in order; with
        // `Some(i)`, first waits until job `i` fits in the window.
        let mut drain = |next: &mut usize, block_until: Option<usize>| -> Result<()> {
            let mut w = window.lock().expect("window lock");
            loop {
                if let Some(r) = w.done.remove(&*next) {
                    w.held -= 1;
                    drop(w);
                    let (read, t) = r?;
                    deliver(&jobs[*next], t)?;
                    reads.push(read);
                    *next += 1;
                    w = window.lock().expect("window lock");
                    continue;
                }
                match block_until {
                    Some(i) if w.held >= limit || i >= *next + limit => {
                        w = changed.wait(w).expect("window lock");
                    }
                    _ => return Ok(()),
                }
            }
        };
        let streamed = pool.in_place_scope(|scope| {
            outer.stream_members(
                || open_outer(path, &outer_opens),
                |f| jobs[first..].iter().any(|j| f.name_matches(&j.name)),
                |f, bytes| {
                    let Some(i) = jobs.iter().position(|j| f.name_matches(&j.name)) else {
                        return Ok(());
                    };
                    if i < next || spawned[i] {
                        return Ok(());
                    }
                    // Every job before this one is on its way: wait for
                    // room. Else take it only if it fits without waiting
                    // (waiting could mean waiting for a shard still to come).
                    if (next..i).all(|k| spawned[k]) {
                        drain(&mut next, Some(i))?;
                    } else {
                        drain(&mut next, None)?;
                        let w = window.lock().expect("window lock");
                        if w.held >= limit || i >= next + limit {
                            return Ok(());
                        }
                    }
                    spawned[i] = true;
                    window.lock().expect("window lock").held += 1;
                    let job = &jobs[i];
                    let (window, changed) = (&window, &changed);
                    scope.spawn(move |_| {
                        let t = Mutex::new(T::default());
                        let r = read_shard(job, &bytes, request, &|_, rev, kind, data| {
                            // One task per shard: never contended.
                            collect(&mut t.lock().expect("shard lock"), rev, kind, data)
                        })
                        .map(|read| (read, t.into_inner().expect("shard read")));
                        drop(bytes);
                        window.lock().expect("window lock").done.insert(i, r);
                        changed.notify_all();
                    });
                    Ok(())
                },
            )
        });
        // Every task of the pass has finished: deliver what is in order.
        let delivered = streamed.and_then(|()| drain(&mut next, None));
        // What finished out of order is dropped, to be read again by the
        // next pass: the window never holds more than `limit`.
        let mut w = window.lock().expect("window lock");
        w.held -= w.done.len();
        w.done.clear();
        drop(w);
        delivered.map_err(|e| e.with_file(path))?;
    }
    Ok((reads, outer_opens.into_inner()))
}

fn read_shard(job: &Job, bytes: &[u8], request: &Request, sink: &Sink<'_>) -> Result<ShardRead> {
    let name = job.name.as_str();
    let cab = Cabinet::parse(&mut Cursor::new(bytes)).map_err(|e| e.inside(name))?;
    let mut read = ShardRead {
        name: name.to_string(),
        range_start: job.range_start,
        revisions: job.range.len(),
        members: cab.files.len(),
        fragments: 0,
        folders_decoded: 0,
    };
    let wanted = |n: &str| {
        FragmentKind::from_member_name(n)
            .filter(|(kind, rev)| request.wants(kind) && job.wants(*rev))
    };
    // A wanted member is handed over whole: refuse one too large before
    // its folder is decoded.
    if let Some(f) = cab
        .files
        .iter()
        .find(|f| u64::from(f.size) > MAX_FRAGMENT_BYTES && wanted(&f.name).is_some())
    {
        return Err(Error::new(
            ErrorKind::Limit,
            format!(
                "fragment {} is {} bytes, over the bound of {MAX_FRAGMENT_BYTES} bytes for one fragment (MAX_FRAGMENT_BYTES; real fragments are a few KB)",
                f.name, f.size
            ),
        )
        .inside(name));
    }
    let mut opens = 0usize;
    cab.stream_members(
        || {
            opens += 1;
            Ok(Cursor::new(bytes))
        },
        |f| wanted(&f.name).is_some(),
        |f, data| {
            let (kind, rev) = wanted(&f.name).expect("only wanted members arrive");
            read.fragments += 1;
            sink(name, rev, &kind, &data).map_err(|e| e.inside(&f.name))
        },
    )
    .map_err(|e| e.inside(name))?;
    read.folders_decoded = opens;
    Ok(read)
}

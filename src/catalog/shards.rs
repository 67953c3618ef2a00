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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::cab::Cabinet;
use crate::catalog::fragment::FragmentKind;
use crate::catalog::index::Index;
use crate::catalog::package::scan::Gate;
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};

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

/// Reads the fragments `request` asks for and hands each to `sink`.
pub fn read(
    catalog: &Catalog,
    index: &Index,
    request: &Request,
    threads: usize,
    sink: &Sink<'_>,
) -> Result<ShardReport> {
    let mut report = ShardReport::default();
    // Group the revisions by shard, keeping index.xml's order.
    let mut plan: BTreeMap<&str, (u64, HashSet<u64>)> = BTreeMap::new();
    for &rev in &request.revisions {
        match index.shard_for(rev) {
            None => report.unmapped.push(rev),
            Some(entry) => {
                plan.entry(entry.name.as_str())
                    .or_insert_with(|| (entry.range_start.unwrap_or(0), HashSet::new()))
                    .1
                    .insert(rev);
            }
        }
    }
    let outer = catalog.outer();
    plan.retain(|name, (_, revs)| {
        if outer.find(name).is_some() {
            true
        } else {
            let mut list: Vec<u64> = revs.iter().copied().collect();
            list.sort_unstable();
            report.missing_shards.insert(name.to_string(), list);
            false
        }
    });
    if plan.is_empty() {
        return Ok(report);
    }

    let threads = threads.max(1);
    let results: Mutex<Vec<ShardRead>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<(u64, Error)>> = Mutex::new(None);
    let gate = Gate::new(threads + 1);
    let outer_opens = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.saturating_sub(1).max(1))
        .thread_name(|i| format!("wsuscat-shard-{i}"))
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot start the worker pool: {e}")).with_source(e)
        })?;
    let path = catalog.path();
    let plan = &plan;
    let streamed = pool.in_place_scope(|scope| {
        let mut seq = 0u64;
        let (results, failure, gate) = (&results, &failure, &gate);
        outer.stream_members(
            || {
                outer_opens.fetch_add(1, Ordering::Relaxed);
                std::fs::File::open(path)
                    .map(|f| std::io::BufReader::with_capacity(256 << 10, f))
                    .map_err(|e| {
                        Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_source(e)
                    })
            },
            |f| plan.keys().any(|name| f.name_matches(name)),
            |f, bytes| {
                let order = seq;
                seq += 1;
                if failure.lock().expect("failure lock").is_some() {
                    return Err(Error::new(ErrorKind::Io, "stopped after a shard failed"));
                }
                let Some((name, (start, revs))) =
                    plan.iter().find(|(name, _)| f.name_matches(name))
                else {
                    return Ok(());
                };
                let slot = gate.enter();
                scope.spawn(move |_| {
                    let _slot = slot;
                    match read_shard(name, *start, &bytes, revs, request, sink) {
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
            },
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

fn read_shard(
    name: &str,
    range_start: u64,
    bytes: &[u8],
    revs: &HashSet<u64>,
    request: &Request,
    sink: &Sink<'_>,
) -> Result<ShardRead> {
    let cab = Cabinet::parse(&mut Cursor::new(bytes)).map_err(|e| e.inside(name))?;
    let mut read = ShardRead {
        name: name.to_string(),
        range_start,
        revisions: revs.len(),
        members: cab.files.len(),
        fragments: 0,
        folders_decoded: 0,
    };
    let wanted = |n: &str| {
        FragmentKind::from_member_name(n)
            .filter(|(kind, rev)| revs.contains(rev) && request.wants(kind))
    };
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

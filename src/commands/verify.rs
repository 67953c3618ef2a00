//! `verify`: prove the catalog intact and genuinely signed.
//!
//! Every folder of the outer cabinet is decoded once, every nested cabinet
//! (package.cab and every shard) is decoded completely, every block's
//! checksum and every member's size is checked, index.xml must parse and name
//! only cabinets that exist, and package.xml must be well-formed to its end.
//! The outer cabinet is one sequential stream; the nested cabinets coming out
//! of it are independent, so the rayon pool verifies them while the stream
//! goes on. The signature is verified on a separate read pass in parallel.

use std::io::Cursor;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::cab::Cabinet;
use crate::catalog::index::Index;
use crate::catalog::package::scan::{scan, Gate, ScanOptions, Visitor};
use crate::catalog::update::Update;
use crate::catalog::{Catalog, PACKAGE_CAB, PACKAGE_XML};
use crate::error::{Error, ErrorKind, Result};
use crate::trust::integrity::{self, SignaturePolicy, SignatureStatus, TrustOptions};

/// How to verify.
pub struct VerifyOptions<'a> {
    /// What the signature must prove and which roots to trust; `Skip`
    /// (`--no-verify`) is read as `AllowUnsigned`, since verifying is the
    /// point.
    pub trust: TrustOptions,
    /// Total threads (the outer stream's included).
    pub threads: usize,
    /// Told the total, then the outer cabinet's compressed bytes read so far.
    pub progress: Option<&'a dyn VerifyProgress>,
}

/// Progress over the outer cabinet's compressed bytes.
pub trait VerifyProgress: Sync {
    /// Called once before the outer cabinet is streamed, with its size in
    /// bytes as its CFHEADER records it (cbCabinet).
    fn start(&self, total: u64);
    /// The outer cabinet's compressed bytes read so far.
    fn position(&self, bytes: u64);
    /// Called once the outer stream has ended, whether or not it failed.
    fn finish(&self);
}

/// A nested cabinet, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NestedCab {
    /// Its member name in the outer cabinet (`package.cab`,
    /// `package2.cab` …).
    pub name: String,
    /// Its size as a member of the outer cabinet, in bytes: the nested
    /// cabinet file itself, before its own decompression.
    pub compressed_bytes: u64,
    /// How many folders (CFFOLDER) it has.
    pub folders: usize,
    /// How many members (CFFILE) it has.
    pub files: usize,
    /// Decompressed bytes of all its members.
    pub bytes: u64,
    /// How many of its data blocks (CFDATA) carry a checksum of 0, which
    /// MS-CAB reads as "not computed": decoded, but not checksummed.
    pub blocks_not_checksummed: u64,
}

/// package.xml, read to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageXmlSummary {
    /// Its decompressed size in bytes.
    pub bytes: u64,
    /// How many `<Update>` elements it holds.
    pub updates: u64,
}

/// Everything `verify` established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// The file's size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    /// What the signature check established: verified, or unsigned when
    /// that was allowed.
    pub signature: SignatureStatus,
    /// How many folders (CFFOLDER) the outer cabinet has.
    pub folders: usize,
    /// How many members (CFFILE) the outer cabinet has.
    pub files: usize,
    /// Decompressed bytes of all the outer cabinet's members.
    pub bytes: u64,
    /// How many of the outer cabinet's own data blocks (CFDATA) carry a
    /// checksum of 0, which MS-CAB reads as "not computed": decoded, but not
    /// checksummed. A nested cabinet's are in its entry in `cabs`.
    pub blocks_not_checksummed: u64,
    /// index.xml, parsed; every cabinet it names is in the outer cabinet.
    pub index: Index,
    /// package.xml's size and update count, read to its end.
    pub package_xml: PackageXmlSummary,
    /// Every nested cabinet, in the outer cabinet's order.
    pub cabs: Vec<NestedCab>,
    /// Member names that would escape a directory if used as paths, the
    /// outer cabinet's first; a nested cabinet's as `package2.cab > name`.
    pub unsafe_names: Vec<String>,
}

impl VerifyReport {
    /// Blocks not checksummed (checksum 0) in the whole catalog: the outer
    /// cabinet's and every nested cabinet's.
    pub fn total_blocks_not_checksummed(&self) -> u64 {
        self.blocks_not_checksummed
            + self
                .cabs
                .iter()
                .map(|c| c.blocks_not_checksummed)
                .sum::<u64>()
    }
}

enum Outcome {
    Index(Index),
    Cab(NestedCab, Option<PackageXmlSummary>, Vec<String>),
    Plain,
}

struct Counter(u64);

impl Visitor for Counter {
    fn update(&mut self, _: &Update) {
        self.0 += 1;
    }

    /// Counting needs no references; well-formedness is checked either way.
    fn wants_refs(&mut self, _: &Update) -> bool {
        false
    }
}

/// Verifies the nested cabinet `name` held in `bytes`.
fn verify_nested(name: &str, bytes: &[u8]) -> Result<Outcome> {
    let cab = Cabinet::parse(&mut Cursor::new(bytes)).map_err(|e| e.inside(name))?;
    integrity::check_cabinet_end(bytes, &cab.header).map_err(|e| e.inside(name))?;
    let mut summary = NestedCab {
        name: name.to_string(),
        compressed_bytes: bytes.len() as u64,
        folders: cab.folders.len(),
        files: cab.files.len(),
        bytes: 0,
        blocks_not_checksummed: 0,
    };
    let unsafe_names: Vec<String> = cab
        .files
        .iter()
        .filter(|f| f.has_unsafe_path())
        .map(|f| format!("{name} > {}", f.name))
        .collect();
    // package.xml (about 114 MB) is streamed through the scanner and its
    // folder then decoded to the end; every other folder is decoded once,
    // its members handed over whole (shard fragments are small).
    let mut package = None;
    let mut skip_folder = None;
    if name.eq_ignore_ascii_case(PACKAGE_CAB) {
        let file = cab.find(PACKAGE_XML).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMember,
                format!("no {PACKAGE_XML} in {PACKAGE_CAB}"),
            )
            .inside(name)
        })?;
        let mut xml = cab
            .open_member(Cursor::new(bytes), &file)
            .map_err(|e| e.inside(name))?;
        let options = ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        };
        let scanned = scan(&mut xml, &options, &|| Counter(0), None).map_err(|e| {
            if matches!(
                e.kind(),
                ErrorKind::Xml | ErrorKind::NoUpdates | ErrorKind::Limit
            ) {
                e.inside(PACKAGE_XML).inside(name)
            } else {
                e.inside(name)
            }
        })?;
        xml.finish_folder().map_err(|e| e.inside(name))?;
        summary.blocks_not_checksummed += xml.blocks_not_checksummed();
        summary.bytes += u64::from(file.size);
        skip_folder = Some(file.folder);
        package = Some(PackageXmlSummary {
            bytes: u64::from(file.size),
            updates: scanned.visitors.iter().map(|c| c.0).sum(),
        });
    }
    let mut bytes_out = 0u64;
    summary.blocks_not_checksummed += cab
        .stream_folders(
            || Ok(Cursor::new(bytes)),
            &|folder| Some(folder) != skip_folder,
            |_, data| {
                bytes_out += data.len() as u64;
                Ok(())
            },
        )
        .map_err(|e| e.inside(name))?;
    summary.bytes += bytes_out;
    Ok(Outcome::Cab(summary, package, unsafe_names))
}

/// Verifies the catalog at `path`.
pub fn verify(path: &Path, options: &VerifyOptions<'_>) -> Result<VerifyReport> {
    let pre = integrity::preflight(path)?;
    let policy = match options.trust.policy {
        SignaturePolicy::Skip => SignaturePolicy::AllowUnsigned,
        p => p,
    };
    let anchors = options.trust.anchors()?;
    let threads = options.threads.max(1);
    std::thread::scope(|s| {
        let hasher = s.spawn(|| integrity::hash_and_verify(path, &pre, policy, &anchors));
        let content = verify_content(path, threads, options.progress);
        let (sha256, signature) = hasher.join().expect("hashing does not panic")?;
        integrity::recheck(path, &pre)?;
        let mut report = content?;
        report.sha256 = sha256;
        report.signature = signature;
        report.size = pre.file_len;
        Ok(report)
    })
}

fn verify_content(
    path: &Path,
    threads: usize,
    progress: Option<&dyn VerifyProgress>,
) -> Result<VerifyReport> {
    let catalog = Catalog::open(path)?;
    let outer = catalog.outer();
    if let Some(p) = progress {
        p.start(u64::from(outer.header.cabinet_size));
    }
    let pool = worker_pool(threads)?;
    let streamed = stream_members(outer, path, &pool, threads, progress);
    if let Some(p) = progress {
        p.finish();
    }
    let mut unsafe_names: Vec<String> = outer
        .files
        .iter()
        .filter(|f| f.has_unsafe_path())
        .map(|f| f.name.clone())
        .collect();
    // The first failure in the outer cabinet's order wins; a nested failure
    // comes before a later failure of the outer stream itself.
    let members = Members::of(streamed.outcomes, path)?;
    let blocks_not_checksummed = streamed.result.map_err(|e| e.with_file(path))?;
    unsafe_names.extend(members.unsafe_names);

    let index = members.index.ok_or_else(|| {
        Error::new(ErrorKind::MissingMember, "the catalog has no index.xml").with_file(path)
    })?;
    index.reconcile(outer).map_err(|e| e.with_file(path))?;
    let package_xml = members.package_xml.ok_or_else(|| {
        Error::new(
            ErrorKind::MissingMember,
            format!("the catalog has no {PACKAGE_CAB}"),
        )
        .with_file(path)
    })?;
    Ok(VerifyReport {
        path: path.display().to_string(),
        size: 0,
        sha256: String::new(),
        signature: SignatureStatus::NotChecked,
        folders: outer.folders.len(),
        files: outer.files.len(),
        bytes: streamed.bytes,
        blocks_not_checksummed,
        index,
        package_xml,
        cabs: members.cabs,
        unsafe_names,
    })
}

/// The pool that verifies nested cabinets while the outer stream goes on.
fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.saturating_sub(1).max(1))
        .thread_name(|i| format!("wsuscat-verify-{i}"))
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot start the worker pool: {e}")).with_source(e)
        })
}

/// The outer cabinet, streamed to its end.
struct Streamed {
    /// Each member's outcome with its position in the outer cabinet, in
    /// the order they were done.
    outcomes: Vec<(usize, Result<Outcome>)>,
    /// Decompressed bytes of all members.
    bytes: u64,
    /// The outer stream's own failure, or how many of its blocks were not
    /// checksummed (checksum 0).
    result: Result<u64>,
}

/// Streams the outer cabinet, handing each nested cabinet to the pool.
fn stream_members(
    outer: &Cabinet,
    path: &Path,
    pool: &rayon::ThreadPool,
    threads: usize,
    progress: Option<&dyn VerifyProgress>,
) -> Streamed {
    let outcomes: Mutex<Vec<(usize, Result<Outcome>)>> = Mutex::new(Vec::new());
    let gate = Gate::new(threads + 1);
    let mut bytes_total = 0u64;
    let result = pool.in_place_scope(|scope| {
        let mut seq = 0usize;
        let outcomes = &outcomes;
        let gate = &gate;
        outer.stream_all(
            || {
                std::fs::File::open(path)
                    .map(|f| std::io::BufReader::with_capacity(256 << 10, f))
                    .map_err(|e| {
                        Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_source(e)
                    })
            },
            &mut |bytes| {
                if let Some(p) = progress {
                    p.position(bytes);
                }
            },
            |file, bytes| {
                bytes_total += bytes.len() as u64;
                let index = seq;
                seq += 1;
                let name = file.name.clone();
                if let Some(outcome) = verify_member(&name, &bytes) {
                    outcomes
                        .lock()
                        .expect("outcomes lock")
                        .push((index, outcome));
                    return Ok(());
                }
                let slot = gate.enter();
                scope.spawn(move |_| {
                    let _slot = slot;
                    let outcome = verify_nested(&name, &bytes);
                    outcomes
                        .lock()
                        .expect("outcomes lock")
                        .push((index, outcome));
                });
                Ok(())
            },
        )
    });
    Streamed {
        outcomes: outcomes.into_inner().expect("pool finished"),
        bytes: bytes_total,
        result,
    }
}

/// The outcome of a member that is no nested cabinet; `None` for one that
/// is, which the pool verifies.
fn verify_member(name: &str, bytes: &[u8]) -> Option<Result<Outcome>> {
    if name.eq_ignore_ascii_case("index.xml") {
        return Some(Index::parse(bytes).map(Outcome::Index));
    }
    // A member named like a cabinet must be one: a shard replaced by
    // garbage must not pass as a plain file.
    if !bytes.starts_with(b"MSCF") && !name.to_ascii_lowercase().ends_with(".cab") {
        return Some(Ok(Outcome::Plain));
    }
    None
}

/// What the outer cabinet's members came to.
struct Members {
    index: Option<Index>,
    package_xml: Option<PackageXmlSummary>,
    /// Every nested cabinet, in the outer cabinet's order.
    cabs: Vec<NestedCab>,
    /// Unsafe member names inside nested cabinets.
    unsafe_names: Vec<String>,
}

impl Members {
    /// Gathers the outcomes in the outer cabinet's order; the first failure
    /// in that order is the error.
    fn of(mut outcomes: Vec<(usize, Result<Outcome>)>, path: &Path) -> Result<Members> {
        outcomes.sort_by_key(|(i, _)| *i);
        let mut m = Members {
            index: None,
            package_xml: None,
            cabs: Vec::new(),
            unsafe_names: Vec::new(),
        };
        for (_, outcome) in outcomes {
            match outcome.map_err(|e| e.with_file(path))? {
                Outcome::Index(i) => m.index = Some(i),
                Outcome::Cab(summary, package, names) => {
                    if package.is_some() {
                        m.package_xml = package;
                    }
                    m.unsafe_names.extend(names);
                    m.cabs.push(summary);
                }
                Outcome::Plain => {}
            }
        }
        Ok(m)
    }
}

//! `verify`: prove the catalog intact and genuinely signed.
//!
//! Every folder of the outer cabinet is decoded once, every nested cabinet
//! (package.cab and every shard) is decoded completely, every block's
//! checksum and every member's size is checked, index.xml must parse and name
//! only cabinets that exist, and package.xml must be well-formed to its end.
//! The outer cabinet is one sequential stream; the nested cabinets coming out
//! of it are independent, so each is verified on a thread of its own while
//! the stream goes on. The signature is verified on a separate read pass in
//! parallel.
//!
//! Why nothing is held whole: a nested cabinet is 9 to 15 MB in a real
//! catalog, but only its CFFILE entry in the outer cabinet says so, and a
//! hostile one claims 2 GiB (a member claiming gigabytes inside it, too).
//! So each nested cabinet is piped (`cab::pipe`) to its verifier as the
//! outer folder decodes, parsed forward-only (`cab::forward`), and its
//! folders are decoded block by block and counted, never collected. What
//! is held is bounded whatever the input claims: [`PIPE_BUDGET`] bytes in
//! the pipes, at most [`MAX_NESTED_AT_ONCE`] verifiers (each one folder's
//! decoder and its cabinet's tables), and index.xml, the one member parsed
//! whole, up to [`MAX_INDEX_XML`]. A nested cabinet whose layout needs a
//! backward seek (tables after the data, folders sharing blocks), which no
//! cabinet writer produces, is refused as `check` refuses such a
//! package.cab.

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::Scope;

use serde::Serialize;

use crate::cab::forward::Forward;
use crate::cab::pipe::{pipe, Budget, PipeReader, PipeWriter};
use crate::cab::{Cabinet, FileEntry, MemberSink};
use crate::catalog::index::Index;
use crate::catalog::package::scan::{scan, ScanOptions, Visitor};
use crate::catalog::update::Update;
use crate::catalog::{Catalog, INDEX_XML, MAX_INDEX_XML, PACKAGE_CAB, PACKAGE_XML};
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
    /// At most [`MAX_UNSAFE_NAMES`]; `unsafe_names_total` counts them all.
    pub unsafe_names: Vec<String>,
    /// How many member names would escape a directory, listed or not.
    pub unsafe_names_total: u64,
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
    /// The cabinet, its package.xml if it held one, its first
    /// [`MAX_UNSAFE_NAMES`] unsafe member names and how many it had.
    Cab(NestedCab, Option<PackageXmlSummary>, Vec<String>, u64),
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

/// Verifies the nested cabinet `name`, `len` bytes long, as its bytes come
/// down `pipe`: parsed forward-only, then each folder decoded in the order
/// of its data, nothing of it held but one block at a time.
fn verify_nested(name: &str, len: u64, pipe: PipeReader<'_>) -> Result<Outcome> {
    // The tables are read a field (a name, a byte) at a time: a buffer
    // keeps that from costing a trip through the pipe each.
    let mut input = Forward::new(BufReader::with_capacity(PIPE_READ_BUFFER, pipe), len);
    let cab = Cabinet::parse_sized(&mut input, len).map_err(|e| e.inside(name))?;
    fill_head(&mut input, len).map_err(|e| e.inside(name))?;
    integrity::check_cabinet_end(input.get_ref().get_ref().head(), len, &cab.header)
        .map_err(|e| e.inside(name))?;
    let mut summary = NestedCab {
        name: name.to_string(),
        compressed_bytes: len,
        folders: cab.folders.len(),
        files: cab.files.len(),
        bytes: 0,
        blocks_not_checksummed: 0,
    };
    let unsafe_total = cab.files.iter().filter(|f| f.has_unsafe_path()).count() as u64;
    let unsafe_names: Vec<String> = cab
        .files
        .iter()
        .filter(|f| f.has_unsafe_path())
        .take(MAX_UNSAFE_NAMES)
        .map(|f| format!("{name} > {}", f.name))
        .collect();
    let package_xml = if name.eq_ignore_ascii_case(PACKAGE_CAB) {
        Some(cab.find(PACKAGE_XML).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMember,
                format!("no {PACKAGE_XML} in {PACKAGE_CAB}"),
            )
            .inside(name)
        })?)
    } else {
        None
    };
    // A forward-only stream meets the folders in the order of their data
    // (in every real cabinet, the table's order).
    let mut folders: Vec<_> = cab.folders.iter().collect();
    folders.sort_by_key(|f| (f.data_offset, f.index));
    let mut package = None;
    for folder in folders {
        match &package_xml {
            // package.xml (about 114 MB) goes through the scanner as its
            // folder decodes; the rest of that folder is decoded after it.
            Some(file) if file.folder == folder.index => {
                let updates = scan_package_xml(&cab, &mut input, file, name)?;
                summary.blocks_not_checksummed += updates.1;
                summary.bytes += u64::from(file.size);
                package = Some(PackageXmlSummary {
                    bytes: u64::from(file.size),
                    updates: updates.0,
                });
            }
            _ => {
                let drained = cab
                    .drain_folder(&mut input, folder.index)
                    .map_err(|e| e.inside(name))?;
                summary.bytes += drained.member_bytes;
                summary.blocks_not_checksummed += drained.blocks_not_checksummed;
            }
        }
    }
    Ok(Outcome::Cab(summary, package, unsafe_names, unsafe_total))
}

/// A nested cabinet as its verifier reads it.
type Nested<'e> = Forward<BufReader<PipeReader<'e>>>;

/// The read buffer of a nested cabinet's verifier (64 KiB): two blocks'
/// worth, so that reading a block's header and data takes one copy out of
/// the pipe, not one per field.
const PIPE_READ_BUFFER: usize = 64 << 10;

/// Reads on until the pipe has kept the nested cabinet's first
/// [`integrity::NESTED_HEAD_LEN`] bytes (or all of a shorter one). Parsing
/// the tables has always read that far in a cabinet whose tables parse.
fn fill_head(input: &mut Nested<'_>, len: u64) -> Result<()> {
    let want = len.min(integrity::NESTED_HEAD_LEN as u64) as usize;
    let mut buf = [0u8; integrity::NESTED_HEAD_LEN];
    while input.get_ref().get_ref().head().len() < want {
        let missing = want - input.get_ref().get_ref().head().len();
        match input.read(&mut buf[..missing]) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(Error::io(e, "the cabinet header")),
        }
    }
    Ok(())
}

/// Scans package.xml (`file`) to its end as its folder decodes, then
/// decodes the rest of the folder. Returns the update count and the blocks
/// of the folder not checksummed.
fn scan_package_xml(
    cab: &Cabinet,
    input: &mut Nested<'_>,
    file: &FileEntry,
    name: &str,
) -> Result<(u64, u64)> {
    let mut xml = cab.open_member(input, file).map_err(|e| e.inside(name))?;
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
    Ok((
        scanned.visitors.iter().map(|c| c.0).sum(),
        xml.blocks_not_checksummed(),
    ))
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
    let streamed = stream_members(outer, path, threads, progress);
    if let Some(p) = progress {
        p.finish();
    }
    let mut unsafe_names: Vec<String> = outer
        .files
        .iter()
        .filter(|f| f.has_unsafe_path())
        .take(MAX_UNSAFE_NAMES)
        .map(|f| f.name.clone())
        .collect();
    let outer_unsafe = outer.files.iter().filter(|f| f.has_unsafe_path()).count() as u64;
    // The first failure in the outer cabinet's order wins; a nested failure
    // comes before a later failure of the outer stream itself.
    let members = Members::of(streamed.outcomes, path)?;
    let blocks_not_checksummed = streamed.result.map_err(|e| e.with_file(path))?;
    let room = MAX_UNSAFE_NAMES.saturating_sub(unsafe_names.len());
    unsafe_names.extend(members.unsafe_names.into_iter().take(room));
    let unsafe_names_total = outer_unsafe + members.unsafe_total;

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
        unsafe_names_total,
    })
}

/// Bytes of nested cabinets decoded out of the outer folder and not yet
/// read by their verifiers, all of them together (16 MiB). This is what
/// lets the outer stream run ahead of the nested verifiers, so that one
/// thread decodes the outer folder while others decode the shards it
/// already passed: a real shard is about 9 MB and package.cab about 15 MB
/// as members, so 16 MiB holds the rest of one while the next one starts.
/// Past it the outer stream waits; whatever a member claims, no more is
/// held.
pub const PIPE_BUDGET: usize = 16 << 20;

/// The most nested cabinets verified at once, whatever `--threads` says
/// (4). Each holds one folder's decoder (an LZX window is at most 2 MiB)
/// and its own tables: about 1.5 MB for a real shard of 12.5k members, but
/// up to about 40 MB for the largest table the format allows (65,535
/// members with 255-byte names, kept as stored and as displayed). Four such
/// tables, the pipes and the decoders stay under 256 MB on any machine;
/// more verifiers would only wait for the one outer stream that feeds them
/// all (two already keep up with it on real shards).
pub const MAX_NESTED_AT_ONCE: usize = 4;

/// The most unsafe member names a report lists (1,024 in all; each nested
/// cabinet keeps at most as many until the report is assembled); the rest
/// are only counted (`unsafe_names_total`). Each cabinet of a hostile
/// catalog can name 65,535 members `../…` of 255 bytes, and a catalog can
/// hold hundreds of such cabinets: listing them all would hold gigabytes.
pub const MAX_UNSAFE_NAMES: usize = 1024;

/// How many nested cabinets are verified at once for `threads` threads:
/// one fewer than the threads (the outer stream has one), but at least
/// two, so that the next cabinet can start while the last one's tail is
/// still being decoded.
fn nested_at_once(threads: usize) -> usize {
    threads.saturating_sub(1).clamp(2, MAX_NESTED_AT_ONCE)
}

/// Places for nested verifiers: a verifier holds one until it is done.
struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// One verifier's place in [`Slots`], freed when dropped (also by a
/// verifier that panics, so the outer stream cannot wait forever).
struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.freed.notify_all();
    }
}

impl Slots {
    /// Waits for a free place. `open` is how many nested cabinets are
    /// started and not yet fed to their end: their verifiers wait on the
    /// outer stream, so if they hold every place no place will ever free
    /// up (members that overlap in the outer folder, which no writer
    /// produces) and that is an error instead of a wait.
    fn enter(&self, open: usize, file: &FileEntry, pos: u64) -> Result<Slot<'_>> {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy >= self.max {
            if open >= self.max {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!(
                        "expected at most {} nested cabinets open at once (the nested-verifier bound), but member {:?} starts at byte {pos} of folder {} while {open} others are still open: members overlap",
                        self.max, file.name, file.folder
                    ),
                )
                .with_folder(file.folder));
            }
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *busy += 1;
        Ok(Slot(self))
    }
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

/// What the outer stream and the nested verifiers share.
struct Shared {
    budget: Budget,
    slots: Slots,
    /// Each member's outcome by the order it started in.
    outcomes: Mutex<Vec<(usize, Result<Outcome>)>>,
}

/// Streams the outer cabinet, handing each nested cabinet to a verifier
/// thread as its bytes come out.
fn stream_members(
    outer: &Cabinet,
    path: &Path,
    threads: usize,
    progress: Option<&dyn VerifyProgress>,
) -> Streamed {
    let shared = Shared {
        budget: Budget::new(PIPE_BUDGET),
        slots: Slots {
            busy: Mutex::new(0),
            freed: Condvar::new(),
            max: nested_at_once(threads),
        },
        outcomes: Mutex::new(Vec::new()),
    };
    let (result, ended, bytes) = std::thread::scope(|scope| {
        let mut sink = Sink {
            scope,
            shared: &shared,
            open: HashMap::new(),
            open_nested: 0,
            open_index: 0,
            started: 0,
            ended: Vec::new(),
            bytes: 0,
        };
        let result = outer.stream_all_pieces(
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
            &mut sink,
        );
        // Dropping the sink drops the pipes of members the stream did not
        // finish: their verifiers stop, and are waited for here.
        (result, sink.ended, sink.bytes)
    });
    // A member the outer stream cut short has no outcome: the stream's own
    // failure says what happened.
    let mut rank = HashMap::with_capacity(ended.len());
    for (i, id) in ended.into_iter().enumerate() {
        rank.insert(id, i);
    }
    let outcomes = shared
        .outcomes
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .filter_map(|(id, o)| rank.get(&id).map(|&i| (i, o)))
        .collect();
    Streamed {
        outcomes,
        bytes,
        result,
    }
}

/// What becomes of an outer member's bytes while it is open.
enum Open<'e> {
    /// index.xml, collected (up to [`MAX_INDEX_XML`]) to be parsed whole.
    Index(Vec<u8>),
    /// A member not named like a cabinet: its first 4 bytes decide whether
    /// it is one (`MSCF`). Where it started, for an error.
    Sniff(Vec<u8>, u64),
    /// A nested cabinet, piped to its verifier.
    Nested(PipeWriter<'e>),
    /// A plain member: its bytes are dropped.
    Plain,
    /// Its outcome is known already (an error): its bytes are dropped.
    Done,
}

/// The outer stream's [`MemberSink`]: where each member's bytes go.
struct Sink<'s, 'e> {
    scope: &'s Scope<'s, 'e>,
    shared: &'e Shared,
    /// Open members by their table entry's address, with their start order.
    open: HashMap<usize, (usize, Open<'e>)>,
    /// How many of the open members are nested cabinets.
    open_nested: usize,
    /// What the open index.xml members claim, together: members that
    /// overlap (no writer produces them) must not each collect up to the
    /// bound at once.
    open_index: u64,
    started: usize,
    /// Start orders of the members that ended, in the order they ended.
    ended: Vec<usize>,
    bytes: u64,
}

fn key(file: &FileEntry) -> usize {
    std::ptr::from_ref(file) as usize
}

impl<'e> Sink<'_, 'e> {
    fn outcome(&self, id: usize, outcome: Result<Outcome>) {
        self.shared
            .outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, outcome));
    }

    /// Starts a verifier for the nested cabinet `file` and pipes it `first`.
    fn nested(&mut self, id: usize, file: &FileEntry, pos: u64, first: &[u8]) -> Result<Open<'e>> {
        let shared = self.shared;
        let slot = shared.slots.enter(self.open_nested, file, pos)?;
        let (mut writer, reader) = pipe(&shared.budget, integrity::NESTED_HEAD_LEN);
        let name = file.name.clone();
        let len = u64::from(file.size);
        std::thread::Builder::new()
            .name("wsuscat-verify".into())
            .spawn_scoped(self.scope, move || {
                let _slot = slot;
                let outcome = verify_nested(&name, len, reader);
                shared
                    .outcomes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((id, outcome));
            })
            .map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot start a thread: {e}")).with_source(e)
            })?;
        self.open_nested += 1;
        writer.write(first);
        Ok(Open::Nested(writer))
    }
}

impl<'c> MemberSink<'c> for Sink<'_, '_> {
    fn start(&mut self, file: &'c FileEntry, pos: u64) -> Result<()> {
        let id = self.started;
        self.started += 1;
        let open = if file.name.eq_ignore_ascii_case(INDEX_XML) {
            if u64::from(file.size) + self.open_index > MAX_INDEX_XML {
                self.outcome(id, Err(index_too_large(file, self.open_index)));
                Open::Done
            } else {
                self.open_index += u64::from(file.size);
                Open::Index(Vec::new())
            }
        } else if file.name.to_ascii_lowercase().ends_with(".cab") {
            // A member named like a cabinet must be one: a shard replaced
            // by garbage must not pass as a plain file.
            self.nested(id, file, pos, &[])?
        } else {
            Open::Sniff(Vec::with_capacity(4), pos)
        };
        self.open.insert(key(file), (id, open));
        Ok(())
    }

    fn piece(&mut self, file: &'c FileEntry, bytes: &[u8]) -> Result<()> {
        let Some((id, open)) = self.open.get_mut(&key(file)) else {
            return Ok(());
        };
        match open {
            Open::Index(buf) => buf.extend_from_slice(bytes),
            Open::Nested(writer) => writer.write(bytes),
            Open::Sniff(head, pos) => {
                let take = (4 - head.len()).min(bytes.len());
                head.extend_from_slice(&bytes[..take]);
                if head.len() == 4 {
                    let (id, pos) = (*id, *pos);
                    let next = if head == b"MSCF" {
                        let mut first = std::mem::take(head);
                        first.extend_from_slice(&bytes[take..]);
                        self.nested(id, file, pos, &first)?
                    } else {
                        Open::Plain
                    };
                    self.open.insert(key(file), (id, next));
                }
            }
            Open::Plain | Open::Done => {}
        }
        Ok(())
    }

    fn end(&mut self, file: &'c FileEntry) -> Result<()> {
        let Some((id, open)) = self.open.remove(&key(file)) else {
            return Ok(());
        };
        match open {
            Open::Index(buf) => {
                self.open_index -= u64::from(file.size);
                self.outcome(id, Index::parse(&buf).map(Outcome::Index));
            }
            Open::Nested(writer) => {
                writer.finish();
                self.open_nested -= 1;
            }
            Open::Sniff(..) | Open::Plain => self.outcome(id, Ok(Outcome::Plain)),
            Open::Done => {}
        }
        self.ended.push(id);
        self.bytes += u64::from(file.size);
        Ok(())
    }
}

/// index.xml claims more than any command reads of it (with `open`
/// bytes claimed by other index.xml members still being collected).
fn index_too_large(file: &FileEntry, open: u64) -> Error {
    let others = if open > 0 {
        format!(" while other index.xml members overlapping it claim {open}")
    } else {
        String::new()
    };
    Error::new(
        ErrorKind::Limit,
        format!(
            "expected at most {MAX_INDEX_XML} bytes (the index.xml bound), but its entry claims {} at byte {} of folder {}{others}",
            file.size, file.folder_offset, file.folder
        ),
    )
    .inside(INDEX_XML)
}

/// What the outer cabinet's members came to.
struct Members {
    index: Option<Index>,
    package_xml: Option<PackageXmlSummary>,
    /// Every nested cabinet, in the outer cabinet's order.
    cabs: Vec<NestedCab>,
    /// Unsafe member names inside nested cabinets, the first
    /// [`MAX_UNSAFE_NAMES`].
    unsafe_names: Vec<String>,
    /// How many there were in all.
    unsafe_total: u64,
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
            unsafe_total: 0,
        };
        for (_, outcome) in outcomes {
            match outcome.map_err(|e| e.with_file(path))? {
                Outcome::Index(i) => m.index = Some(i),
                Outcome::Cab(summary, package, names, total) => {
                    if package.is_some() {
                        m.package_xml = package;
                    }
                    let room = MAX_UNSAFE_NAMES.saturating_sub(m.unsafe_names.len());
                    m.unsafe_names.extend(names.into_iter().take(room));
                    m.unsafe_total += total;
                    m.cabs.push(summary);
                }
                Outcome::Plain => {}
            }
        }
        Ok(m)
    }
}

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
    pub trust: TrustOptions,
    /// Total threads (the outer stream's included).
    pub threads: usize,
    /// Told the total, then the outer cabinet's compressed bytes read so far.
    pub progress: Option<&'a dyn VerifyProgress>,
}

/// Progress over the outer cabinet's compressed bytes.
pub trait VerifyProgress: Sync {
    fn start(&self, total: u64);
    fn position(&self, bytes: u64);
    fn finish(&self);
}

/// A nested cabinet, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NestedCab {
    pub name: String,
    pub compressed_bytes: u64,
    pub folders: usize,
    pub files: usize,
    /// Decompressed bytes of all its members.
    pub bytes: u64,
}

/// package.xml, read to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageXmlSummary {
    pub bytes: u64,
    pub updates: u64,
}

/// Everything `verify` established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub signature: SignatureStatus,
    /// Outer cabinet: folders, members, decompressed bytes.
    pub folders: usize,
    pub files: usize,
    pub bytes: u64,
    pub index: Index,
    pub package_xml: PackageXmlSummary,
    /// Every nested cabinet, in the outer cabinet's order.
    pub cabs: Vec<NestedCab>,
    /// Member names that would escape a directory if used as paths.
    pub unsafe_names: Vec<String>,
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
    let mut summary = NestedCab {
        name: name.to_string(),
        compressed_bytes: bytes.len() as u64,
        folders: cab.folders.len(),
        files: cab.files.len(),
        bytes: 0,
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
        summary.bytes += u64::from(file.size);
        skip_folder = Some(file.folder);
        package = Some(PackageXmlSummary {
            bytes: u64::from(file.size),
            updates: scanned.visitors.iter().map(|c| c.0).sum(),
        });
    }
    cab.stream_folders(
        || Ok(Cursor::new(bytes)),
        &|folder| Some(folder) != skip_folder,
        |_, data| {
            summary.bytes += data.len() as u64;
            Ok(())
        },
    )
    .map_err(|e| e.inside(name))?;
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
    let results: Mutex<Vec<(usize, String, Result<Outcome>)>> = Mutex::new(Vec::new());
    let gate = Gate::new(threads + 1);
    let mut unsafe_names: Vec<String> = outer
        .files
        .iter()
        .filter(|f| f.has_unsafe_path())
        .map(|f| f.name.clone())
        .collect();
    let mut total_bytes = 0u64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.saturating_sub(1).max(1))
        .thread_name(|i| format!("wsuscat-verify-{i}"))
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot start the worker pool: {e}")).with_source(e)
        })?;
    let streamed = pool.in_place_scope(|scope| {
        let mut seq = 0usize;
        let results = &results;
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
                total_bytes += bytes.len() as u64;
                let index = seq;
                seq += 1;
                let name = file.name.clone();
                if name.eq_ignore_ascii_case("index.xml") {
                    results.lock().expect("results lock").push((
                        index,
                        name,
                        Index::parse(&bytes).map(Outcome::Index),
                    ));
                    return Ok(());
                }
                // A member named like a cabinet must be one: a shard
                // replaced by garbage must not pass as a plain file.
                if !bytes.starts_with(b"MSCF") && !name.to_ascii_lowercase().ends_with(".cab") {
                    results
                        .lock()
                        .expect("results lock")
                        .push((index, name, Ok(Outcome::Plain)));
                    return Ok(());
                }
                let slot = gate.enter();
                scope.spawn(move |_| {
                    let _slot = slot;
                    let outcome = verify_nested(&name, &bytes);
                    results
                        .lock()
                        .expect("results lock")
                        .push((index, name, outcome));
                });
                Ok(())
            },
        )
    });
    if let Some(p) = progress {
        p.finish();
    }
    let mut results = results.into_inner().expect("pool finished");
    results.sort_by_key(|(i, _, _)| *i);
    // The first failure in the outer cabinet's order wins; a nested failure
    // comes before a later failure of the outer stream itself.
    let mut index = None;
    let mut package_xml = None;
    let mut cabs = Vec::new();
    for (_, _, outcome) in results {
        match outcome.map_err(|e| e.with_file(path))? {
            Outcome::Index(i) => index = Some(i),
            Outcome::Cab(summary, package, names) => {
                if package.is_some() {
                    package_xml = package;
                }
                unsafe_names.extend(names);
                cabs.push(summary);
            }
            Outcome::Plain => {}
        }
    }
    streamed.map_err(|e| e.with_file(path))?;

    let index = index.ok_or_else(|| {
        Error::new(ErrorKind::MissingMember, "the catalog has no index.xml").with_file(path)
    })?;
    for entry in &index.cabs {
        if outer.find(&entry.name).is_none() {
            return Err(Error::new(
                ErrorKind::MissingMember,
                format!(
                    "index.xml names {}, which the catalog does not contain",
                    entry.name
                ),
            )
            .inside("index.xml")
            .with_file(path));
        }
    }
    let package_xml = package_xml.ok_or_else(|| {
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
        bytes: total_bytes,
        index,
        package_xml,
        cabs,
        unsafe_names,
    })
}

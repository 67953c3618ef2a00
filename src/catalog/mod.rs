//! The catalog as a whole: the outer cabinet, the package.cab inside it, and
//! package.xml inside that.
//!
//! Neither package.cab (about 15 MB) nor package.xml (about 114 MB) is held
//! in memory: package.cab is parsed forward-only straight out of the outer
//! folder's stream (see `cab::forward`), and package.xml streams out of it.
//!
//! The layer above the cabinet format: everything that reads what a catalog
//! holds lives here, from the outer cabinet inward. [`index`] maps revisions
//! to shards, [`package`] streams package.xml in parallel into [`update`]
//! records, [`shards`] and [`fragment`] read the per-update fragments,
//! [`names`] turns them into titles and KB numbers, and [`inventory`] keeps
//! one compact record per update for the commands that look across updates.
//! Nothing here judges a catalog: trust and rules sit above.

pub mod fragment;
pub mod index;
pub mod inventory;
pub mod names;
pub mod package;
pub mod shards;
pub mod update;
pub mod xml;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cab::forward::Forward;
use crate::cab::{Cabinet, FileEntry, MemberReader};
use crate::catalog::index::Index;
use crate::error::{Error, ErrorKind, Result};

/// Who the catalog is: the `catalog` object of the JSON reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CatalogIdentity {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// The file's size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lower-case hex (what `Get-FileHash` and
    /// `sha256sum` print): computed when asked for (`--sha256`), or when no
    /// signature was checked (then it is the read pass's one hash); `None`
    /// otherwise, to hash the file once (docs/design.md, "Hash once").
    pub sha256: Option<String>,
    /// The digest the Authenticode signature covers, `sha256:<hex>` (the
    /// signature's algorithm): the whole file but for the signature and
    /// the header fields that hold it, so it names the catalog's content
    /// as the publisher signed it. `None` when no signature was verified.
    pub signed_digest: Option<String>,
    /// package.xml's root `PackageId` attribute, a GUID naming this edition
    /// of the catalog; `None` when absent.
    pub package_id: Option<String>,
    /// The root's `CreationDate` attribute (`2026-05-12T08:51:08Z`), as
    /// written; `None` when absent.
    pub creation_date: Option<String>,
    /// The root's `PackageVersion` attribute (`1.1`); `None` when absent.
    pub package_version: Option<String>,
    /// The root's `ProtocolVersion` attribute (`1.0`); `None` when absent.
    pub protocol_version: Option<String>,
    /// The root's `MinimumClientVersion` attribute: the oldest Windows
    /// Update Agent that accepts the catalog (`--wua-version` compares it);
    /// `None` when absent.
    pub minimum_client_version: Option<String>,
}

impl CatalogIdentity {
    /// The catalog's fingerprint in one phrase, for logs: `SHA-256 <hex>`
    /// of the file when it was hashed, else `signed digest sha256:<hex>`.
    pub fn fingerprint(&self) -> String {
        match (&self.sha256, &self.signed_digest) {
            (Some(sha256), _) => format!("SHA-256 {sha256}"),
            (None, Some(signed)) => format!("signed digest {signed}"),
            (None, None) => "not hashed".to_string(),
        }
    }

    /// What package.xml's root says, with the file's path and size; the
    /// SHA-256 is filled in by the hashing pass.
    pub fn new(path: &Path, size: u64, root: &package::RootInfo) -> CatalogIdentity {
        let attr = |name: &str| root.get(name).map(str::to_string);
        CatalogIdentity {
            path: path.display().to_string(),
            size,
            sha256: None,
            signed_digest: None,
            package_id: attr("PackageId"),
            creation_date: attr("CreationDate"),
            package_version: attr("PackageVersion"),
            protocol_version: attr("ProtocolVersion"),
            minimum_client_version: attr("MinimumClientVersion"),
        }
    }
}

/// package.xml streamed out of package.cab out of the catalog
/// ([`Catalog::stream_package_xml`]); read it with
/// [`package::scan::scan`], then call [`PackageXml::finish`].
pub struct PackageXml {
    member: MemberReader<Forward<MemberReader<BufReader<File>>>>,
    path: PathBuf,
}

impl PackageXml {
    /// package.xml's CFFILE entry in package.cab.
    pub fn file(&self) -> &FileEntry {
        self.member.file()
    }

    /// Once package.xml is read to its end: decodes the rest of its folder
    /// in package.cab, so that every block the folder claims is there and
    /// checksummed. A reader that stops at package.xml's last byte would
    /// accept a CFFOLDER that claims blocks the cabinet does not hold,
    /// which `verify` and `cabextract` refuse. In every real catalog
    /// package.xml is the folder's only member, so this decodes nothing
    /// more than the last block's tail.
    pub fn finish(mut self) -> Result<()> {
        self.member
            .finish_folder()
            .map_err(|e| e.inside(PACKAGE_CAB).with_file(&self.path))
    }

    /// [`PackageXml::finish`], keeping the outer cabinet's folder where
    /// package.cab left it: the shards after package.cab can then be read
    /// in the same pass over the outer folder ([`crate::catalog::shards::read`]
    /// takes it), not by decoding the folder again from its start. On the
    /// real catalog that second pass is most of the time of naming a
    /// finding: 600+ MB of already-compressed shards coded as literals.
    pub fn finish_resumable(mut self) -> Result<OuterResume> {
        self.member
            .finish_folder()
            .map_err(|e| e.inside(PACKAGE_CAB).with_file(&self.path))?;
        let outer = self.member.into_folder().into_reader().into_inner();
        Ok(OuterResume {
            folder: outer.into_folder(),
        })
    }
}

/// The outer cabinet's folder, decoded up to the end of package.cab (see
/// [`PackageXml::finish_resumable`]).
pub struct OuterResume {
    folder: crate::cab::FolderReader<BufReader<File>>,
}

impl OuterResume {
    /// The folder (its index in the outer cabinet) and the folder offset
    /// of the next byte it would decode.
    pub fn at(&self) -> (u16, u64) {
        (self.folder.entry().index, self.folder.position())
    }

    pub(crate) fn into_folder(self) -> crate::cab::FolderReader<BufReader<File>> {
        self.folder
    }
}

impl std::fmt::Debug for OuterResume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (folder, at) = self.at();
        write!(f, "OuterResume {{ folder: {folder}, at: {at} }}")
    }
}

impl package::scan::Chunks for PackageXml {
    fn next_chunk(&mut self, max: usize) -> Result<&[u8]> {
        self.member.next_chunk(max)
    }
}

/// The name of the cabinet holding package.xml.
pub const PACKAGE_CAB: &str = "package.cab";
/// The shard map.
pub const INDEX_XML: &str = "index.xml";
/// The metadata file inside package.cab.
pub const PACKAGE_XML: &str = "package.xml";

/// The most bytes of index.xml any command reads into memory (16 MiB).
/// index.xml is the only member read whole: it is parsed as one document.
/// A real one lists about 75 cabinets in a few KB; even a catalog of 65,535
/// shards (the most a cabinet's file table can hold) would need about
/// 4 MB, so the bound refuses only a hostile or corrupt member, before a
/// byte of it is held.
pub const MAX_INDEX_XML: u64 = 16 << 20;

/// Places an error from scanning package.xml: parse errors are about
/// package.xml's text, decoding errors about package.cab's blocks (errors
/// from the outer cabinet's stream arrive sealed with their own place).
pub fn scan_error(e: Error, path: &Path) -> Error {
    let e = if matches!(
        e.kind(),
        ErrorKind::Xml | ErrorKind::NoUpdates | ErrorKind::Limit
    ) {
        e.inside(PACKAGE_XML)
    } else {
        e
    };
    e.inside(PACKAGE_CAB).with_file(path)
}

/// An opened outer cabinet.
#[derive(Debug)]
pub struct Catalog {
    path: PathBuf,
    outer: Cabinet,
}

fn open_file(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot open: {e}"))
            .with_source(e)
            .with_file(path)
    })?;
    Ok(BufReader::with_capacity(256 << 10, file))
}

impl Catalog {
    /// Opens the file and parses the outer cabinet's header.
    pub fn open(path: &Path) -> Result<Catalog> {
        let mut reader = open_file(path)?;
        let outer = Cabinet::parse(&mut reader).map_err(|e| e.with_file(path))?;
        Ok(Catalog {
            path: path.to_path_buf(),
            outer,
        })
    }

    /// The catalog file's path, as given to [`Catalog::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The outer cabinet's parsed header: its folders and members.
    pub fn outer(&self) -> &Cabinet {
        &self.outer
    }

    fn member_list(&self) -> String {
        let mut names: Vec<&str> = self
            .outer
            .files
            .iter()
            .map(|f| f.name.as_str())
            .take(6)
            .collect();
        if self.outer.files.len() > 6 {
            names.push("…");
        }
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    }

    fn find(&self, name: &str) -> Result<&FileEntry> {
        self.outer.find(name).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMember,
                format!(
                    "the catalog has no {name} (members: {})",
                    self.member_list()
                ),
            )
            .with_file(&self.path)
        })
    }

    /// index.xml's bytes. It is small and, in every known catalog, the
    /// first member, so this decodes next to nothing; a hostile one is
    /// refused over [`MAX_INDEX_XML`].
    pub fn read_index_xml(&self) -> Result<Vec<u8>> {
        let file = self.find(INDEX_XML)?;
        self.outer
            .open_member(open_file(&self.path)?, file)
            .and_then(|m| m.read_all(MAX_INDEX_XML))
            .map_err(|e| e.inside(INDEX_XML).with_file(&self.path))
    }

    /// Reads and parses index.xml.
    pub fn read_index(&self) -> Result<Index> {
        Index::parse(&self.read_index_xml()?).map_err(|e| e.with_file(&self.path))
    }

    /// Streams package.xml out of package.cab out of the outer cabinet,
    /// forward-only: neither cabinet is held in memory.
    pub fn stream_package_xml(&self) -> Result<PackageXml> {
        let file = self.find(PACKAGE_CAB)?;
        let size = u64::from(file.size);
        let outer = self
            .outer
            .open_member(open_file(&self.path)?, file)
            .map_err(|e| e.with_file(&self.path))?;
        let mut forward = Forward::new(outer, size);
        let inner = Cabinet::parse_sized(&mut forward, size)
            .and_then(|c| c.header.check_len(size).map(|()| c))
            .map_err(|e| e.inside(PACKAGE_CAB).with_file(&self.path))?;
        let xml = inner.find(PACKAGE_XML).ok_or_else(|| {
            let names: Vec<&str> = inner
                .files
                .iter()
                .map(|f| f.name.as_str())
                .take(6)
                .collect();
            Error::new(
                ErrorKind::MissingMember,
                format!(
                    "no {PACKAGE_XML} in {PACKAGE_CAB} (it holds: {})",
                    names.join(", ")
                ),
            )
            .inside(PACKAGE_CAB)
            .with_file(&self.path)
        })?;
        let xml = xml.clone();
        let member = inner
            .open_member(forward, &xml)
            .map_err(|e| e.inside(PACKAGE_CAB).with_file(&self.path))?;
        Ok(PackageXml {
            member,
            path: self.path.clone(),
        })
    }
}

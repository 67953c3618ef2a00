//! The catalog as a whole: the outer cabinet, the package.cab inside it, and
//! package.xml inside that.
//!
//! package.cab is read into memory (about 15 MB) because a compressed member
//! cannot be re-entered in the middle without decompressing its folder again;
//! package.xml is then streamed out of it forward-only and never held whole.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cab::forward::Forward;
use crate::cab::{Cabinet, FileEntry, MemberReader};

/// package.xml streamed out of package.cab out of the catalog.
pub type PackageXml = MemberReader<Forward<MemberReader<BufReader<File>>>>;
use crate::error::{Error, ErrorKind, Result};

/// The name of the cabinet holding package.xml.
pub const PACKAGE_CAB: &str = "package.cab";
/// The metadata file inside package.cab.
pub const PACKAGE_XML: &str = "package.xml";
/// package.cab is about 15 MB in 2026; refuse to load anything absurd.
pub const MAX_PACKAGE_CAB: u64 = 512 << 20;

/// An opened outer cabinet.
#[derive(Debug)]
pub struct Catalog {
    path: PathBuf,
    outer: Cabinet,
}

/// A nested cabinet held in memory.
#[derive(Debug)]
pub struct InnerCab {
    pub name: String,
    pub bytes: Vec<u8>,
    pub cab: Cabinet,
}

fn open_file(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_file(path))?;
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn outer(&self) -> &Cabinet {
        &self.outer
    }

    /// Reads a member of the outer cabinet into memory.
    pub fn read_member(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let file = self.outer.find(name).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMember,
                format!(
                    "the catalog has no {name} (members: {})",
                    self.member_list()
                ),
            )
            .with_file(&self.path)
        })?;
        let reader = open_file(&self.path)?;
        self.outer
            .open_member(reader, file)
            .and_then(|m| m.read_all(limit))
            .map_err(|e| e.with_file(&self.path))
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

    /// Reads package.cab into memory and parses its header.
    pub fn package_cab(&self) -> Result<InnerCab> {
        let bytes = self.read_member(PACKAGE_CAB, MAX_PACKAGE_CAB)?;
        InnerCab::parse(PACKAGE_CAB, bytes).map_err(|e| e.with_file(&self.path))
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
        inner
            .open_member(forward, &xml)
            .map_err(|e| e.inside(PACKAGE_CAB).with_file(&self.path))
    }
}

impl InnerCab {
    pub fn parse(name: &str, bytes: Vec<u8>) -> Result<InnerCab> {
        let cab = Cabinet::parse(&mut Cursor::new(&bytes[..])).map_err(|e| e.inside(name))?;
        Ok(InnerCab {
            name: name.to_string(),
            bytes,
            cab,
        })
    }

    /// Streams one member.
    pub fn open_member(&self, member: &str) -> Result<MemberReader<Cursor<&[u8]>>> {
        let file = self.cab.find(member).ok_or_else(|| {
            let names: Vec<&str> = self
                .cab
                .files
                .iter()
                .map(|f| f.name.as_str())
                .take(6)
                .collect();
            Error::new(
                ErrorKind::MissingMember,
                format!(
                    "no {member} in {} (it holds: {})",
                    self.name,
                    if names.is_empty() {
                        "nothing".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            )
            .inside(&self.name)
        })?;
        self.cab
            .open_member(Cursor::new(&self.bytes[..]), file)
            .map_err(|e| e.inside(&self.name))
    }
}

/// The SHA-256 of a whole file, as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut reader = open_file(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| Error::io(&e, "the catalog for hashing").with_file(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::generator::rng::hex(&hasher.finalize()))
}

//! A cabinet as a whole: CFHEADER, then the CFFOLDER and CFFILE tables,
//! assembled into one value that opens folders and members.
//!
//! Each structure parses and checks itself ([`super::header`],
//! [`super::folder`], [`super::file`]); this module reads them in file
//! order, so that a reader which only seeks forward can parse a cabinet
//! nested in another's folder (see [`super::forward`]).

use std::io::{Read, Seek, SeekFrom};

use super::file::FileEntry;
use super::folder::FolderEntry;
use super::header::Header;
use super::member::MemberReader;
use super::stream::FolderReader;
use crate::error::{Error, ErrorKind, Result};

/// A parsed cabinet: header, folders and files. Reading member bytes goes
/// through [`Cabinet::open_folder`] / [`Cabinet::open_member`].
#[derive(Debug, Clone)]
pub struct Cabinet {
    /// CFHEADER.
    pub header: Header,
    /// The CFFOLDER table, in file order (a member names its folder by
    /// index into it).
    pub folders: Vec<FolderEntry>,
    /// The CFFILE table, in file order: the order members come out of their
    /// folders.
    pub files: Vec<FileEntry>,
}

impl Cabinet {
    /// Parses the header and the folder and file tables.
    pub fn parse<R: Read + Seek>(r: &mut R) -> Result<Cabinet> {
        let file_len = r
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(e, "the cabinet's length"))?;
        r.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(e, "the cabinet header"))?;
        Cabinet::parse_sized(r, file_len)
    }

    /// Parses a cabinet of known length whose reader is positioned at its
    /// start, seeking only forward (see [`super::forward`]).
    pub fn parse_sized<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<Cabinet> {
        let (header, folders_offset) = Header::parse(r, file_len)?;
        let folders = FolderEntry::parse_table(r, &header, folders_offset)?;
        let files = FileEntry::parse_table(r, &header, &folders)?;
        Ok(Cabinet {
            header,
            folders,
            files,
        })
    }

    /// The first member whose name matches (ASCII case-insensitive, `/` and
    /// `\` alike).
    pub fn find(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name_matches(name))
    }

    /// Streams a folder's decompressed bytes from its first block.
    pub fn open_folder<R: Read + Seek>(&self, reader: R, folder: u16) -> Result<FolderReader<R>> {
        let entry = self.folders.get(usize::from(folder)).ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                format!(
                    "folder {folder} does not exist (the cabinet has {})",
                    self.folders.len()
                ),
            )
        })?;
        FolderReader::new(
            reader,
            entry.clone(),
            self.header.data_reserve,
            self.header.cabinet_end(),
        )
    }

    /// Streams one member's bytes. Everything before it in its folder is
    /// decompressed and discarded: compressed folders cannot be entered in the
    /// middle.
    pub fn open_member<R: Read + Seek>(
        &self,
        reader: R,
        file: &FileEntry,
    ) -> Result<MemberReader<R>> {
        let folder = self.open_folder(reader, file.folder)?;
        MemberReader::new(folder, file.clone())
    }
}

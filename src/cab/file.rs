//! CFFILE: one member's name, size and place in its folder.
//!
//! Each entry is checked as it is read, against the cabinet's end and
//! against the folder it names, so that a member can never ask a folder
//! for more bytes than the folder's blocks can hold.

use std::io::{Read, Seek, SeekFrom};

use super::folder::FolderEntry;
use super::header::Header;
use super::read::{malformed, read_cstring, read_exact_at, truncated};
use crate::error::{Error, ErrorKind, Result};

/// `_A_NAME_IS_UTF`: the name is UTF-8 rather than the writer's code page.
pub const ATTR_NAME_IS_UTF: u16 = 0x80;

/// Size of the fixed part of CFFILE (cbFile, uoffFolderStart, iFolder,
/// date, time, attribs); the NUL-terminated name follows.
const FIXED_LEN: usize = 16;

/// One member of a cabinet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The name exactly as stored (without the terminating NUL).
    pub raw_name: Vec<u8>,
    /// The name for display and lookup: UTF-8 when valid, otherwise lossily
    /// decoded (the writer's code page is unknown).
    pub name: String,
    /// Uncompressed size in bytes.
    pub size: u32,
    /// Offset of the first byte in the folder's uncompressed stream.
    pub folder_offset: u32,
    /// Index of the folder holding the member.
    pub folder: u16,
    /// MS-DOS date, as stored.
    pub date: u16,
    /// MS-DOS time, as stored.
    pub time: u16,
    /// Attribute bits, as stored.
    pub attributes: u16,
}

impl FileEntry {
    /// The end of the member in its folder's uncompressed stream.
    pub fn folder_end(&self) -> u64 {
        u64::from(self.folder_offset) + u64::from(self.size)
    }

    /// Whether the name, used as a path, would escape the extraction root:
    /// an absolute path, a drive letter, or a `..` component. wsuscat never
    /// writes members to disk, but `verify` reports such names because a
    /// catalog should never contain them.
    pub fn has_unsafe_path(&self) -> bool {
        let name = &self.name;
        if name.starts_with('/') || name.starts_with('\\') {
            return true;
        }
        if matches!(name.as_bytes(), [drive, b':', ..] if drive.is_ascii_alphabetic()) {
            return true;
        }
        name.split(['/', '\\']).any(|part| part == "..")
    }

    /// Case-insensitive (ASCII) comparison with backslashes and slashes
    /// treated alike, as Windows would look a member up.
    pub fn name_matches(&self, wanted: &str) -> bool {
        let a = self.name.as_bytes();
        let b = wanted.as_bytes();
        a.len() == b.len()
            && a.iter().zip(b).all(|(&x, &y)| {
                let norm = |c: u8| {
                    if c == b'/' {
                        b'\\'
                    } else {
                        c.to_ascii_lowercase()
                    }
                };
                norm(x) == norm(y)
            })
    }

    /// Reads the CFFILE table at the header's coffFiles, checking each
    /// member against the folder it names.
    pub(crate) fn parse_table<R: Read + Seek>(
        r: &mut R,
        header: &Header,
        folders: &[FolderEntry],
    ) -> Result<Vec<FileEntry>> {
        // A cabinet without files is useless to every reader; cabextract
        // and libmspack refuse it too.
        if header.file_count == 0 {
            return Err(malformed("the cabinet holds no files", 28));
        }
        let files_offset = u64::from(header.files_offset);
        if files_offset >= header.cabinet_end() {
            return Err(malformed(
                format!(
                    "file table at byte {} is past the cabinet's end",
                    header.files_offset
                ),
                16,
            ));
        }
        // 16 bytes is the smallest possible CFFILE (with a 0-byte name).
        if files_offset + 17 * u64::from(header.file_count) > header.cabinet_end() {
            return Err(malformed(
                format!(
                    "{} file entries do not fit between byte {} and the cabinet's end",
                    header.file_count, header.files_offset
                ),
                28,
            ));
        }
        r.seek(SeekFrom::Start(files_offset))
            .map_err(|e| Error::seek(e, "the file table"))?;
        let mut offset = files_offset;
        let mut files = Vec::with_capacity(usize::from(header.file_count));
        for _ in 0..header.file_count {
            let entry_offset = offset;
            let file = FileEntry::parse(r, header, &mut offset)?;
            file.check_folder(folders, entry_offset)?;
            files.push(file);
        }
        Ok(files)
    }

    /// Reads one CFFILE entry at `offset`, moving `offset` past it.
    pub(crate) fn parse<R: Read>(
        r: &mut R,
        header: &Header,
        offset: &mut u64,
    ) -> Result<FileEntry> {
        let entry_offset = *offset;
        let mut fixed = [0u8; FIXED_LEN];
        read_exact_at(r, &mut fixed, "file table", *offset, header.file_len)?;
        *offset += FIXED_LEN as u64;
        let raw_name = read_cstring(r, "file name", offset, header.file_len)?;
        if raw_name.is_empty() {
            return Err(malformed(
                "a member has an empty name",
                entry_offset + FIXED_LEN as u64,
            ));
        }
        if *offset > header.cabinet_end() {
            return Err(truncated("file table", entry_offset, header.cabinet_end()));
        }
        let name = match std::str::from_utf8(&raw_name) {
            Ok(s) => s.to_string(),
            // Without `_A_NAME_IS_UTF` the bytes are in the writer's code
            // page, which the file does not record: show them lossily and
            // keep the raw bytes for exact comparison.
            Err(_) => String::from_utf8_lossy(&raw_name).into_owned(),
        };
        let file = FileEntry {
            raw_name,
            name,
            size: u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]),
            folder_offset: u32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            folder: u16::from_le_bytes([fixed[8], fixed[9]]),
            date: u16::from_le_bytes([fixed[10], fixed[11]]),
            time: u16::from_le_bytes([fixed[12], fixed[13]]),
            attributes: u16::from_le_bytes([fixed[14], fixed[15]]),
        };
        // iFolder 0xFFFD..=0xFFFF: continued from the previous cabinet, into
        // the next, or both.
        if file.folder >= 0xFFFD {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "member {:?} continues from or into another cabinet; spanned cabinet sets are not supported",
                    file.name
                ),
            )
            .at_offset(entry_offset));
        }
        Ok(file)
    }

    /// Checks that the folder the member names exists and can hold it; the
    /// entry is at `entry_offset`.
    fn check_folder(&self, folders: &[FolderEntry], entry_offset: u64) -> Result<()> {
        let Some(folder) = folders.get(usize::from(self.folder)) else {
            return Err(malformed(
                format!(
                    "member {:?} names folder {}, but the cabinet has {}",
                    self.name,
                    self.folder,
                    folders.len()
                ),
                entry_offset,
            ));
        };
        if self.folder_end() > folder.max_uncompressed() {
            return Err(malformed(
                format!(
                    "member {:?} ends at byte {} of folder {}, which holds at most {} bytes",
                    self.name,
                    self.folder_end(),
                    self.folder,
                    folder.max_uncompressed()
                ),
                entry_offset,
            ));
        }
        Ok(())
    }
}

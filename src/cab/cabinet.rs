//! CFHEADER: the cabinet's fixed header, its reserve, and the folder and file
//! tables it points to.
//!
//! Parsing trusts nothing: every count and offset is checked against the
//! file's real length before it is used, so a damaged or hostile header gives
//! a typed error instead of a huge allocation or a read past the end.

use std::io::{Read, Seek, SeekFrom};

use super::file::FileEntry;
use super::folder::{Compression, FolderEntry, FolderReader};
use super::member::MemberReader;
use crate::error::{Error, ErrorKind, Result};

/// Header flag: a previous cabinet in a spanned set exists.
pub const FLAG_PREV_CABINET: u16 = 0x0001;
/// Header flag: a next cabinet in a spanned set exists.
pub const FLAG_NEXT_CABINET: u16 = 0x0002;
/// Header flag: the reserve size fields are present.
pub const FLAG_RESERVE_PRESENT: u16 = 0x0004;

/// Size of the fixed part of CFHEADER.
pub const FIXED_HEADER_LEN: usize = 36;
/// Offset of the Authenticode signature offset/length in a signed cabinet.
pub const SIGNATURE_FIELDS_OFFSET: usize = 44;

/// The decoded CFHEADER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// cbCabinet: the cabinet's size as its writer recorded it.
    pub cabinet_size: u32,
    /// coffFiles: where the CFFILE table starts.
    pub files_offset: u32,
    pub version_minor: u8,
    pub version_major: u8,
    pub folder_count: u16,
    pub file_count: u16,
    pub flags: u16,
    pub set_id: u16,
    pub cabinet_index: u16,
    /// The per-cabinet reserve (an Authenticode cabinet keeps its signature
    /// location here).
    pub reserve: Vec<u8>,
    /// cbCFFolder: reserve bytes after each CFFOLDER.
    pub folder_reserve: u8,
    /// cbCFData: reserve bytes after each CFDATA header.
    pub data_reserve: u8,
    /// The real length of the file holding the cabinet.
    pub file_len: u64,
}

impl Header {
    /// The Authenticode signature's (offset, length), when the reserve has the
    /// layout signing tools write: 20 bytes starting `00 00 10 00`.
    pub fn signature_location(&self) -> Option<(u32, u32)> {
        let r = &self.reserve;
        if self.flags & FLAG_RESERVE_PRESENT != 0 && r.len() == 20 && r[..4] == [0, 0, 0x10, 0] {
            let offset = u32::from_le_bytes([r[4], r[5], r[6], r[7]]);
            let len = u32::from_le_bytes([r[8], r[9], r[10], r[11]]);
            Some((offset, len))
        } else {
            None
        }
    }
}

/// A parsed cabinet: header, folders and files. Reading member bytes goes
/// through [`Cabinet::open_folder`] / [`Cabinet::open_member`].
#[derive(Debug, Clone)]
pub struct Cabinet {
    pub header: Header,
    pub folders: Vec<FolderEntry>,
    pub files: Vec<FileEntry>,
}

fn malformed(msg: impl Into<String>, offset: u64) -> Error {
    Error::new(ErrorKind::Malformed, msg).at_offset(offset)
}

fn truncated(what: &str, offset: u64, file_len: u64) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!("file ends at byte {file_len} inside the {what}"),
    )
    .at_offset(offset)
}

fn read_exact_at<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    what: &str,
    offset: u64,
    file_len: u64,
) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            truncated(what, offset, file_len)
        } else {
            Error::io(e, what).at_offset(offset)
        }
    })
}

/// Reads a NUL-terminated string of at most 255 bytes (plus NUL).
fn read_cstring<R: Read>(
    r: &mut R,
    what: &str,
    offset: &mut u64,
    file_len: u64,
) -> Result<Vec<u8>> {
    let start = *offset;
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        read_exact_at(r, &mut byte, what, start, file_len)?;
        *offset += 1;
        if byte[0] == 0 {
            return Ok(out);
        }
        if out.len() == 255 {
            return Err(malformed(format!("{what} is longer than 255 bytes"), start));
        }
        out.push(byte[0]);
    }
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
        let mut fixed = [0u8; FIXED_HEADER_LEN];
        let got = read_up_to(r, &mut fixed).map_err(|e| Error::io(e, "the cabinet header"))?;
        if got < 4 || &fixed[..4] != b"MSCF" {
            return Err(Error::new(
                ErrorKind::NotCabinet,
                "not a cabinet: the file does not start with the MSCF signature",
            )
            .at_offset(0));
        }
        if got < FIXED_HEADER_LEN {
            return Err(truncated("cabinet header (36 bytes)", 0, file_len));
        }
        let u16_at = |o: usize| u16::from_le_bytes([fixed[o], fixed[o + 1]]);
        let u32_at =
            |o: usize| u32::from_le_bytes([fixed[o], fixed[o + 1], fixed[o + 2], fixed[o + 3]]);
        let mut header = Header {
            cabinet_size: u32_at(8),
            files_offset: u32_at(16),
            version_minor: fixed[24],
            version_major: fixed[25],
            folder_count: u16_at(26),
            file_count: u16_at(28),
            flags: u16_at(30),
            set_id: u16_at(32),
            cabinet_index: u16_at(34),
            reserve: Vec::new(),
            folder_reserve: 0,
            data_reserve: 0,
            file_len,
        };
        if (header.version_major, header.version_minor) != (1, 3) {
            return Err(Error::new(
                ErrorKind::UnsupportedVersion,
                format!(
                    "cabinet version {}.{}, expected 1.3",
                    header.version_major, header.version_minor
                ),
            )
            .at_offset(24));
        }
        if u64::from(header.cabinet_size) > file_len {
            return Err(Error::new(
                ErrorKind::Truncated,
                format!(
                    "truncated: the header says the cabinet is {} bytes, the file has {}",
                    header.cabinet_size, file_len
                ),
            )
            .at_offset(8));
        }
        let cab_end = u64::from(header.cabinet_size);
        let mut offset = FIXED_HEADER_LEN as u64;
        if header.flags & FLAG_RESERVE_PRESENT != 0 {
            let mut sizes = [0u8; 4];
            read_exact_at(r, &mut sizes, "reserve sizes", offset, file_len)?;
            offset += 4;
            let header_reserve = u16::from_le_bytes([sizes[0], sizes[1]]);
            header.folder_reserve = sizes[2];
            header.data_reserve = sizes[3];
            if u64::from(header_reserve) + offset > cab_end {
                return Err(malformed(
                    format!("header reserve of {header_reserve} bytes runs past the cabinet's end"),
                    36,
                ));
            }
            header.reserve = vec![0; usize::from(header_reserve)];
            read_exact_at(r, &mut header.reserve, "header reserve", offset, file_len)?;
            offset += u64::from(header_reserve);
        }
        if header.flags & FLAG_PREV_CABINET != 0 {
            read_cstring(r, "previous cabinet name", &mut offset, file_len)?;
            read_cstring(r, "previous disk name", &mut offset, file_len)?;
        }
        if header.flags & FLAG_NEXT_CABINET != 0 {
            read_cstring(r, "next cabinet name", &mut offset, file_len)?;
            read_cstring(r, "next disk name", &mut offset, file_len)?;
        }

        // Folders.
        let folder_entry_len = 8 + usize::from(header.folder_reserve);
        let table_len = folder_entry_len as u64 * u64::from(header.folder_count);
        if offset + table_len > cab_end {
            return Err(malformed(
                format!(
                    "{} folder entries do not fit in the cabinet's {} bytes",
                    header.folder_count, header.cabinet_size
                ),
                offset,
            ));
        }
        let mut folders = Vec::with_capacity(usize::from(header.folder_count));
        let mut entry = vec![0u8; folder_entry_len];
        for index in 0..header.folder_count {
            read_exact_at(r, &mut entry, "folder table", offset, file_len)?;
            let data_offset = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let block_count = u16::from_le_bytes([entry[4], entry[5]]);
            let type_compress = u16::from_le_bytes([entry[6], entry[7]]);
            if u64::from(data_offset) > cab_end {
                return Err(malformed(
                    format!(
                        "folder {index} data starts at byte {data_offset}, past the cabinet's end"
                    ),
                    offset,
                ));
            }
            folders.push(FolderEntry {
                index,
                data_offset,
                block_count,
                compression: Compression::from_type(type_compress),
                reserve: entry[8..].to_vec(),
            });
            offset += folder_entry_len as u64;
        }

        // Files. A cabinet without any is useless to every reader; cabextract
        // and libmspack refuse it too.
        if header.file_count == 0 {
            return Err(malformed("the cabinet holds no files", 28));
        }
        if u64::from(header.files_offset) >= cab_end {
            return Err(malformed(
                format!(
                    "file table at byte {} is past the cabinet's end",
                    header.files_offset
                ),
                16,
            ));
        }
        // 16 bytes is the smallest possible CFFILE (with a 0-byte name).
        if u64::from(header.files_offset) + 17 * u64::from(header.file_count) > cab_end {
            return Err(malformed(
                format!(
                    "{} file entries do not fit between byte {} and the cabinet's end",
                    header.file_count, header.files_offset
                ),
                28,
            ));
        }
        r.seek(SeekFrom::Start(u64::from(header.files_offset)))
            .map_err(|e| Error::seek(e, "the file table"))?;
        let mut offset = u64::from(header.files_offset);
        let mut files = Vec::with_capacity(usize::from(header.file_count));
        for _ in 0..header.file_count {
            let entry_offset = offset;
            let mut fixed = [0u8; 16];
            read_exact_at(r, &mut fixed, "file table", offset, file_len)?;
            offset += 16;
            let raw_name = read_cstring(r, "file name", &mut offset, file_len)?;
            if raw_name.is_empty() {
                return Err(malformed("a member has an empty name", entry_offset + 16));
            }
            if offset > cab_end {
                return Err(truncated("file table", entry_offset, cab_end));
            }
            let attributes = u16::from_le_bytes([fixed[14], fixed[15]]);
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
                attributes,
            };
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
            let Some(folder) = folders.get(usize::from(file.folder)) else {
                return Err(malformed(
                    format!(
                        "member {:?} names folder {}, but the cabinet has {}",
                        file.name,
                        file.folder,
                        folders.len()
                    ),
                    entry_offset,
                ));
            };
            if file.folder_end() > folder.max_uncompressed() {
                return Err(malformed(
                    format!(
                        "member {:?} ends at byte {} of folder {}, which holds at most {} bytes",
                        file.name,
                        file.folder_end(),
                        file.folder,
                        folder.max_uncompressed()
                    ),
                    entry_offset,
                ));
            }
            files.push(file);
        }
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
        FolderReader::new(reader, entry.clone(), &self.header)
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

/// Like `read_exact`, but reports how much was read instead of failing at EOF.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut total = 0;
    while total < buf.len() {
        match r.read(&mut buf[total..]) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

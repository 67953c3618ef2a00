//! CFHEADER: the cabinet's fixed header, its optional reserve, and the
//! names of the previous and next cabinets of a spanned set.
//!
//! Parsing trusts nothing: the sizes the header claims are checked against
//! the file's real length before anything is read on their word, so a
//! damaged or hostile header gives a typed error instead of a huge
//! allocation or a read past the end.

use std::io::Read;

use super::read::{malformed, read_cstring, read_exact_at, read_up_to, truncated};
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
    /// versionMinor: 3 in every cabinet Microsoft writes.
    pub version_minor: u8,
    /// versionMajor: 1 in every cabinet Microsoft writes.
    pub version_major: u8,
    /// cFolders: entries in the CFFOLDER table.
    pub folder_count: u16,
    /// cFiles: entries in the CFFILE table.
    pub file_count: u16,
    /// flags: `FLAG_PREV_CABINET`, `FLAG_NEXT_CABINET`, `FLAG_RESERVE_PRESENT`.
    pub flags: u16,
    /// setID: shared by the cabinets of one spanned set.
    pub set_id: u16,
    /// iCabinet: this cabinet's place in a spanned set (0 for a lone one).
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
        if self.flags & FLAG_RESERVE_PRESENT == 0 || self.reserve.len() != 20 {
            return None;
        }
        let (magic, rest) = self.reserve.split_first_chunk::<4>()?;
        let (offset, rest) = rest.split_first_chunk::<4>()?;
        let (len, _) = rest.split_first_chunk::<4>()?;
        (*magic == [0, 0, 0x10, 0]).then(|| (u32::from_le_bytes(*offset), u32::from_le_bytes(*len)))
    }

    /// A cabinet held in a member of `len` bytes must end where its header
    /// says (cbCabinet), unless the signature area its reserve declares
    /// accounts for exactly the bytes past that end (a nested cabinet may be
    /// signed). Bytes nobody accounts for are padding no writer produces:
    /// a second cabinet appended, or a member enlarged to hide something,
    /// which `cabextract` would read and wsuscat would not.
    pub fn check_len(&self, len: u64) -> Result<()> {
        let end = self.cabinet_end();
        if len <= end {
            return Ok(());
        }
        if self.signature_location()
            == Some((self.cabinet_size, u32::try_from(len - end).unwrap_or(0)))
        {
            return Ok(());
        }
        let declared = match self.signature_location() {
            Some((offset, sig_len)) => format!(
                "; the signature area its header declares (offset {offset}, {sig_len} bytes) does not account for them"
            ),
            None => String::new(),
        };
        Err(Error::new(
            ErrorKind::Malformed,
            format!(
                "{} bytes past the cabinet's end (cbCabinet {end}, member {len} bytes){declared}",
                len - end
            ),
        ))
    }

    /// Where the cabinet ends by its own account (cbCabinet), which the
    /// parser has checked is within the file.
    pub(crate) fn cabinet_end(&self) -> u64 {
        u64::from(self.cabinet_size)
    }

    /// Reads CFHEADER from the start of a file of `file_len` bytes. Returns
    /// the header and the offset just past it, where the CFFOLDER table
    /// starts.
    pub(crate) fn parse<R: Read>(r: &mut R, file_len: u64) -> Result<(Header, u64)> {
        let mut fixed = [0u8; FIXED_HEADER_LEN];
        let got = read_up_to(r, &mut fixed).map_err(|e| Error::io(e, "the cabinet header"))?;
        let mut header = Header::from_fixed(&fixed, got, file_len)?;
        let mut offset = FIXED_HEADER_LEN as u64;
        if header.flags & FLAG_RESERVE_PRESENT != 0 {
            header.read_reserve(r, &mut offset)?;
        }
        // The names of the neighbouring cabinets: read past, since spanned
        // sets are not supported (their members are refused one by one).
        if header.flags & FLAG_PREV_CABINET != 0 {
            read_cstring(r, "previous cabinet name", &mut offset, file_len)?;
            read_cstring(r, "previous disk name", &mut offset, file_len)?;
        }
        if header.flags & FLAG_NEXT_CABINET != 0 {
            read_cstring(r, "next cabinet name", &mut offset, file_len)?;
            read_cstring(r, "next disk name", &mut offset, file_len)?;
        }
        Ok((header, offset))
    }

    /// The fixed 36 bytes, of which `got` were in the file.
    fn from_fixed(fixed: &[u8; FIXED_HEADER_LEN], got: usize, file_len: u64) -> Result<Header> {
        if got < 4 || fixed[..4] != *b"MSCF" {
            return Err(Error::new(
                ErrorKind::NotCabinet,
                "not a cabinet: the file does not start with the MSCF signature",
            )
            .at_offset(0));
        }
        if got < FIXED_HEADER_LEN {
            return Err(truncated("cabinet header (36 bytes)", 0, file_len));
        }
        let header = Header {
            cabinet_size: u32::from_le_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            files_offset: u32::from_le_bytes([fixed[16], fixed[17], fixed[18], fixed[19]]),
            version_minor: fixed[24],
            version_major: fixed[25],
            folder_count: u16::from_le_bytes([fixed[26], fixed[27]]),
            file_count: u16::from_le_bytes([fixed[28], fixed[29]]),
            flags: u16::from_le_bytes([fixed[30], fixed[31]]),
            set_id: u16::from_le_bytes([fixed[32], fixed[33]]),
            cabinet_index: u16::from_le_bytes([fixed[34], fixed[35]]),
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
        if header.cabinet_end() > file_len {
            return Err(Error::new(
                ErrorKind::Truncated,
                format!(
                    "truncated: the header says the cabinet is {} bytes, the file has {}",
                    header.cabinet_size, file_len
                ),
            )
            .at_offset(8));
        }
        Ok(header)
    }

    /// The reserve sizes (cbCFHeader, cbCFFolder, cbCFData) and the header
    /// reserve itself, at `offset`.
    fn read_reserve<R: Read>(&mut self, r: &mut R, offset: &mut u64) -> Result<()> {
        let mut sizes = [0u8; 4];
        read_exact_at(r, &mut sizes, "reserve sizes", *offset, self.file_len)?;
        *offset += 4;
        let header_reserve = u16::from_le_bytes([sizes[0], sizes[1]]);
        self.folder_reserve = sizes[2];
        self.data_reserve = sizes[3];
        if u64::from(header_reserve) + *offset > self.cabinet_end() {
            return Err(malformed(
                format!("header reserve of {header_reserve} bytes runs past the cabinet's end"),
                36,
            ));
        }
        self.reserve = vec![0; usize::from(header_reserve)];
        read_exact_at(
            r,
            &mut self.reserve,
            "header reserve",
            *offset,
            self.file_len,
        )?;
        *offset += u64::from(header_reserve);
        Ok(())
    }
}

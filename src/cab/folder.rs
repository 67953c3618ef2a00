//! CFFOLDER: where a folder's data blocks start, how many there are, and
//! how they are compressed.
//!
//! A folder is one compression stream over its CFDATA blocks; reading it is
//! [`super::stream`]'s job. This module only reads and checks the table
//! entries, so that a folder claiming data past the cabinet's end is refused
//! before anything seeks there.

use std::io::Read;

use super::data::MAX_BLOCK_UNCOMPRESSED;
use super::header::Header;
use super::read::{malformed, read_exact_at};
use crate::error::{Error, Result};

/// Size of the fixed part of CFFOLDER (coffCabStart, cCFData, typeCompress).
const FIXED_LEN: usize = 8;

/// A folder's compression method, from CFFOLDER.typeCompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored (type 0).
    None,
    /// MSZIP: deflate per block, history carried between blocks (type 1).
    MsZip,
    /// Quantum (type 2), with its level and memory bits. Not decodable here.
    Quantum(u16),
    /// LZX (type 3).
    Lzx {
        /// The window is 2^`window_bits` bytes (15 to 21).
        window_bits: u8,
    },
    /// Any other value, kept so it can be reported.
    Unknown(u16),
}

impl Compression {
    /// The compression a CFFOLDER's typeCompress field names (the low four
    /// bits the method, bits 8–12 LZX's window).
    pub fn from_type(type_compress: u16) -> Compression {
        match type_compress & 0x000F {
            0 => Compression::None,
            1 => Compression::MsZip,
            2 => Compression::Quantum(type_compress),
            3 => Compression::Lzx {
                window_bits: ((type_compress >> 8) & 0x1F) as u8,
            },
            _ => Compression::Unknown(type_compress),
        }
    }

    /// The typeCompress field that names this compression (the writer's
    /// inverse of [`Compression::from_type`]).
    pub fn to_type(self) -> u16 {
        match self {
            Compression::None => 0,
            Compression::MsZip => 1,
            Compression::Quantum(t) | Compression::Unknown(t) => t,
            Compression::Lzx { window_bits } => 3 | (u16::from(window_bits) << 8),
        }
    }

    /// A short name for reports: `none`, `MSZIP`, `LZX:21`, `Quantum`.
    pub fn describe(self) -> String {
        match self {
            Compression::None => "none".into(),
            Compression::MsZip => "MSZIP".into(),
            Compression::Quantum(_) => "Quantum".into(),
            Compression::Lzx { window_bits } => format!("LZX:{window_bits}"),
            Compression::Unknown(t) => format!("unknown type 0x{t:04x}"),
        }
    }
}

/// One CFFOLDER entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// Position in the folder table.
    pub index: u16,
    /// coffCabStart: the first CFDATA block.
    pub data_offset: u32,
    /// cCFData: the number of data blocks.
    pub block_count: u16,
    /// typeCompress: how every block of the folder is compressed.
    pub compression: Compression,
    /// The per-folder reserve, as stored.
    pub reserve: Vec<u8>,
}

impl FolderEntry {
    /// The most bytes the folder can decode to: blocks times 32 KiB.
    pub fn max_uncompressed(&self) -> u64 {
        u64::from(self.block_count) * MAX_BLOCK_UNCOMPRESSED as u64
    }

    /// Reads the CFFOLDER table, which starts at `offset` (right after
    /// CFHEADER), after checking that the header's count of entries fits in
    /// the cabinet.
    pub(crate) fn parse_table<R: Read>(
        r: &mut R,
        header: &Header,
        mut offset: u64,
    ) -> Result<Vec<FolderEntry>> {
        let entry_len = (FIXED_LEN + usize::from(header.folder_reserve)) as u64;
        let table_len = entry_len * u64::from(header.folder_count);
        if offset + table_len > header.cabinet_end() {
            return Err(malformed(
                format!(
                    "{} folder entries do not fit in the cabinet's {} bytes",
                    header.folder_count, header.cabinet_size
                ),
                offset,
            ));
        }
        let mut folders = Vec::with_capacity(usize::from(header.folder_count));
        for index in 0..header.folder_count {
            folders.push(FolderEntry::parse(r, header, index, offset)?);
            offset += entry_len;
        }
        Ok(folders)
    }

    /// Reads entry number `index` of the folder table, at `offset`.
    pub(crate) fn parse<R: Read>(
        r: &mut R,
        header: &Header,
        index: u16,
        offset: u64,
    ) -> Result<FolderEntry> {
        let mut fixed = [0u8; FIXED_LEN];
        read_exact_at(r, &mut fixed, "folder table", offset, header.file_len)?;
        let mut reserve = vec![0u8; usize::from(header.folder_reserve)];
        read_exact_at(r, &mut reserve, "folder table", offset, header.file_len)?;
        let data_offset = u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
        if u64::from(data_offset) > header.cabinet_end() {
            return Err(malformed(
                format!("folder {index} data starts at byte {data_offset}, past the cabinet's end"),
                offset,
            ));
        }
        Ok(FolderEntry {
            index,
            data_offset,
            block_count: u16::from_le_bytes([fixed[4], fixed[5]]),
            compression: Compression::from_type(u16::from_le_bytes([fixed[6], fixed[7]])),
            reserve,
        })
    }
}

impl Error {
    /// Names the folder the error happened in.
    pub fn with_folder(mut self, folder: u16) -> Error {
        self.place_mut().folder = Some(u32::from(folder));
        self
    }
}

//! CFFOLDER, and the stream of decoded bytes over a folder's data blocks.
//!
//! A folder is one compression stream: LZX and MSZIP blocks depend on the
//! blocks before them, so a folder can only be read front to back. The reader
//! keeps one block of output at a time, so memory does not grow with the
//! folder's size.

use std::io::{Read, Seek, SeekFrom};

use super::cabinet::Header;
use super::data::{BlockHeader, HEADER_LEN};
use super::decode::Decoder;
use super::{MAX_BLOCK_COMPRESSED, MAX_BLOCK_UNCOMPRESSED};
use crate::error::{Error, ErrorKind, Result};

/// A folder's compression method, from CFFOLDER.typeCompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored (type 0).
    None,
    /// MSZIP: deflate per block, history carried between blocks (type 1).
    MsZip,
    /// Quantum (type 2), with its level and memory bits. Not decodable here.
    Quantum(u16),
    /// LZX (type 3) with a window of 2^`window_bits` bytes (15 to 21).
    Lzx { window_bits: u8 },
    /// Any other value, kept so it can be reported.
    Unknown(u16),
}

impl Compression {
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
    pub compression: Compression,
    /// The per-folder reserve, as stored.
    pub reserve: Vec<u8>,
}

impl FolderEntry {
    /// The most bytes the folder can decode to: blocks times 32 KiB.
    pub fn max_uncompressed(&self) -> u64 {
        u64::from(self.block_count) * MAX_BLOCK_UNCOMPRESSED as u64
    }
}

/// Decodes a folder's blocks in order, verifying each checksum.
pub struct FolderReader<R> {
    reader: R,
    entry: FolderEntry,
    decoder: Decoder,
    data_reserve: usize,
    cabinet_end: u64,
    /// File offset of the next block header.
    next_block_offset: u64,
    /// Index of the next block to read.
    next_block: u16,
    /// Decoded bytes of the current block and how many were consumed.
    out: Vec<u8>,
    out_pos: usize,
    /// Decoded bytes produced so far (the folder offset of `out[0]` plus `out.len()`).
    produced: u64,
    /// Compressed bytes (headers included) read so far.
    consumed: u64,
    input: Vec<u8>,
}

impl<R: Read + Seek> FolderReader<R> {
    pub(crate) fn new(
        mut reader: R,
        entry: FolderEntry,
        header: &Header,
    ) -> Result<FolderReader<R>> {
        let decoder = Decoder::new(entry.compression).map_err(|e| e.with_folder(entry.index))?;
        reader
            .seek(SeekFrom::Start(u64::from(entry.data_offset)))
            .map_err(|e| Error::seek(e, "folder data"))?;
        Ok(FolderReader {
            reader,
            next_block_offset: u64::from(entry.data_offset),
            entry,
            decoder,
            data_reserve: usize::from(header.data_reserve),
            cabinet_end: u64::from(header.cabinet_size),
            next_block: 0,
            out: Vec::with_capacity(MAX_BLOCK_UNCOMPRESSED),
            out_pos: 0,
            produced: 0,
            consumed: 0,
            input: vec![0; MAX_BLOCK_COMPRESSED + 255],
        })
    }

    pub fn entry(&self) -> &FolderEntry {
        &self.entry
    }

    /// Decoded bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Compressed bytes read so far, block headers included.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Whether every block has been decoded.
    pub fn finished(&self) -> bool {
        self.next_block >= self.entry.block_count
    }

    fn error(&self, kind: ErrorKind, block: u16, offset: u64, msg: String) -> Error {
        let mut e = Error::new(kind, msg).at_offset(offset);
        e.place_mut().folder = Some(u32::from(self.entry.index));
        e.place_mut().block = Some(u32::from(block));
        e
    }

    /// Decodes the next block and returns its bytes, or `None` after the
    /// last block.
    pub fn next_block(&mut self) -> Result<Option<&[u8]>> {
        if self.finished() {
            return Ok(None);
        }
        let block = self.next_block;
        let offset = self.next_block_offset;
        let header_len = HEADER_LEN + self.data_reserve;
        if offset + header_len as u64 > self.cabinet_end {
            return Err(self.error(
                ErrorKind::Truncated,
                block,
                offset,
                format!(
                    "truncated: block {block} of {} starts at byte {offset}, past the cabinet's end at {}",
                    self.entry.block_count, self.cabinet_end
                ),
            ));
        }
        let mut head = [0u8; HEADER_LEN];
        self.read_exact(&mut head, block, offset, "block header")?;
        if self.data_reserve > 0 {
            let mut reserve = [0u8; 255];
            self.read_exact(
                &mut reserve[..self.data_reserve],
                block,
                offset,
                "block reserve",
            )?;
        }
        let h = BlockHeader::parse(&head);
        let clen = usize::from(h.compressed_len);
        let ulen = usize::from(h.uncompressed_len);
        if clen > MAX_BLOCK_COMPRESSED || ulen > MAX_BLOCK_UNCOMPRESSED || ulen == 0 {
            return Err(self.error(
                ErrorKind::Malformed,
                block,
                offset,
                format!(
                    "block sizes out of range: {clen} compressed, {ulen} uncompressed (at most {MAX_BLOCK_COMPRESSED} and 1..={MAX_BLOCK_UNCOMPRESSED})"
                ),
            ));
        }
        let data_offset = offset + header_len as u64;
        if data_offset + clen as u64 > self.cabinet_end {
            return Err(self.error(
                ErrorKind::Truncated,
                block,
                offset,
                format!(
                    "truncated: block {block} needs bytes {data_offset}..{} but the cabinet ends at {}",
                    data_offset + clen as u64,
                    self.cabinet_end
                ),
            ));
        }
        let mut input = std::mem::take(&mut self.input);
        let read = self.read_exact(&mut input[..clen], block, data_offset, "block data");
        if let Err(e) = read {
            self.input = input;
            return Err(e);
        }
        let data = &input[..clen];
        if h.checksum != 0 {
            let computed =
                BlockHeader::compute_checksum(h.compressed_len, h.uncompressed_len, data);
            if computed != h.checksum {
                self.input = input;
                return Err(self.error(
                    ErrorKind::Checksum,
                    block,
                    offset,
                    format!(
                        "checksum mismatch in block {block} of folder {}: stored 0x{:08x}, computed 0x{computed:08x}",
                        self.entry.index, h.checksum
                    ),
                ));
            }
        }
        let decoded = self.decoder.decode(data, ulen, &mut self.out);
        self.input = input;
        if let Err(msg) = decoded {
            return Err(self.error(
                ErrorKind::Decompress,
                block,
                offset,
                format!(
                    "{} data in block {block} of folder {} does not decode: {msg}",
                    self.entry.compression.describe(),
                    self.entry.index
                ),
            ));
        }
        debug_assert_eq!(self.out.len(), ulen);
        self.next_block += 1;
        self.next_block_offset = data_offset + clen as u64;
        self.consumed += (header_len + clen) as u64;
        self.produced += ulen as u64;
        self.out_pos = 0;
        Ok(Some(&self.out))
    }

    fn read_exact(&mut self, buf: &mut [u8], block: u16, offset: u64, what: &str) -> Result<()> {
        self.reader.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.error(
                    ErrorKind::Truncated,
                    block,
                    offset,
                    format!("truncated: the file ends inside the {what} of block {block}"),
                )
            } else {
                Error::io(e, what).at_offset(offset)
            }
        })
    }

    /// Up to `max` decoded bytes, decoding the next block when the current
    /// one is used up. Empty only at the end of the folder.
    pub fn take(&mut self, max: usize) -> Result<&[u8]> {
        if self.out_pos >= self.out.len() && self.next_block()?.is_none() {
            return Ok(&[]);
        }
        let start = self.out_pos;
        let n = max.min(self.out.len() - start);
        self.out_pos += n;
        Ok(&self.out[start..start + n])
    }

    /// The folder offset of the next byte [`FolderReader::take`] returns.
    pub fn position(&self) -> u64 {
        self.produced - (self.out.len() - self.out_pos) as u64
    }
}

impl Error {
    pub fn with_folder(mut self, folder: u16) -> Error {
        self.place_mut().folder = Some(u32::from(folder));
        self
    }
}

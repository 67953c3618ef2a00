//! A folder's decoded bytes, streamed block by block.
//!
//! A folder is one compression stream: LZX and MSZIP blocks depend on the
//! blocks before them, so a folder can only be read front to back. The reader
//! keeps one block of output at a time, so memory does not grow with the
//! folder's size, and it checks every block (sizes, checksum, decoded length)
//! as it passes, naming the folder and block when one is wrong.

use std::io::{Read, Seek, SeekFrom};

use super::data::{BlockHeader, HEADER_LEN, MAX_BLOCK_COMPRESSED, MAX_BLOCK_UNCOMPRESSED};
use super::decode::Decoder;
use super::folder::FolderEntry;
use crate::error::{Error, ErrorKind, Result};

/// Decodes a folder's blocks in order, verifying each checksum.
pub struct FolderReader<R> {
    reader: R,
    entry: FolderEntry,
    decoder: Decoder,
    /// cbCFData: reserve bytes after each block header, read and ignored.
    reserve: Vec<u8>,
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
    /// Blocks read so far whose stored checksum is 0 ("not computed" in
    /// MS-CAB), so that nothing could be compared.
    unchecksummed: u64,
    /// One block's compressed bytes: [`MAX_BLOCK_COMPRESSED`], the most a
    /// block may hold.
    input: Vec<u8>,
}

impl<R: Read + Seek> FolderReader<R> {
    /// Streams the folder `entry` of a cabinet whose blocks carry
    /// `data_reserve` reserve bytes each (CFHEADER's cbCFData) and that ends
    /// at `cabinet_end` (its cbCabinet).
    pub(crate) fn new(
        mut reader: R,
        entry: FolderEntry,
        data_reserve: u8,
        cabinet_end: u64,
    ) -> Result<FolderReader<R>> {
        let decoder = Decoder::new(entry.compression).map_err(|e| e.with_folder(entry.index))?;
        // A folder of no blocks reads nothing: where its data would start
        // does not matter, and a forward-only reader past that point must
        // not be asked to seek back to it.
        if entry.block_count > 0 {
            reader
                .seek(SeekFrom::Start(u64::from(entry.data_offset)))
                .map_err(|e| Error::seek(e, "folder data"))?;
        }
        Ok(FolderReader {
            reader,
            next_block_offset: u64::from(entry.data_offset),
            entry,
            decoder,
            reserve: vec![0; usize::from(data_reserve)],
            cabinet_end,
            next_block: 0,
            out: Vec::with_capacity(MAX_BLOCK_UNCOMPRESSED),
            out_pos: 0,
            produced: 0,
            consumed: 0,
            unchecksummed: 0,
            input: vec![0; MAX_BLOCK_COMPRESSED],
        })
    }

    /// The stream the blocks are read from, positioned after the last
    /// block read.
    pub fn into_reader(self) -> R {
        self.reader
    }

    /// The CFFOLDER entry of the folder being decoded.
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

    /// How many of the blocks decoded so far carry a checksum of 0, which
    /// MS-CAB reads as "not computed": their bytes were decoded but not
    /// checksummed.
    pub fn blocks_not_checksummed(&self) -> u64 {
        self.unchecksummed
    }

    /// Whether every block has been decoded.
    pub fn finished(&self) -> bool {
        self.next_block >= self.entry.block_count
    }

    /// Decodes the next block and returns its bytes, or `None` after the
    /// last block.
    pub fn next_block(&mut self) -> Result<Option<&[u8]>> {
        if self.finished() {
            return Ok(None);
        }
        let block = self.next_block;
        let offset = self.next_block_offset;
        let header_len = HEADER_LEN + self.reserve.len();
        let (h, data_offset) = self.read_block_header(block, offset)?;
        let clen = usize::from(h.compressed_len);
        let ulen = usize::from(h.uncompressed_len);
        let mut input = std::mem::take(&mut self.input);
        let decoded = self.read_block_data(&mut input, &h, block, offset, data_offset);
        self.input = input;
        decoded?;
        debug_assert_eq!(self.out.len(), ulen);
        self.next_block += 1;
        self.next_block_offset = data_offset + clen as u64;
        self.consumed += (header_len + clen) as u64;
        self.produced += ulen as u64;
        self.out_pos = 0;
        Ok(Some(&self.out))
    }

    /// Reads the header (and reserve) of block `block` at `offset` and
    /// checks its sizes. Returns it and where the block's data starts.
    fn read_block_header(&mut self, block: u16, offset: u64) -> Result<(BlockHeader, u64)> {
        let header_len = HEADER_LEN + self.reserve.len();
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
        if !self.reserve.is_empty() {
            let mut reserve = std::mem::take(&mut self.reserve);
            let read = self.read_exact(&mut reserve, block, offset, "block reserve");
            self.reserve = reserve;
            read?;
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
        Ok((h, data_offset))
    }

    /// Reads block `block`'s data into `input`, verifies its checksum and
    /// decodes it into `self.out`.
    fn read_block_data(
        &mut self,
        input: &mut [u8],
        h: &BlockHeader,
        block: u16,
        offset: u64,
        data_offset: u64,
    ) -> Result<()> {
        // `input` holds MAX_BLOCK_COMPRESSED bytes, which the header's
        // compressed size was checked against.
        let data = input
            .get_mut(..usize::from(h.compressed_len))
            .ok_or_else(|| {
                self.error(
                    ErrorKind::Malformed,
                    block,
                    offset,
                    format!(
                        "block sizes out of range: {} compressed (at most {MAX_BLOCK_COMPRESSED})",
                        h.compressed_len
                    ),
                )
            })?;
        self.read_exact(data, block, data_offset, "block data")?;
        if h.checksum == 0 {
            self.unchecksummed += 1;
        } else {
            let computed =
                BlockHeader::compute_checksum(h.compressed_len, h.uncompressed_len, data);
            if computed != h.checksum {
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
        let ulen = usize::from(h.uncompressed_len);
        if let Err(msg) = self.decoder.decode(data, ulen, &mut self.out) {
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
        Ok(())
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

    fn error(&self, kind: ErrorKind, block: u16, offset: u64, msg: String) -> Error {
        let mut e = Error::new(kind, msg).at_offset(offset);
        e.place_mut().folder = Some(u32::from(self.entry.index));
        e.place_mut().block = Some(u32::from(block));
        e
    }

    /// Up to `max` decoded bytes, decoding the next block when the current
    /// one is used up. Empty only at the end of the folder.
    pub fn take(&mut self, max: usize) -> Result<&[u8]> {
        if self.out_pos >= self.out.len() && self.next_block()?.is_none() {
            return Ok(&[]);
        }
        let rest = self.out.get(self.out_pos..).unwrap_or_default();
        let chunk = rest.get(..max).unwrap_or(rest);
        self.out_pos += chunk.len();
        Ok(chunk)
    }

    /// The folder offset of the next byte [`FolderReader::take`] returns.
    pub fn position(&self) -> u64 {
        self.produced - (self.out.len() - self.out_pos) as u64
    }
}

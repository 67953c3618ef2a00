//! The block chain of every folder, checked from the bytes of a read pass
//! without decoding anything.
//!
//! `check` decodes the outer cabinet's folders only as far as the members
//! it reads (index.xml, package.cab), but it reads every byte of the file
//! once anyway, for the SHA-256 and the Authenticode digest. [`BlockWalk`]
//! rides on that pass: fed the file's bytes in order, it parses every CFDATA
//! header of every folder, checks each block's sizes, that the chain stays
//! within the cabinet (so a cCFData claiming more blocks than the file
//! holds is caught), each block's checksum (which is over the compressed
//! bytes, so it costs no decompression), and that the blocks of each folder
//! decode to enough bytes for every member the CFFILE table places in it.
//!
//! Memory is bounded: one CFDATA header (at most 8 + 255 bytes) and the
//! three bytes of a checksum word split between two reads; block data is
//! never kept.
//!
//! Folders are walked in the order of their data on disk (real cabinets
//! write them one after the other, in table order). A folder whose first
//! block lies inside another folder's blocks is refused as malformed rather
//! than walked twice: no cabinet writer shares blocks between folders, and
//! a single forward pass cannot check both chains.

use super::cabinet::Cabinet;
use super::data::{
    checksum, BlockHeader, HEADER_LEN, MAX_BLOCK_COMPRESSED, MAX_BLOCK_UNCOMPRESSED,
};
use crate::error::{Error, ErrorKind, Result};

/// The longest CFDATA header: the fixed 8 bytes and at most 255 of reserve.
const MAX_HEADER: usize = HEADER_LEN + 255;

/// What the walk established, once every folder's chain was complete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Folders walked (all of the CFFOLDER table).
    pub folders: usize,
    /// CFDATA blocks whose header was parsed and whose sizes were checked.
    pub blocks: u64,
    /// Of those, blocks whose stored checksum is 0 ("not computed" in
    /// MS-CAB), so that nothing could be compared.
    pub blocks_not_checksummed: u64,
    /// Bytes the folders decode to, by their blocks' cbUncomp.
    pub uncompressed_bytes: u64,
}

/// A folder as the walk needs it.
#[derive(Debug, Clone)]
struct Planned {
    index: u16,
    data_offset: u64,
    block_count: u16,
    /// The furthest byte of the folder any member needs, and that member.
    needed: u64,
    needed_by: String,
}

/// The MS-CAB checksum of a block's data fed in pieces: XOR of
/// little-endian words counted from the block's first byte, so a word split
/// between two reads is carried over.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamChecksum {
    acc: u32,
    carry: [u8; 4],
    carried: usize,
}

impl StreamChecksum {
    /// Folds in the next bytes of the block's data.
    pub fn update(&mut self, mut data: &[u8]) {
        if self.carried > 0 {
            let take = (4 - self.carried).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.carry.get_mut(self.carried..self.carried + take) {
                dst.copy_from_slice(head);
            }
            self.carried += take;
            data = rest;
            if self.carried < 4 {
                return;
            }
            self.acc ^= u32::from_le_bytes(self.carry);
            self.carried = 0;
        }
        let (words, tail) = data.split_at(data.len() & !3);
        // A whole number of words: `checksum` folds no tail.
        self.acc = checksum(words, self.acc);
        if let Some(dst) = self.carry.get_mut(..tail.len()) {
            dst.copy_from_slice(tail);
        }
        self.carried = tail.len();
    }

    /// The block's checksum, as [`BlockHeader::compute_checksum`] computes
    /// it over all the data at once.
    pub fn finish(&self, compressed_len: u16, uncompressed_len: u16) -> u32 {
        let sum = checksum(self.carry.get(..self.carried).unwrap_or_default(), self.acc);
        let c = compressed_len.to_le_bytes();
        let u = uncompressed_len.to_le_bytes();
        checksum(&[c[0], c[1], u[0], u[1]], sum)
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Before the next folder's first block (or past the last folder).
    Between,
    /// Past a block of the current folder: its next block (or its end).
    NextBlock,
    /// Inside a block header that starts at `start`; `got` bytes read.
    Header { start: u64, got: usize },
    /// Inside a block's data: `left` bytes to go.
    Data {
        start: u64,
        header: BlockHeader,
        left: usize,
        sum: StreamChecksum,
    },
    /// Every folder's chain is complete; the rest is not the walk's.
    Done,
}

/// Checks every folder's block chain from the file's bytes, fed in order
/// from byte 0 (see the module documentation).
#[derive(Debug, Clone)]
pub struct BlockWalk {
    plan: Vec<Planned>,
    /// The folder of `plan` being walked (or next).
    next: usize,
    /// The block of that folder being walked (or next).
    block: u16,
    /// Uncompressed bytes of that folder's blocks so far.
    produced: u64,
    header_len: usize,
    head: [u8; MAX_HEADER],
    cabinet_end: u64,
    /// File offset of the next byte fed.
    pos: u64,
    state: State,
    summary: WalkSummary,
    failed: Option<Error>,
}

impl BlockWalk {
    /// A walk over the folders of `cab`, whose tables were parsed from the
    /// file about to be fed.
    pub fn new(cab: &Cabinet) -> BlockWalk {
        let mut plan: Vec<Planned> = cab
            .folders
            .iter()
            .map(|f| Planned {
                index: f.index,
                data_offset: u64::from(f.data_offset),
                block_count: f.block_count,
                needed: 0,
                needed_by: String::new(),
            })
            .collect();
        for file in &cab.files {
            if let Some(p) = plan.get_mut(usize::from(file.folder)) {
                if file.folder_end() > p.needed {
                    p.needed = file.folder_end();
                    p.needed_by.clone_from(&file.name);
                }
            }
        }
        plan.sort_by_key(|p| (p.data_offset, p.index));
        BlockWalk {
            plan,
            next: 0,
            block: 0,
            produced: 0,
            header_len: HEADER_LEN + usize::from(cab.header.data_reserve),
            head: [0; MAX_HEADER],
            cabinet_end: cab.header.cabinet_end(),
            pos: 0,
            state: State::Between,
            summary: WalkSummary::default(),
            failed: None,
        }
    }

    /// Feeds the file's next bytes. The first failure is kept for
    /// [`BlockWalk::finish`] and the rest of the file is ignored.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.failed.is_none() {
            match self.step(bytes) {
                Ok(n) => {
                    self.pos += n as u64;
                    bytes = bytes.get(n..).unwrap_or_default();
                }
                Err(e) => self.failed = Some(e),
            }
        }
    }

    /// After the whole file was fed: what the walk established, or the first
    /// failure (a chain that the file's end cut short included).
    pub fn finish(mut self) -> Result<WalkSummary> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        // The last block may end exactly where the file does, and folders
        // of no blocks may start there.
        while matches!(self.state, State::NextBlock)
            || (matches!(self.state, State::Between)
                && self
                    .plan
                    .get(self.next)
                    .is_some_and(|p| p.data_offset == self.pos))
        {
            self.start_block()?;
        }
        if let Some(p) = self.plan.get(self.next) {
            let msg = format!(
                "truncated: the file ends at byte {} inside folder {}, at block {} of {}",
                self.pos, p.index, self.block, p.block_count
            );
            return Err(self.error(ErrorKind::Truncated, self.pos, msg));
        }
        Ok(self.summary)
    }

    /// Consumes a prefix of `bytes` (possibly none, when only the state
    /// moves on) and returns its length.
    fn step(&mut self, bytes: &[u8]) -> Result<usize> {
        match self.state {
            State::Done => Ok(bytes.len()),
            State::NextBlock => {
                self.start_block()?;
                Ok(0)
            }
            State::Between => {
                let Some(p) = self.plan.get(self.next) else {
                    self.state = State::Done;
                    return Ok(bytes.len());
                };
                if self.pos < p.data_offset {
                    let gap = p.data_offset - self.pos;
                    return Ok(usize::try_from(gap).unwrap_or(usize::MAX).min(bytes.len()));
                }
                if self.pos > p.data_offset {
                    let msg = format!(
                        "folder {}'s blocks start at byte {}, inside the blocks of the folder before it (which end at byte {}); folders whose data overlap are refused",
                        p.index, p.data_offset, self.pos
                    );
                    let offset = p.data_offset;
                    return Err(self.error(ErrorKind::Malformed, offset, msg));
                }
                self.start_block()?;
                Ok(0)
            }
            State::Header { start, got } => {
                let want = self.header_len.saturating_sub(got);
                let take = want.min(bytes.len());
                if let (Some(dst), Some(src)) =
                    (self.head.get_mut(got..got + take), bytes.get(..take))
                {
                    dst.copy_from_slice(src);
                }
                if take < want {
                    self.state = State::Header {
                        start,
                        got: got + take,
                    };
                    return Ok(take);
                }
                self.end_header(start)?;
                Ok(take)
            }
            State::Data {
                start,
                header,
                left,
                mut sum,
            } => {
                let take = left.min(bytes.len());
                sum.update(bytes.get(..take).unwrap_or_default());
                if take < left {
                    self.state = State::Data {
                        start,
                        header,
                        left: left - take,
                        sum,
                    };
                    return Ok(take);
                }
                self.end_block(start, &header, &sum)?;
                Ok(take)
            }
        }
    }

    /// At the start of the current folder's next block, or past its last.
    fn start_block(&mut self) -> Result<()> {
        let Some(p) = self.plan.get(self.next) else {
            self.state = State::Done;
            return Ok(());
        };
        if self.block < p.block_count {
            if self.pos + self.header_len as u64 > self.cabinet_end {
                let msg = format!(
                    "truncated: block {} of folder {}'s {} starts at byte {}, past the cabinet's end at {} (cCFData claims more blocks than the file holds)",
                    self.block, p.index, p.block_count, self.pos, self.cabinet_end
                );
                return Err(self.error(ErrorKind::Truncated, self.pos, msg));
            }
            self.state = State::Header {
                start: self.pos,
                got: 0,
            };
            return Ok(());
        }
        if self.produced < p.needed {
            let msg = format!(
                "truncated: folder {}'s {} blocks decode to {} bytes, but member {:?} ends at byte {} of it",
                p.index, p.block_count, self.produced, p.needed_by, p.needed
            );
            return Err(self.error(ErrorKind::Truncated, p.data_offset, msg));
        }
        self.summary.folders += 1;
        self.next += 1;
        self.block = 0;
        self.produced = 0;
        self.state = State::Between;
        Ok(())
    }

    /// The header of the block starting at `start` is complete.
    fn end_header(&mut self, start: u64) -> Result<()> {
        let mut fixed = [0u8; HEADER_LEN];
        if let Some(src) = self.head.get(..HEADER_LEN) {
            fixed.copy_from_slice(src);
        }
        let h = BlockHeader::parse(&fixed);
        let clen = usize::from(h.compressed_len);
        let ulen = usize::from(h.uncompressed_len);
        if clen > MAX_BLOCK_COMPRESSED || ulen > MAX_BLOCK_UNCOMPRESSED || ulen == 0 {
            let msg = format!(
                "block sizes out of range: {clen} compressed, {ulen} uncompressed (at most {MAX_BLOCK_COMPRESSED} and 1..={MAX_BLOCK_UNCOMPRESSED})"
            );
            return Err(self.error(ErrorKind::Malformed, start, msg));
        }
        let data_start = start + self.header_len as u64;
        if data_start + clen as u64 > self.cabinet_end {
            let msg = format!(
                "truncated: block {} needs bytes {data_start}..{} but the cabinet ends at {}",
                self.block,
                data_start + clen as u64,
                self.cabinet_end
            );
            return Err(self.error(ErrorKind::Truncated, start, msg));
        }
        self.state = State::Data {
            start,
            header: h,
            left: clen,
            sum: StreamChecksum::default(),
        };
        if clen == 0 {
            self.end_block(start, &h, &StreamChecksum::default())?;
        }
        Ok(())
    }

    /// The data of the block starting at `start` is complete.
    fn end_block(&mut self, start: u64, h: &BlockHeader, sum: &StreamChecksum) -> Result<()> {
        if h.checksum == 0 {
            self.summary.blocks_not_checksummed += 1;
        } else {
            let computed = sum.finish(h.compressed_len, h.uncompressed_len);
            if computed != h.checksum {
                let folder = self.plan.get(self.next).map_or(0, |p| p.index);
                let msg = format!(
                    "checksum mismatch in block {} of folder {folder}: stored 0x{:08x}, computed 0x{computed:08x}",
                    self.block, h.checksum
                );
                return Err(self.error(ErrorKind::Checksum, start, msg));
            }
        }
        self.summary.blocks += 1;
        self.summary.uncompressed_bytes += u64::from(h.uncompressed_len);
        self.produced += u64::from(h.uncompressed_len);
        self.block = self.block.saturating_add(1);
        // The position is past this block's data once the caller adds what
        // this step consumed; the next block starts there.
        self.state = State::NextBlock;
        Ok(())
    }

    fn error(&self, kind: ErrorKind, offset: u64, msg: String) -> Error {
        let mut e = Error::new(kind, msg).at_offset(offset);
        if let Some(p) = self.plan.get(self.next) {
            e.place_mut().folder = Some(u32::from(p.index));
            if p.block_count > 0 && self.block < p.block_count {
                e.place_mut().block = Some(u32::from(self.block));
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cab::writer::CabBuilder;
    use crate::cab::Compression;
    use std::io::Cursor;

    fn data(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Half noise, half text: compressible but not trivially.
                if i % 64 < 32 {
                    x as u8
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect()
    }

    fn two_folder_cab() -> Vec<u8> {
        let mut b = CabBuilder::new();
        b.add_folder(Compression::MsZip)
            .add_file("index.xml", &data(1000, 1))
            .add_file("package.cab", &data(100_000, 2));
        b.add_folder(Compression::None)
            .add_file("package2.cab", &data(70_000, 3));
        b.finish()
    }

    fn walk(bytes: &[u8], chunk: usize) -> Result<WalkSummary> {
        let cab = Cabinet::parse(&mut Cursor::new(bytes)).unwrap();
        let mut w = BlockWalk::new(&cab);
        for piece in bytes.chunks(chunk) {
            w.feed(piece);
        }
        w.finish()
    }

    #[test]
    fn streamed_checksum_agrees_with_the_whole_block_one() {
        let d = data(200, 9);
        for len in [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 200] {
            let block = &d[..len];
            let whole = BlockHeader::compute_checksum(len as u16, 77, block);
            for split in [1, 2, 3, 5, 7, 64] {
                let mut s = StreamChecksum::default();
                for piece in block.chunks(split) {
                    s.update(piece);
                }
                s.update(&[]);
                assert_eq!(s.finish(len as u16, 77), whole, "len {len} split {split}");
            }
        }
    }

    #[test]
    fn a_sound_cabinet_walks_whatever_the_read_size() {
        let bytes = two_folder_cab();
        let reference = walk(&bytes, bytes.len()).unwrap();
        assert_eq!(reference.folders, 2);
        assert!(reference.blocks >= 7, "{reference:?}");
        assert_eq!(reference.blocks_not_checksummed, 0);
        assert_eq!(reference.uncompressed_bytes, 171_000);
        for chunk in [1, 3, 4, 7, 8, 4096, 1 << 20] {
            assert_eq!(walk(&bytes, chunk).unwrap(), reference, "chunk {chunk}");
        }
    }

    #[test]
    fn blocks_with_checksum_zero_are_counted() {
        let mut b = CabBuilder::new().checksums(false);
        b.add_folder(Compression::MsZip)
            .add_file("a", &data(80_000, 4));
        let s = walk(&b.finish(), 1000).unwrap();
        assert_eq!(s.blocks_not_checksummed, s.blocks);
    }

    #[test]
    fn more_blocks_claimed_than_the_file_holds_is_truncated() {
        for folder in [0usize, 1] {
            let mut bytes = two_folder_cab();
            let at = 36 + 8 * folder + 4;
            let n = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
            bytes[at..at + 2].copy_from_slice(&(n + 1).to_le_bytes());
            let e = walk(&bytes, 4096).unwrap_err();
            // The first folder's extra "block" is the second folder's first.
            let kind = if folder == 0 {
                ErrorKind::Malformed
            } else {
                ErrorKind::Truncated
            };
            assert_eq!(e.kind(), kind, "folder {folder}: {e}");
        }
    }

    #[test]
    fn damaged_blocks_and_a_zeroed_tail_are_refused() {
        let clean = two_folder_cab();
        let mut flipped = clean.clone();
        let last = flipped.len() - 10;
        flipped[last] ^= 0x40;
        assert_eq!(
            walk(&flipped, 4096).unwrap_err().kind(),
            ErrorKind::Checksum
        );
        let mut zeroed = clean.clone();
        let from = zeroed.len() - 40_000;
        zeroed[from..].iter_mut().for_each(|b| *b = 0);
        assert!(walk(&zeroed, 4096).is_err());
    }

    #[test]
    fn a_member_past_its_folders_blocks_is_refused() {
        let mut bytes = two_folder_cab();
        let cab = Cabinet::parse(&mut Cursor::new(&bytes[..])).unwrap();
        // package2.cab (the last CFFILE) claims 20,000 bytes more: still
        // within blocks × 32 KiB, so the table parses, but past its blocks.
        let mut at = cab.header.files_offset as usize;
        for f in &cab.files[..2] {
            at += 16 + f.raw_name.len() + 1;
        }
        let size = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        bytes[at..at + 4].copy_from_slice(&(size + 20_000).to_le_bytes());
        let e = walk(&bytes, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated, "{e}");
        assert!(e.to_string().contains("package2.cab"), "{e}");
    }

    #[test]
    fn overlapping_folders_are_refused() {
        let mut bytes = two_folder_cab();
        // Folder 1 starts where folder 0 does.
        let start: [u8; 4] = bytes[36..40].try_into().unwrap();
        bytes[44..48].copy_from_slice(&start);
        assert!(walk(&bytes, 4096).is_err());
    }
}

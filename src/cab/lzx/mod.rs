//! An LZX decoder for cabinet folders (CAB LZX, as libmspack's `lzxd.c`
//! and Microsoft's MS-PATCH LZX DELTA specification describe it, without
//! the DELTA extensions).
//!
//! Why not the lzxd crate: it decodes bit by bit (about 0.67x cabextract's
//! speed on catalog XML), translates an E8 operand of 0 wrongly, and outputs
//! zeros for a match that reaches before the start of the stream where
//! libmspack reports an error. See `../shared/crates-notes.md`.
//!
//! Stream layout, per folder:
//! - The first bit says whether E8 (x86 CALL) translation is on; if so a
//!   32-bit translation size follows.
//! - Then blocks: 3 bits of type (1 verbatim, 2 aligned offset,
//!   3 uncompressed) and 24 bits of output length. Blocks may span CFDATA
//!   boundaries; Huffman code lengths are delta-coded against the previous
//!   block's and the repeated offsets R0..R2 carry over.
//! - Each CFDATA block is one frame of output (32 KiB except the last) and
//!   its input is a separate chunk: the bit reader restarts on it. No match
//!   may cross a frame, block or window end.
//! - After a frame is decoded, E8 translation (if on) rewrites CALL
//!   operands in a copy of the frame; the window keeps the raw bytes.
//!
//! The encoder the generator writes catalogs with is in [`encode`].
//!
//! Speed: Huffman codes decode through lookup tables, bits come from a
//! 64-bit buffer refilled four words at a time, and matches copy 16 bytes at
//! a time. The history is a ring one frame longer than the window, plus a
//! few bytes of slack: the 16-byte copies may overshoot the match by up to
//! 15 bytes, which lands on bytes older than the window (or in the slack)
//! and is overwritten before it is ever read.

mod bits;
pub mod encode;
mod huffman;

#[cfg(test)]
mod tests;

use bits::BitReader;
use huffman::{Table, EMPTY};

const NUM_CHARS: usize = 256;
/// Position slots for window sizes 2^15 to 2^21.
const POSITION_SLOTS: [usize; 7] = [30, 32, 34, 36, 38, 42, 50];
const MAX_SLOTS: usize = 50;
const LENGTH_SYMBOLS: usize = 249;
const PRETREE_SYMBOLS: usize = 20;
const ALIGNED_SYMBOLS: usize = 8;
const MIN_MATCH: usize = 2;
/// Frames after this many are not E8-translated (the first 1 GiB).
const E8_MAX_FRAMES: u64 = 32768;

/// The largest output of one frame (one CFDATA block).
pub const MAX_FRAME: usize = 32768;
/// Bytes past the ring that a match copy may write (and read) into.
const COPY_SLACK: usize = 16;

/// Extra (footer) bits and base offset per position slot. The offset
/// carried in the stream is the match distance plus 2.
#[expect(
    clippy::indexing_slicing,
    reason = "i runs below MAX_SLOTS, the arrays' length, and i - 1 only when i > 0; \
              a const fn is evaluated at compile time, where a bad index is a build error"
)]
const fn slot_tables() -> ([u8; MAX_SLOTS], [u32; MAX_SLOTS]) {
    let mut extra = [0u8; MAX_SLOTS];
    let mut base = [0u32; MAX_SLOTS];
    let mut i = 0;
    while i < MAX_SLOTS {
        extra[i] = if i < 4 {
            0
        } else if i < 36 {
            (i / 2 - 1) as u8
        } else {
            17
        };
        if i > 0 {
            base[i] = base[i - 1] + (1 << extra[i - 1]);
        }
        i += 1;
    }
    (extra, base)
}
const SLOTS: ([u8; MAX_SLOTS], [u32; MAX_SLOTS]) = slot_tables();
const EXTRA_BITS: [u8; MAX_SLOTS] = SLOTS.0;
const POSITION_BASE: [u32; MAX_SLOTS] = SLOTS.1;

/// The number of position slots for a window of 2^`window_bits` bytes, or
/// `None` for a window size cabinets do not use.
fn position_slots(window_bits: u8) -> Option<&'static usize> {
    POSITION_SLOTS.get(usize::from(window_bits.checked_sub(15)?))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BlockType {
    /// Before the first block header.
    None,
    Verbatim,
    Aligned,
    Uncompressed,
}

/// Decodes the LZX stream of one cabinet folder, one CFDATA block at a time.
pub struct LzxDecoder {
    /// The ring of past output: `ring` bytes, then [`COPY_SLACK`].
    window: Vec<u8>,
    /// The ring's size: the window plus one frame.
    ring: usize,
    /// 2^window_bits: the farthest a match may reach.
    window_size: usize,
    /// Where the next byte goes in `window`.
    pos: usize,
    /// Whether the ring has been filled once (every distance up to the
    /// window size is history).
    wrapped: bool,
    /// Bytes output so far in the folder.
    total: u64,
    /// Frames decoded so far.
    frames: u64,
    header_read: bool,
    /// E8 translation size; 0 means off.
    e8_size: i32,
    r: [u32; 3],
    block_type: BlockType,
    block_len: usize,
    block_remaining: usize,
    /// An odd-length uncompressed block ended and its pad byte is still to
    /// be skipped (it belongs to the next chunk when the block filled its
    /// frame's input exactly).
    pad_pending: bool,
    /// The main tree's code lengths: 256 literals, then 8 per position slot
    /// of the window size.
    main_lens: Vec<u8>,
    length_lens: [u8; LENGTH_SYMBOLS],
    main: Table<2048, 16>,
    length: Table<1024, 16>,
    aligned: Table<128, 7>,
    pretree: Table<256, 15>,
    /// Set by the first error: the state is no longer trustworthy.
    failed: bool,
    /// Block headers read, by type (tests check which kinds a stream used).
    #[cfg(test)]
    blocks_seen: [usize; 4],
}

impl LzxDecoder {
    /// A decoder for a window of 2^`window_bits` bytes (15 to 21).
    pub fn new(window_bits: u8) -> Result<LzxDecoder, String> {
        let Some(&slots) = position_slots(window_bits) else {
            return Err(format!(
                "LZX window of 2^{window_bits} bytes; cabinets use 2^15 to 2^21"
            ));
        };
        let window_size = 1usize << window_bits;
        let ring = window_size + MAX_FRAME;
        Ok(LzxDecoder {
            window: vec![0; ring + COPY_SLACK],
            ring,
            window_size,
            pos: 0,
            wrapped: false,
            total: 0,
            frames: 0,
            header_read: false,
            e8_size: 0,
            r: [1, 1, 1],
            block_type: BlockType::None,
            block_len: 0,
            block_remaining: 0,
            pad_pending: false,
            main_lens: vec![0; NUM_CHARS + 8 * slots],
            length_lens: [0; LENGTH_SYMBOLS],
            main: Table::new(),
            length: Table::new(),
            aligned: Table::new(),
            pretree: Table::new(),
            failed: false,
            #[cfg(test)]
            blocks_seen: [0; 4],
        })
    }

    /// Decodes one CFDATA block's compressed bytes into exactly `out_len`
    /// bytes (1 to 32768), which replace the contents of `out`.
    ///
    /// After an error the decoder refuses further blocks: the folder's
    /// stream cannot be resynchronised.
    pub fn decode_block(
        &mut self,
        input: &[u8],
        out_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        if self.failed {
            return Err("an earlier block of this folder failed to decode".into());
        }
        if out_len == 0 || out_len > MAX_FRAME {
            self.failed = true;
            return Err(format!(
                "a block must decode to 1 to {MAX_FRAME} bytes, not {out_len}"
            ));
        }
        let start = self.pos;
        let result = self.decode_frame(input, out_len);
        if let Err(e) = result {
            self.failed = true;
            return Err(e);
        }
        if let Err(e) = self.copy_frame(start, out_len, out) {
            self.failed = true;
            return Err(e);
        }
        if self.e8_size != 0 && self.frames < E8_MAX_FRAMES {
            // The translation reads positions as i32: the first 1 GiB fits.
            e8_translate(out, self.total as i32, self.e8_size);
        }
        self.frames += 1;
        self.total += out_len as u64;
        Ok(())
    }

    /// Copies the `len` bytes decoded from ring position `start` on into
    /// `out`: one piece, or two when the frame ran across the ring's end.
    fn copy_frame(&self, start: usize, len: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let end = start + len;
        let over = end.saturating_sub(self.ring);
        let (Some(head), Some(tail)) =
            (self.window.get(start..end - over), self.window.get(..over))
        else {
            return Err(format!(
                "a frame of {len} bytes at ring position {start} lies outside the ring"
            ));
        };
        out.clear();
        out.extend_from_slice(head);
        out.extend_from_slice(tail);
        Ok(())
    }

    fn decode_frame(&mut self, input: &[u8], out_len: usize) -> Result<(), String> {
        let mut br = BitReader::new(input);
        let result = self.decode_frame_from(&mut br, out_len);
        // Whatever went wrong, input that ran out explains it best: the
        // zeros read past the end make any kind of nonsense.
        if result.is_err() && br.overrun() {
            return Err("truncated: the bitstream ends inside its data block".into());
        }
        result
    }

    fn decode_frame_from(&mut self, br: &mut BitReader<'_>, out_len: usize) -> Result<(), String> {
        let input = br.data();
        if !self.header_read {
            self.header_read = true;
            if br.read(1) == 1 {
                self.e8_size = br.read(32) as i32;
            }
        }
        let mut todo = out_len;
        while todo > 0 {
            if self.block_remaining == 0 {
                self.read_block_header(br)?;
                continue;
            }
            let run = todo.min(self.block_remaining).min(self.ring - self.pos);
            let end = self.pos + run;
            match self.block_type {
                BlockType::Verbatim => self.decode_run::<false>(br, end)?,
                BlockType::Aligned => self.decode_run::<true>(br, end)?,
                BlockType::Uncompressed => {
                    let at = br.byte_pos();
                    let src = input
                        .get(at..at + run)
                        .ok_or("truncated: an uncompressed block runs past its data block")?;
                    self.window
                        .get_mut(self.pos..end)
                        .ok_or("an uncompressed block runs past the ring")?
                        .copy_from_slice(src);
                    br.reset_to(at + run);
                }
                // block_remaining is only set by a block header, which sets
                // the type too.
                BlockType::None => return Err("data before the first block header".into()),
            }
            self.pos = end;
            if self.pos == self.ring {
                self.pos = 0;
                self.wrapped = true;
            }
            todo -= run;
            self.block_remaining -= run;
            if self.block_remaining == 0
                && self.block_type == BlockType::Uncompressed
                && self.block_len % 2 == 1
            {
                self.pad_pending = true;
            }
        }
        if self.block_type == BlockType::Uncompressed {
            // The pad byte of an odd block that ended with the frame follows
            // its data in this chunk, if the chunk has a byte left.
            if self.pad_pending && br.byte_pos() < input.len() {
                self.pad_pending = false;
            }
        } else if br.overrun() {
            return Err("truncated: the bitstream ends inside its data block".into());
        }
        Ok(())
    }

    fn read_block_header(&mut self, br: &mut BitReader<'_>) -> Result<(), String> {
        if self.pad_pending {
            self.pad_pending = false;
            let at = br.byte_pos() + 1;
            br.reset_to(at);
        }
        let kind = br.read(3);
        self.block_len = br.read(24) as usize;
        if br.overrun() {
            return Err("truncated: the bitstream ends inside a block header".into());
        }
        #[cfg(test)]
        if let Some(n) = self.blocks_seen.get_mut(kind as usize) {
            *n += 1;
        }
        self.block_remaining = self.block_len;
        match kind {
            1 | 2 => {
                if kind == 2 {
                    let mut lens = [0u8; ALIGNED_SYMBOLS];
                    for l in &mut lens {
                        *l = br.read(3) as u8;
                    }
                    self.aligned.build(&lens, "aligned offset tree")?;
                    self.block_type = BlockType::Aligned;
                } else {
                    self.block_type = BlockType::Verbatim;
                }
                let pre = &mut self.pretree;
                // The literals' lengths and the matches' come with a
                // pretree each.
                let (chars, slots) = self
                    .main_lens
                    .split_at_mut_checked(NUM_CHARS)
                    .ok_or("the main tree is shorter than its literals")?;
                read_lengths(br, pre, chars)?;
                read_lengths(br, pre, slots)?;
                self.main.build(&self.main_lens, "main tree")?;
                read_lengths(br, pre, &mut self.length_lens)?;
                self.length.build(&self.length_lens, "length tree")?;
                if br.overrun() {
                    return Err("truncated: the bitstream ends inside a block header".into());
                }
            }
            3 => {
                self.block_type = BlockType::Uncompressed;
                let at = br.align_for_bytes();
                let data = br.data();
                let raw = data
                    .get(at..)
                    .and_then(<[u8]>::first_chunk::<12>)
                    .ok_or("truncated: an uncompressed block header runs past its data block")?;
                let [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3] = *raw;
                self.r = [
                    u32::from_le_bytes([a0, a1, a2, a3]),
                    u32::from_le_bytes([b0, b1, b2, b3]),
                    u32::from_le_bytes([c0, c1, c2, c3]),
                ];
                br.reset_to(at + 12);
            }
            k => return Err(format!("invalid LZX block type {k}")),
        }
        Ok(())
    }

    /// Decodes a verbatim or aligned offset block's symbols until the window
    /// position reaches `end`.
    ///
    /// This is the decoder's hot loop: the pieces of a match (its length,
    /// distance, source and copy) are `#[inline(always)]` helpers, so the
    /// loop's state stays in registers as if it were written in one piece.
    fn decode_run<const ALIGNED: bool>(
        &mut self,
        reader: &mut BitReader<'_>,
        end: usize,
    ) -> Result<(), String> {
        // A local copy keeps the bit buffer in registers.
        let mut local = *reader;
        let br = &mut local;
        let window_size = self.window_size;
        let ring = self.ring;
        let wrapped = self.wrapped;
        let mut r = self.r;
        let main = &self.main;
        let length = &self.length;
        let aligned = &self.aligned;
        let window = self.window.as_mut_slice();
        let mut pos = self.pos;
        let result = loop {
            if pos >= end {
                break Ok(());
            }
            br.refill();
            let mut sym = main.decode(br) as usize;
            // Literals come in runs where the data is already compressed
            // (the shards inside the outer folder: nearly every symbol
            // there is a literal). A refill leaves at least 49 bits, room
            // for three main codes of at most 16 bits, so up to two more
            // literals are decoded without refilling; a match after them
            // refills first, so its length and footer have their bits.
            let mut run = 0;
            while sym < NUM_CHARS {
                // pos < end <= ring, inside the window: get_mut costs the
                // bounds check indexing would.
                match window.get_mut(pos) {
                    Some(b) => *b = sym as u8,
                    None => break,
                }
                pos += 1;
                run += 1;
                if run == 3 || pos >= end {
                    break;
                }
                sym = main.decode(br) as usize;
            }
            if sym < NUM_CHARS {
                if pos < end && window.get(pos).is_none() {
                    break Err(outside_ring());
                }
                continue;
            }
            if run > 0 {
                br.refill();
            }
            if sym == EMPTY as usize {
                break Err("the main tree is empty".to_string());
            }
            let m = sym - NUM_CHARS;
            let len = match match_length(m, length, br) {
                Ok(len) => len,
                Err(e) => break Err(e),
            };
            let dist = match match_distance::<ALIGNED>(m >> 3, aligned, br, &mut r) {
                Ok(dist) => dist,
                Err(e) => break Err(e),
            };
            if len > end - pos {
                break Err(format!(
                    "a match of {len} bytes runs past the end of its block or frame"
                ));
            }
            let src = match match_source(dist, pos, window_size, ring, wrapped) {
                Ok(src) => src,
                Err(e) => break Err(e),
            };
            if let Err(e) = copy_match(window, ring, src, pos, dist, len) {
                break Err(e);
            }
            pos += len;
        };
        *reader = local;
        self.pos = pos;
        self.r = r;
        result
    }
}

/// The length of the match whose main symbol is `m` past the literals: its
/// low three bits, and when they are all ones, a length tree symbol more.
#[inline(always)]
fn match_length(
    m: usize,
    length: &Table<1024, 16>,
    br: &mut BitReader<'_>,
) -> Result<usize, String> {
    let mut len = (m & 7) + MIN_MATCH;
    if m & 7 == 7 {
        let l = length.decode(br) as usize;
        if l >= LENGTH_SYMBOLS {
            return Err("a long match needs the length tree, which is empty".into());
        }
        len += l;
    }
    Ok(len)
}

/// The distance of a match in position slot `slot`: a repeated offset
/// (slots 0 to 2, swapped to the front of `r`), or the slot's base plus its
/// footer bits, which becomes R0.
#[inline(always)]
fn match_distance<const ALIGNED: bool>(
    slot: usize,
    aligned: &Table<128, 7>,
    br: &mut BitReader<'_>,
    r: &mut [u32; 3],
) -> Result<usize, String> {
    let dist = match slot {
        0 => r[0],
        1 => {
            r.swap(0, 1);
            r[0]
        }
        2 => {
            r.swap(0, 2);
            r[0]
        }
        _ => {
            // The main tree has 8 symbols per slot of the window, at most
            // MAX_SLOTS: the lookups cannot miss.
            let (Some(&extra), Some(&base)) = (EXTRA_BITS.get(slot), POSITION_BASE.get(slot))
            else {
                return Err(format!("position slot {slot} does not exist"));
            };
            let extra = u32::from(extra);
            let mut d = base - 2;
            if ALIGNED && extra >= 3 {
                br.refill();
                d += br.bits(extra - 3) << 3;
                let a = aligned.decode(br);
                if a >= ALIGNED_SYMBOLS as u32 {
                    return Err("an aligned offset needs the aligned tree, which is empty".into());
                }
                d += a;
            } else {
                d += br.bits(extra);
            }
            *r = [d, r[0], r[1]];
            d
        }
    };
    Ok(dist as usize)
}

/// Where a match `dist` bytes behind `pos` starts in the ring: behind us in
/// this pass over the ring, or (dist > pos) in the previous pass, which
/// exists only once the ring has `wrapped`.
#[inline(always)]
fn match_source(
    dist: usize,
    pos: usize,
    window_size: usize,
    ring: usize,
    wrapped: bool,
) -> Result<usize, String> {
    if dist.wrapping_sub(1) < pos {
        Ok(pos - dist)
    } else if dist == 0 {
        Err("a match at distance 0".into())
    } else if dist > window_size {
        Err(format!(
            "a match at distance {dist} is beyond the {window_size}-byte window"
        ))
    } else if wrapped {
        Ok(pos + ring - dist)
    } else {
        Err(format!(
            "a match at distance {dist} reaches before the start of the stream"
        ))
    }
}

/// Copies a `len`-byte match from `src` to `pos`, `dist` bytes behind it.
/// Both lie in the ring (decode_run checked the match against its end), so
/// the lookups cannot miss; they cost what indexing's checks would.
#[inline(always)]
fn copy_match(
    window: &mut [u8],
    ring: usize,
    src: usize,
    pos: usize,
    dist: usize,
    len: usize,
) -> Result<(), String> {
    if dist >= COPY_SLACK && src + len <= ring {
        // Each 16-byte step reads bytes at least 16 behind what it
        // writes, so it sees them final; the last step may spill up
        // to 15 bytes past the match (see the module comment).
        let mut k = 0;
        while k < len {
            window.copy_within(src + k..src + k + COPY_SLACK, pos + k);
            k += COPY_SLACK;
        }
    } else if dist == 1 {
        let b = *window.get(src).ok_or_else(outside_ring)?;
        window
            .get_mut(pos..pos + len)
            .ok_or_else(outside_ring)?
            .fill(b);
    } else {
        copy_slow(window, ring, src, pos, len)?;
    }
    Ok(())
}

/// The error for a position outside the ring, which the decoder's checks
/// rule out: kept out of the hot loop's way.
#[cold]
fn outside_ring() -> String {
    "a match or literal lands outside the ring".to_string()
}

/// Reads delta-coded code lengths through a freshly read pretree.
fn read_lengths(
    br: &mut BitReader<'_>,
    pretree: &mut Table<256, 15>,
    lens: &mut [u8],
) -> Result<(), String> {
    let mut pre = [0u8; PRETREE_SYMBOLS];
    for l in &mut pre {
        *l = br.read(4) as u8;
    }
    pretree.build(&pre, "pretree")?;
    let mut i = 0;
    while let Some(&prev) = lens.get(i) {
        br.refill();
        let code = pretree.decode(br);
        let (run, value) = match code {
            0..=16 => (1, (prev + 17 - code as u8) % 17),
            17 => (br.bits(4) as usize + 4, 0),
            18 => (br.bits(5) as usize + 20, 0),
            19 => {
                let run = br.bits(1) as usize + 4;
                let code = pretree.decode(br);
                if code > 16 {
                    return Err(format!("invalid code length delta {code} after a run"));
                }
                (run, (prev + 17 - code as u8) % 17)
            }
            _ => return Err("the pretree is empty".into()),
        };
        let dest = lens
            .get_mut(i..i + run)
            .ok_or("a run of code lengths passes the end of its tree")?;
        dest.fill(value);
        i += run;
    }
    Ok(())
}

/// Copies a match byte by byte: short distances (the source overlaps the
/// destination) and sources that run across the end of the ring.
fn copy_slow(
    window: &mut [u8],
    ring: usize,
    src: usize,
    pos: usize,
    len: usize,
) -> Result<(), String> {
    for i in 0..len {
        let from = if src + i < ring {
            src + i
        } else {
            src + i - ring
        };
        let b = *window.get(from).ok_or_else(outside_ring)?;
        *window.get_mut(pos + i).ok_or_else(outside_ring)? = b;
    }
    Ok(())
}

/// Undoes the encoder's E8 translation in one frame of output, as
/// libmspack does: for each 0xE8 byte at offset `i` before the last 10
/// bytes, a 32-bit operand `abs` in `[-cur, size)` (with `cur` the byte's
/// position in the stream) becomes `abs - cur` if `abs >= 0`, else
/// `abs + size`. The operand is then skipped.
fn e8_translate(frame: &mut [u8], start: i32, size: i32) {
    let Some(limit) = frame.len().checked_sub(10) else {
        return;
    };
    let mut i = 0;
    while let Some(k) = frame
        .get(i..limit)
        .and_then(|rest| memchr::memchr(0xE8, rest))
    {
        i += k;
        let cur = start.wrapping_add(i as i32);
        // i < limit, so the operand's four bytes are in the frame.
        let Some(op) = frame
            .get_mut(i + 1..)
            .and_then(<[u8]>::first_chunk_mut::<4>)
        else {
            break;
        };
        let abs = i32::from_le_bytes(*op);
        if abs >= cur.wrapping_neg() && abs < size {
            let rel = if abs >= 0 {
                abs.wrapping_sub(cur)
            } else {
                abs.wrapping_add(size)
            };
            *op = rel.to_le_bytes();
        }
        i += 5;
    }
}

//! An LZX encoder for cabinet folders, for the catalog generator and for
//! tests: wsuscat writes full-scale LZX catalogs (package.xml above 100 MB)
//! and the lzxc crate, with its optimal parser, writes about 0.3 MB/s.
//!
//! What it writes, per folder (the decoder in `super` reads it back, and
//! so do cabextract and lzxd):
//! - the header bit 0: no E8 translation (the catalog is text, and a
//!   decoder must then leave 0xE8 bytes alone);
//! - verbatim blocks of up to [`FRAMES_PER_BLOCK`] frames, each with its
//!   own main and length trees, delta-coded against the previous block's;
//! - one frame per CFDATA block: 32 KiB of input (less for the folder's
//!   last), its bitstream padded to 16 bits. Blocks start at frame starts
//!   and no match crosses a frame, so a frame's bits hold whole symbols.
//!
//! Matching is in [`matcher`]; Huffman codes in [`codes`].

mod bits;
mod codes;
mod matcher;

#[cfg(test)]
mod tests;

use super::{position_slots, LENGTH_SYMBOLS, MAX_FRAME, NUM_CHARS};
use bits::BitWriter;
use codes::{canonical_codes, code_lengths, write_lengths};
use matcher::{Matcher, Sym};

/// Frames per LZX block. Each block carries trees (a few hundred bytes on
/// catalog text); longer blocks pay for them less often, shorter ones
/// follow the data more closely. Eight frames cost under 1 % in trees.
const FRAMES_PER_BLOCK: usize = 8;
/// A frame coded with its block's trees must fit a CFDATA block with room
/// for the trees; a frame that would not gets a block of its own.
const FRAME_BUDGET_BITS: usize = 8 * (36 * 1024);

/// Encodes one cabinet folder, frame by frame.
pub struct LzxEncoder {
    matcher: Matcher,
    main_len: usize,
    /// The previous block's lengths (all zero before the first block).
    main_lens: Vec<u8>,
    length_lens: [u8; LENGTH_SYMBOLS],
    /// The frames of the block being collected.
    frames: Vec<Frame>,
    header_written: bool,
    /// A frame shorter than 32 KiB was pushed: it must be the last.
    short_frame_seen: bool,
    #[cfg(test)]
    blocks_written: usize,
}

impl LzxEncoder {
    /// An encoder for a window of 2^`window_bits` bytes (15 to 21).
    #[expect(
        clippy::panic,
        reason = "the window comes from the writer's caller (code, not input): any other \
                  window is the caller's bug, and new() has no error to return"
    )]
    pub fn new(window_bits: u8) -> LzxEncoder {
        let Some(&slots) = position_slots(window_bits) else {
            panic!("LZX windows are 2^15 to 2^21 bytes");
        };
        let main_len = NUM_CHARS + 8 * slots;
        LzxEncoder {
            matcher: Matcher::new(window_bits),
            main_len,
            main_lens: vec![0; main_len],
            length_lens: [0; LENGTH_SYMBOLS],
            frames: Vec::new(),
            header_written: false,
            short_frame_seen: false,
            #[cfg(test)]
            blocks_written: 0,
        }
    }

    /// Searches less in runs of input where nothing matches (already
    /// compressed data): much faster there, the same output on text.
    pub fn skip_misses(&mut self, on: bool) {
        self.matcher.skip_misses(on);
    }

    /// Encodes one frame of input (1 to 32768 bytes; only the folder's last
    /// frame may be shorter than 32768). Returns the frames finished so
    /// far, as (compressed bytes, uncompressed length), in order: a block's
    /// frames come out together when the block is complete.
    pub fn push_frame(&mut self, frame: &[u8]) -> Vec<(Vec<u8>, usize)> {
        assert!(
            !frame.is_empty() && frame.len() <= MAX_FRAME,
            "an LZX frame is 1 to 32768 bytes"
        );
        assert!(
            !self.short_frame_seen,
            "only the last frame of a folder may be short"
        );
        self.short_frame_seen = frame.len() < MAX_FRAME;
        let from = self.matcher.end();
        self.matcher.append(frame);
        let mut syms = Vec::new();
        self.matcher
            .parse(from, from + frame.len() as u64, &mut syms);
        self.frames.push(Frame {
            syms,
            len: frame.len(),
        });
        let mut out = Vec::new();
        if self.frames.len() == FRAMES_PER_BLOCK {
            self.flush(&mut out);
        }
        out
    }

    /// Ends the folder: the frames still held. Nothing may be pushed after.
    pub fn finish(&mut self) -> Vec<(Vec<u8>, usize)> {
        self.short_frame_seen = true;
        let mut out = Vec::new();
        self.flush(&mut out);
        out
    }

    fn flush(&mut self, out: &mut Vec<(Vec<u8>, usize)>) {
        let frames = std::mem::take(&mut self.frames);
        self.write_block(&frames, out);
    }

    /// Writes `frames` as one verbatim block, or frame by frame if one of
    /// them would overflow a CFDATA block under trees built for them all.
    fn write_block(&mut self, frames: &[Frame], out: &mut Vec<(Vec<u8>, usize)>) {
        if frames.is_empty() {
            return;
        }
        let trees = Trees::fit(self.main_len, frames);
        if frames.len() > 1
            && frames
                .iter()
                .any(|f| f.syms.iter().map(|s| trees.cost(s)).sum::<usize>() > FRAME_BUDGET_BITS)
        {
            for frame in frames {
                self.write_block(std::slice::from_ref(frame), out);
            }
            return;
        }
        #[cfg(test)]
        {
            self.blocks_written += 1;
        }
        for (k, frame) in frames.iter().enumerate() {
            let mut w = BitWriter::new();
            if !self.header_written {
                self.header_written = true;
                // No E8 translation.
                w.put(0, 1);
            }
            if k == 0 {
                let block_len: usize = frames.iter().map(|f| f.len).sum();
                self.write_block_header(&mut w, block_len, &trees);
            }
            for s in &frame.syms {
                trees.put(&mut w, s);
            }
            out.push((w.finish(), frame.len));
        }
    }

    /// A verbatim block's header: type, length, and the trees delta-coded
    /// against the previous block's.
    #[expect(
        clippy::indexing_slicing,
        reason = "both main trees are main_len long, 256 literals plus 8 per position slot, \
                  so NUM_CHARS splits them"
    )]
    fn write_block_header(&mut self, w: &mut BitWriter, block_len: usize, trees: &Trees) {
        w.put(1, 3); // verbatim
        w.put(block_len as u32, 24);
        write_lengths(
            w,
            &mut self.main_lens[..NUM_CHARS],
            &trees.main_lens[..NUM_CHARS],
        );
        write_lengths(
            w,
            &mut self.main_lens[NUM_CHARS..],
            &trees.main_lens[NUM_CHARS..],
        );
        write_lengths(w, &mut self.length_lens, &trees.length_lens);
    }
}

/// One frame's symbols and the bytes they decode to.
struct Frame {
    syms: Vec<Sym>,
    len: usize,
}

/// A block's main and length trees: code lengths and canonical codes.
struct Trees {
    main_lens: Vec<u8>,
    main_codes: Vec<u16>,
    length_lens: [u8; LENGTH_SYMBOLS],
    length_codes: [u16; LENGTH_SYMBOLS],
}

// A symbol's `main` is below main_len (256 literals, then 8 per position
// slot, and the matcher's distances stay inside the window's slots) and a
// non-zero `length` is at most LENGTH_SYMBOLS (matches are at most 257
// bytes): every lookup below is in range by construction.
impl Trees {
    /// Trees fitted to the symbols of `frames`, for a main tree of
    /// `main_len` symbols.
    #[expect(
        clippy::indexing_slicing,
        reason = "a symbol's main is below main_len and its length - 1 below LENGTH_SYMBOLS, \
                  the trees' sizes (why: the comment on impl Trees)"
    )]
    fn fit(main_len: usize, frames: &[Frame]) -> Trees {
        let mut main_freq = vec![0u32; main_len];
        let mut length_freq = [0u32; LENGTH_SYMBOLS];
        for s in frames.iter().flat_map(|f| &f.syms) {
            main_freq[usize::from(s.main)] += 1;
            if s.length > 0 {
                length_freq[usize::from(s.length - 1)] += 1;
            }
        }
        let mut trees = Trees {
            main_lens: vec![0; main_len],
            main_codes: vec![0; main_len],
            length_lens: [0; LENGTH_SYMBOLS],
            length_codes: [0; LENGTH_SYMBOLS],
        };
        code_lengths(&main_freq, 16, &mut trees.main_lens);
        code_lengths(&length_freq, 16, &mut trees.length_lens);
        canonical_codes(&trees.main_lens, &mut trees.main_codes);
        canonical_codes(&trees.length_lens, &mut trees.length_codes);
        trees
    }

    /// The bits `s` costs: its main code, length code and footer.
    #[expect(
        clippy::indexing_slicing,
        reason = "a symbol's main is below main_len and its length - 1 below LENGTH_SYMBOLS, \
                  the trees' sizes (why: the comment on impl Trees)"
    )]
    fn cost(&self, s: &Sym) -> usize {
        usize::from(self.main_lens[usize::from(s.main)])
            + if s.length > 0 {
                usize::from(self.length_lens[usize::from(s.length - 1)])
            } else {
                0
            }
            + usize::from(s.footer_bits)
    }

    /// Writes `s`: its main code, its length code if it has one, its footer.
    #[inline(always)]
    #[expect(
        clippy::indexing_slicing,
        reason = "a symbol's main is below main_len and its length - 1 below LENGTH_SYMBOLS, \
                  the trees' sizes (why: the comment on impl Trees)"
    )]
    fn put(&self, w: &mut BitWriter, s: &Sym) {
        let m = usize::from(s.main);
        w.put(u32::from(self.main_codes[m]), u32::from(self.main_lens[m]));
        if s.length > 0 {
            let l = usize::from(s.length - 1);
            w.put(
                u32::from(self.length_codes[l]),
                u32::from(self.length_lens[l]),
            );
        }
        if s.footer_bits > 0 {
            w.put(s.footer, u32::from(s.footer_bits));
        }
    }
}

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

use super::{LENGTH_SYMBOLS, MAX_FRAME, NUM_CHARS, POSITION_SLOTS};
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
    /// Symbols of the block being collected, and where each frame ends in
    /// them (symbol count, output bytes).
    syms: Vec<Sym>,
    frames: Vec<(usize, usize)>,
    header_written: bool,
    /// A frame shorter than 32 KiB was pushed: it must be the last.
    short_frame_seen: bool,
    #[cfg(test)]
    blocks_written: usize,
}

impl LzxEncoder {
    /// An encoder for a window of 2^`window_bits` bytes (15 to 21).
    pub fn new(window_bits: u8) -> LzxEncoder {
        assert!(
            (15..=21).contains(&window_bits),
            "LZX windows are 2^15 to 2^21 bytes"
        );
        let main_len = NUM_CHARS + 8 * POSITION_SLOTS[usize::from(window_bits - 15)];
        LzxEncoder {
            matcher: Matcher::new(window_bits),
            main_len,
            main_lens: vec![0; main_len],
            length_lens: [0; LENGTH_SYMBOLS],
            syms: Vec::new(),
            frames: Vec::new(),
            header_written: false,
            short_frame_seen: false,
            #[cfg(test)]
            blocks_written: 0,
        }
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
        self.matcher
            .parse(from, from + frame.len() as u64, &mut self.syms);
        self.frames.push((self.syms.len(), frame.len()));
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
        let syms = std::mem::take(&mut self.syms);
        let frames = std::mem::take(&mut self.frames);
        let mut start = 0;
        let spans: Vec<(usize, usize, usize)> = frames
            .iter()
            .map(|&(end, len)| {
                let s = (start, end, len);
                start = end;
                s
            })
            .collect();
        self.write_block(&syms, &spans, out);
    }

    /// Writes the frames `spans` (symbol range, output length) as one
    /// verbatim block, or frame by frame if one of them would overflow a
    /// CFDATA block under trees built for them all.
    fn write_block(
        &mut self,
        syms: &[Sym],
        spans: &[(usize, usize, usize)],
        out: &mut Vec<(Vec<u8>, usize)>,
    ) {
        let Some(&(first, _, _)) = spans.first() else {
            return;
        };
        let last = spans[spans.len() - 1].1;
        let mut main_freq = vec![0u32; self.main_len];
        let mut length_freq = [0u32; LENGTH_SYMBOLS];
        for s in &syms[first..last] {
            main_freq[usize::from(s.main)] += 1;
            if s.length > 0 {
                length_freq[usize::from(s.length - 1)] += 1;
            }
        }
        let mut main_lens = vec![0u8; self.main_len];
        let mut length_lens = [0u8; LENGTH_SYMBOLS];
        code_lengths(&main_freq, 16, &mut main_lens);
        code_lengths(&length_freq, 16, &mut length_lens);
        let cost = |s: &Sym| {
            usize::from(main_lens[usize::from(s.main)])
                + if s.length > 0 {
                    usize::from(length_lens[usize::from(s.length - 1)])
                } else {
                    0
                }
                + usize::from(s.footer_bits)
        };
        if spans.len() > 1
            && spans
                .iter()
                .any(|&(a, b, _)| syms[a..b].iter().map(cost).sum::<usize>() > FRAME_BUDGET_BITS)
        {
            for span in spans {
                self.write_block(syms, std::slice::from_ref(span), out);
            }
            return;
        }
        let mut main_codes = vec![0u16; self.main_len];
        let mut length_codes = [0u16; LENGTH_SYMBOLS];
        canonical_codes(&main_lens, &mut main_codes);
        canonical_codes(&length_lens, &mut length_codes);
        #[cfg(test)]
        {
            self.blocks_written += 1;
        }
        for (k, &(a, b, len)) in spans.iter().enumerate() {
            let mut w = BitWriter::new();
            if !self.header_written {
                self.header_written = true;
                // No E8 translation.
                w.put(0, 1);
            }
            if k == 0 {
                let block_len: usize = spans.iter().map(|s| s.2).sum();
                w.put(1, 3); // verbatim
                w.put(block_len as u32, 24);
                write_lengths(
                    &mut w,
                    &mut self.main_lens[..NUM_CHARS],
                    &main_lens[..NUM_CHARS],
                );
                write_lengths(
                    &mut w,
                    &mut self.main_lens[NUM_CHARS..],
                    &main_lens[NUM_CHARS..],
                );
                write_lengths(&mut w, &mut self.length_lens, &length_lens);
            }
            for s in &syms[a..b] {
                let m = usize::from(s.main);
                w.put(u32::from(main_codes[m]), u32::from(main_lens[m]));
                if s.length > 0 {
                    let l = usize::from(s.length - 1);
                    w.put(u32::from(length_codes[l]), u32::from(length_lens[l]));
                }
                if s.footer_bits > 0 {
                    w.put(s.footer, u32::from(s.footer_bits));
                }
            }
            out.push((w.finish(), len));
        }
    }
}

//! Unit tests: streams from the lzxc encoder for the common paths, and
//! streams written bit by bit here for what an encoder never produces
//! (damage, edge cases of the format).

use super::*;

// ---------------------------------------------------------------------
// A minimal LZX writer for hand-made streams.

/// Bits packed MSB first into 16-bit little-endian words.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, v: u32, n: u32) {
        for i in (0..n).rev() {
            self.acc = (self.acc << 1) | ((u64::from(v) >> i) as u32 & 1);
            self.n += 1;
            if self.n == 16 {
                self.out.extend_from_slice(&(self.acc as u16).to_le_bytes());
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    fn pad(&mut self) {
        if self.n > 0 {
            self.put(0, 16 - self.n);
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        assert_eq!(self.n, 0);
        self.out.extend_from_slice(bytes);
    }

    /// Ends a frame: pads to a word and returns the frame's chunk.
    fn take(&mut self) -> Vec<u8> {
        self.pad();
        std::mem::take(&mut self.out)
    }
}

/// Canonical (code, length) per symbol.
fn canonical(lens: &[u8]) -> Vec<(u32, u32)> {
    let mut out = vec![(0, 0); lens.len()];
    let mut code = 0u32;
    for len in 1..=16u8 {
        for (s, &l) in lens.iter().enumerate() {
            if l == len {
                out[s] = (code, u32::from(len));
                code += 1;
            }
        }
        code <<= 1;
    }
    out
}

/// Complete code lengths giving every one of `n` symbols a code.
fn flat(n: usize) -> Vec<u8> {
    let k = usize::BITS - (n - 1).leading_zeros();
    let short = (1usize << k) - n;
    (0..n)
        .map(|i| if i < short { k as u8 - 1 } else { k as u8 })
        .collect()
}

/// The pretree every hand-made block uses: 12 codes of 4 bits, 8 of 5.
const PRE: [u8; 20] = [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5];

#[derive(Clone, Copy, Debug)]
enum Tok {
    Lit(u8),
    /// A match of `len` bytes at distance `dist`, coded as a new offset.
    Far(usize, u32),
    /// A match of `len` bytes at repeated offset R0, R1 or R2.
    Rep(usize, usize),
}

struct Writer {
    bits: Bits,
    slots: usize,
    main_prev: Vec<u8>,
    len_prev: Vec<u8>,
    main: Vec<(u32, u32)>,
    length: Vec<(u32, u32)>,
    aligned: Option<Vec<(u32, u32)>>,
}

impl Writer {
    /// Starts a stream; `e8` is the translation header.
    fn new(window_bits: u8, e8: Option<u32>) -> Writer {
        let mut bits = Bits::default();
        match e8 {
            Some(size) => {
                bits.put(1, 1);
                bits.put(size, 32);
            }
            None => bits.put(0, 1),
        }
        Writer {
            bits,
            slots: POSITION_SLOTS[usize::from(window_bits - 15)],
            main_prev: vec![0; NUM_CHARS + MAX_SLOTS * 8],
            len_prev: vec![0; LENGTH_SYMBOLS],
            main: Vec::new(),
            length: Vec::new(),
            aligned: None,
        }
    }

    fn lens(&mut self, lens: &[u8], prev: &[u8]) {
        for &l in &PRE {
            self.bits.put(u32::from(l), 4);
        }
        let pre = canonical(&PRE);
        for (&l, &p) in lens.iter().zip(prev) {
            let d = (p + 17 - l) % 17;
            let (c, n) = pre[usize::from(d)];
            self.bits.put(c, n);
        }
    }

    /// A verbatim (or, with aligned lengths, aligned offset) block header
    /// with the given main and length code lengths.
    fn block(&mut self, len: usize, aligned: Option<[u8; 8]>, main: &[u8], length: &[u8]) {
        self.bits.put(if aligned.is_some() { 2 } else { 1 }, 3);
        self.bits.put(len as u32, 24);
        if let Some(a) = aligned {
            for l in a {
                self.bits.put(u32::from(l), 3);
            }
        }
        let main_len = NUM_CHARS + 8 * self.slots;
        assert_eq!(main.len(), main_len);
        let prev = self.main_prev.clone();
        self.lens(&main[..NUM_CHARS], &prev[..NUM_CHARS]);
        self.lens(&main[NUM_CHARS..], &prev[NUM_CHARS..main_len]);
        self.main_prev[..main_len].copy_from_slice(main);
        let prev = self.len_prev.clone();
        self.lens(length, &prev);
        self.len_prev.copy_from_slice(length);
        self.main = canonical(main);
        self.length = canonical(length);
        self.aligned = aligned.map(|a| canonical(&a));
    }

    /// A block header with codes for every symbol.
    fn block_flat(&mut self, len: usize, aligned: bool) {
        let main = flat(NUM_CHARS + 8 * self.slots);
        let length = flat(LENGTH_SYMBOLS);
        self.block(len, aligned.then_some([3; 8]), &main, &length);
    }

    fn uncompressed(&mut self, data: &[u8], r: [u32; 3], pad: bool) {
        self.bits.put(3, 3);
        self.bits.put(data.len() as u32, 24);
        if self.bits.n == 0 {
            self.bits.put(0, 16);
        } else {
            self.bits.pad();
        }
        for v in r {
            self.bits.raw(&v.to_le_bytes());
        }
        self.bits.raw(data);
        if pad && data.len() % 2 == 1 {
            self.bits.raw(&[0]);
        }
    }

    fn sym(&mut self, s: usize) {
        let (c, n) = self.main[s];
        assert!(n > 0, "symbol {s} has no code");
        self.bits.put(c, n);
    }

    fn tok(&mut self, t: Tok) {
        let (len, slot, footer) = match t {
            Tok::Lit(b) => return self.sym(usize::from(b)),
            Tok::Rep(len, i) => (len, i, None),
            Tok::Far(len, dist) => {
                let formatted = dist + 2;
                let slot = (3..MAX_SLOTS)
                    .rev()
                    .find(|&s| POSITION_BASE[s] <= formatted)
                    .unwrap();
                (len, slot, Some(formatted - POSITION_BASE[slot]))
            }
        };
        let header = (len - MIN_MATCH).min(7);
        self.sym(NUM_CHARS + slot * 8 + header);
        if header == 7 {
            let (c, n) = self.length[len - MIN_MATCH - 7];
            self.bits.put(c, n);
        }
        if let Some(f) = footer {
            let extra = u32::from(EXTRA_BITS[slot]);
            match &self.aligned {
                Some(a) if extra >= 3 => {
                    self.bits.put(f >> 3, extra - 3);
                    let (c, n) = a[(f & 7) as usize];
                    self.bits.put(c, n);
                }
                _ => self.bits.put(f, extra),
            }
        }
    }

    fn toks(&mut self, toks: &[Tok]) {
        for &t in toks {
            self.tok(t);
        }
    }

    fn take(&mut self) -> Vec<u8> {
        self.bits.take()
    }
}

/// What the tokens decode to, by the format's rules, appended to `out`.
fn expand(out: &mut Vec<u8>, r: &mut [u32; 3], toks: &[Tok]) {
    for &t in toks {
        let (len, dist) = match t {
            Tok::Lit(b) => {
                out.push(b);
                continue;
            }
            Tok::Far(len, d) => {
                *r = [d, r[0], r[1]];
                (len, d)
            }
            Tok::Rep(len, i) => {
                r.swap(0, i);
                (len, r[0])
            }
        };
        for _ in 0..len {
            out.push(out[out.len() - dist as usize]);
        }
    }
}

fn lits(bytes: &[u8]) -> Vec<Tok> {
    bytes.iter().map(|&b| Tok::Lit(b)).collect()
}

/// Decodes chunks of the given output lengths; the joined output or the
/// first error.
fn decode(window_bits: u8, chunks: &[(Vec<u8>, usize)]) -> Result<Vec<u8>, String> {
    let mut d = LzxDecoder::new(window_bits).unwrap();
    decode_with(&mut d, chunks)
}

fn decode_with(d: &mut LzxDecoder, chunks: &[(Vec<u8>, usize)]) -> Result<Vec<u8>, String> {
    let mut all = Vec::new();
    let mut out = Vec::new();
    for (c, len) in chunks {
        d.decode_block(c, *len, &mut out)?;
        assert_eq!(out.len(), *len);
        all.extend_from_slice(&out);
    }
    Ok(all)
}

/// A little deterministic generator (xorshift).
struct Rand(u64);

impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------
// Hand-made streams.

#[test]
fn verbatim_block_with_literals_matches_repeats_and_long_lengths() {
    let toks = [
        lits(b"abcdefgh"),
        vec![
            Tok::Far(5, 8), // "abcde"
            Tok::Lit(b'X'),
            Tok::Far(20, 3),  // overlapping: "deXdeX..."
            Tok::Rep(4, 1),   // R1 = 8
            Tok::Rep(3, 0),   // R0 again
            Tok::Rep(2, 2),   // R2 = 8? (after the swap R2 is 3)
            Tok::Far(257, 1), // the longest match, a run
            Tok::Far(9, 290), // length tree symbol 0, a far slot
        ],
    ]
    .concat();
    let mut expected = Vec::new();
    expand(&mut expected, &mut [1, 1, 1], &toks);
    for window_bits in 15..=21 {
        let mut w = Writer::new(window_bits, None);
        w.block_flat(expected.len(), false);
        w.toks(&toks);
        let chunk = w.take();
        let got = decode(window_bits, &[(chunk, expected.len())]).unwrap();
        assert_eq!(got, expected, "window {window_bits}");
    }
}

#[test]
fn aligned_offset_block() {
    let mut rng = Rand(5);
    let mut toks = lits(&(0..=255u8).collect::<Vec<_>>());
    let mut produced = 256;
    for _ in 0..400 {
        // Distances from 1 to past 2^15 exercise slots with 0 to 14 extra bits.
        let dist = 1 + rng.below(produced.min(40000)) as u32;
        let len = 2 + rng.below(40);
        toks.push(Tok::Far(len, dist));
        toks.push(Tok::Lit(rng.next() as u8));
        produced += len + 1;
    }
    let mut expected = Vec::new();
    expand(&mut expected, &mut [1, 1, 1], &toks);
    assert!(expected.len() <= MAX_FRAME, "{}", expected.len());
    let mut w = Writer::new(16, None);
    // A skewed aligned code: 1, 2, 3, 4, 5, 6, 7, 7.
    let main = flat(NUM_CHARS + 8 * 32);
    let length = flat(LENGTH_SYMBOLS);
    w.block(
        expected.len(),
        Some([1, 2, 3, 4, 5, 6, 7, 7]),
        &main,
        &length,
    );
    w.toks(&toks);
    let bits = w.take();
    let mut d = LzxDecoder::new(16).unwrap();
    let got = decode_with(&mut d, &[(bits, expected.len())]).unwrap();
    assert_eq!(got, expected);
    assert_eq!(d.blocks_seen[2], 1);
}

#[test]
fn uncompressed_blocks_odd_lengths_and_pads() {
    // An odd uncompressed block, then a verbatim block in the same frame:
    // the pad byte sits between them.
    let mut w = Writer::new(15, None);
    w.uncompressed(b"hello", [1, 1, 1], true);
    w.block_flat(6, false);
    w.toks(&[Tok::Far(5, 5), Tok::Lit(b'!')]);
    let chunk = w.take();
    assert_eq!(decode(15, &[(chunk, 11)]).unwrap(), b"hellohello!".to_vec());

    // Without the pad byte the block header is read from the wrong place.
    let mut w = Writer::new(15, None);
    w.uncompressed(b"hello", [1, 1, 1], false);
    w.block_flat(6, false);
    w.toks(&[Tok::Far(5, 5), Tok::Lit(b'!')]);
    let chunk = w.take();
    assert_ne!(decode(15, &[(chunk, 11)]), Ok(b"hellohello!".to_vec()));
}

#[test]
fn pad_of_an_odd_block_that_ends_its_frame_may_sit_in_either_chunk() {
    // A verbatim block of 3 bytes, then an uncompressed block of 32765
    // bytes (odd) that ends exactly at the frame end.
    let data: Vec<u8> = (0..32765u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut expected = b"abc".to_vec();
    expected.extend_from_slice(&data);
    expand(&mut expected, &mut [1, 1, 1], &[Tok::Far(5, 32768)]);
    for pad_in_first in [true, false] {
        let mut w = Writer::new(16, None);
        w.block_flat(3, false);
        w.toks(&lits(b"abc"));
        w.uncompressed(&data, [1, 1, 1], pad_in_first);
        let first = w.take();
        if !pad_in_first {
            w.bits.raw(&[0]);
        }
        w.block_flat(5, false);
        w.toks(&[Tok::Far(5, 32768)]);
        let second = w.take();
        let got = decode(16, &[(first, 32768), (second, 5)]);
        assert_eq!(
            got,
            Ok(expected.clone()),
            "pad in first chunk: {pad_in_first}"
        );
    }
}

#[test]
fn uncompressed_block_spanning_frames() {
    let data: Vec<u8> = (0..40000u32).map(|i| (i % 253) as u8).collect();
    let mut w = Writer::new(17, None);
    w.uncompressed(&data[..32768], [1, 1, 1], true);
    // Rewrite the block length: one block of 40000 bytes across two chunks.
    let mut first = w.take();
    let mut hdr = Bits::default();
    hdr.put(0, 1);
    hdr.put(3, 3);
    hdr.put(40000, 24);
    hdr.pad();
    first[..4].copy_from_slice(&hdr.out[..4]);
    let mut second = data[32768..].to_vec();
    second.push(0); // 40000 is even: no pad; a stray byte is ignored.
    let got = decode(17, &[(first, 32768), (second, 40000 - 32768)]).unwrap();
    assert_eq!(got, data);
}

#[test]
fn verbatim_block_spanning_frames_restarts_the_bit_reader() {
    let mut rng = Rand(9);
    let text: Vec<u8> = (0..50000).map(|_| b"<a/>xyz"[rng.below(7)]).collect();
    let mut w = Writer::new(16, None);
    w.block_flat(text.len(), false);
    w.toks(&lits(&text[..32768]));
    let first = w.take();
    w.toks(&lits(&text[32768..]));
    let second = w.take();
    let got = decode(16, &[(first, 32768), (second, text.len() - 32768)]).unwrap();
    assert_eq!(got, text);
}

#[test]
fn match_before_the_start_of_the_stream_is_an_error() {
    // Distance 4 after 4 bytes reaches the first byte: fine.
    let mut w = Writer::new(15, None);
    w.block_flat(8, false);
    w.toks(&[lits(b"abcd"), vec![Tok::Far(4, 4)]].concat());
    assert_eq!(decode(15, &[(w.take(), 8)]).unwrap(), b"abcdabcd");
    // Distance 5 reaches one byte before it.
    let mut w = Writer::new(15, None);
    w.block_flat(8, false);
    w.toks(&[lits(b"abcd"), vec![Tok::Far(4, 5)]].concat());
    let err = decode(15, &[(w.take(), 8)]).unwrap_err();
    assert!(err.contains("before the start"), "{err}");
    // The initial R0 of 1 before any output.
    let mut w = Writer::new(15, None);
    w.block_flat(3, false);
    w.toks(&[Tok::Rep(3, 0)]);
    assert!(decode(15, &[(w.take(), 3)]).is_err());
    // In a later frame too: distance 32769 after 32768 + 0 bytes.
    let mut w = Writer::new(16, None);
    w.uncompressed(&[7; 32768], [1, 1, 1], true);
    let first = w.take();
    w.block_flat(2, false);
    w.toks(&[Tok::Far(2, 32769)]);
    let err = decode(16, &[(first, 32768), (w.take(), 2)]).unwrap_err();
    assert!(err.contains("before the start"), "{err}");
}

/// Two stored frames that fill a 2^15 window's ring (the window plus one
/// frame): the decoder's next pass starts at ring position 0.
fn fill_ring(w: &mut Writer) -> (Vec<(Vec<u8>, usize)>, Vec<u8>) {
    let data: Vec<u8> = (0..65536u32).map(|i| (i * 13 % 251) as u8).collect();
    let chunks = data
        .chunks(MAX_FRAME)
        .map(|frame| {
            w.uncompressed(frame, [1, 1, 1], true);
            (w.take(), MAX_FRAME)
        })
        .collect();
    (chunks, data)
}

#[test]
fn distance_up_to_the_window_size_after_the_ring_wrapped() {
    // Distance 32765 (the largest a 30-slot code can say) from the start of
    // the second pass: the source is in the first pass.
    let mut w = Writer::new(15, None);
    let (mut chunks, data) = fill_ring(&mut w);
    let toks = [Tok::Far(257, 32765), Tok::Far(43, 32765), Tok::Far(20, 300)];
    w.block_flat(320, false);
    w.toks(&toks);
    chunks.push((w.take(), 320));
    let mut expected = data.clone();
    expand(&mut expected, &mut [1, 1, 1], &toks);
    assert_eq!(decode(15, &chunks).unwrap(), expected);

    // Exactly the window size, from a stored R0.
    let mut w = Writer::new(15, None);
    let (mut chunks, data) = fill_ring(&mut w);
    w.uncompressed(b"", [32768, 1, 1], true);
    w.block_flat(10, false);
    w.toks(&[Tok::Rep(10, 0)]);
    chunks.push((w.take(), 10));
    let got = decode(15, &chunks).unwrap();
    assert_eq!(&got[65536..], &data[32768..32778]);

    // Past the window size is an error, though the ring still holds it.
    let mut w = Writer::new(15, None);
    let (mut chunks, _) = fill_ring(&mut w);
    w.uncompressed(b"", [32769, 1, 1], true);
    w.block_flat(10, false);
    w.toks(&[Tok::Rep(10, 0)]);
    chunks.push((w.take(), 10));
    let err = decode(15, &chunks).unwrap_err();
    assert!(err.contains("beyond"), "{err}");
}

#[test]
fn wrapped_source_overlapping_the_destination() {
    // A distance larger than the position but shorter than the length:
    // the source runs from the end of the ring into the bytes being
    // written.
    let mut w = Writer::new(15, None);
    let (mut chunks, data) = fill_ring(&mut w);
    let toks = [Tok::Lit(1), Tok::Lit(2), Tok::Far(100, 5)];
    w.block_flat(102, false);
    w.toks(&toks);
    chunks.push((w.take(), 102));
    let mut expected = data.clone();
    expand(&mut expected, &mut [1, 1, 1], &toks);
    assert_eq!(decode(15, &chunks).unwrap(), expected);
}

#[test]
fn random_matches_over_many_passes_of_the_ring() {
    // Every copy path (short and long distances, overlapping, from the
    // previous pass, across the ring's end) against the plain model.
    for (window_bits, seed) in [(15u8, 1u64), (15, 2), (16, 3)] {
        let mut rng = Rand(seed);
        let mut w = Writer::new(window_bits, None);
        let max_dist = (1usize << window_bits) - 3;
        let mut expected = Vec::new();
        let mut r = [1, 1, 1];
        let mut chunks = Vec::new();
        for frame in 0..12 {
            let len = if frame == 11 { 12345 } else { MAX_FRAME };
            let mut toks = Vec::new();
            let mut produced = 0;
            while produced < len {
                let room = len - produced;
                let have = expected.len() + produced;
                let t = if have < 2 || room < 2 || rng.below(3) == 0 {
                    Tok::Lit(rng.next() as u8)
                } else {
                    let mlen = (2 + rng.below(256)).min(room);
                    let dist = match rng.below(4) {
                        0 => 1 + rng.below(20),
                        1 => 1 + rng.below(have.min(max_dist)),
                        _ => have.min(max_dist) - rng.below(40.min(have.min(max_dist))),
                    };
                    Tok::Far(mlen, dist as u32)
                };
                produced += match t {
                    Tok::Lit(_) => 1,
                    Tok::Far(l, _) | Tok::Rep(l, _) => l,
                };
                toks.push(t);
            }
            w.block_flat(len, frame % 2 == 1);
            w.toks(&toks);
            chunks.push((w.take(), len));
            expand(&mut expected, &mut r, &toks);
        }
        let got = decode(window_bits, &chunks).unwrap();
        assert!(got == expected, "window {window_bits} seed {seed}");
    }
}

#[test]
fn matches_may_not_cross_a_frame_or_block_end() {
    // Across the frame end.
    let mut w = Writer::new(15, None);
    w.block_flat(40000, false);
    let mut toks = lits(&[5; 32766]);
    toks.push(Tok::Far(10, 1));
    w.toks(&toks);
    let err = decode(15, &[(w.take(), 32768)]).unwrap_err();
    assert!(err.contains("runs past"), "{err}");
    // Across the block end, inside a frame.
    let mut w = Writer::new(15, None);
    w.block_flat(4, false);
    w.toks(&[Tok::Lit(1), Tok::Lit(2), Tok::Far(5, 1)]);
    let err = decode(15, &[(w.take(), 10)]).unwrap_err();
    assert!(err.contains("runs past"), "{err}");
}

#[test]
fn distance_zero_from_a_stored_r0_is_an_error() {
    let mut w = Writer::new(15, None);
    w.uncompressed(b"ab", [0, 1, 1], true);
    w.block_flat(3, false);
    w.toks(&[Tok::Rep(3, 0)]);
    let err = decode(15, &[(w.take(), 5)]).unwrap_err();
    assert!(err.contains("distance 0"), "{err}");
}

#[test]
fn invalid_block_types() {
    for kind in [0, 4, 5, 6, 7] {
        let mut b = Bits::default();
        b.put(0, 1);
        b.put(kind, 3);
        b.put(100, 24);
        b.put(0, 64);
        let err = decode(15, &[(b.take(), 100)]).unwrap_err();
        assert!(err.contains("block type"), "{kind}: {err}");
    }
}

#[test]
fn bad_trees() {
    let main_len = NUM_CHARS + 8 * 30;
    // Incomplete main tree.
    let mut main = flat(main_len);
    main[0] += 1;
    let mut w = Writer::new(15, None);
    w.block(10, None, &main, &flat(LENGTH_SYMBOLS));
    let err = decode(15, &[(w.take(), 10)]).unwrap_err();
    assert!(err.contains("main tree"), "{err}");
    // Oversubscribed length tree.
    let mut length = flat(LENGTH_SYMBOLS);
    length[5] -= 1;
    let mut w = Writer::new(15, None);
    w.block(10, None, &flat(main_len), &length);
    let err = decode(15, &[(w.take(), 10)]).unwrap_err();
    assert!(err.contains("length tree"), "{err}");
    // An empty main tree with output to produce.
    let mut w = Writer::new(15, None);
    w.block(10, None, &vec![0; main_len], &flat(LENGTH_SYMBOLS));
    let err = decode(15, &[(w.take(), 10)]).unwrap_err();
    assert!(err.contains("main tree is empty"), "{err}");
    // An empty length tree is fine until a long match needs it.
    let empty = vec![0; LENGTH_SYMBOLS];
    let mut w = Writer::new(15, None);
    w.block(10, None, &flat(main_len), &empty);
    w.toks(&[lits(b"abc"), vec![Tok::Far(7, 3)]].concat());
    assert_eq!(decode(15, &[(w.take(), 10)]).unwrap(), b"abcabcabca");
    let mut w = Writer::new(15, None);
    w.block(10, None, &flat(main_len), &empty);
    w.toks(&lits(b"a"));
    w.sym(NUM_CHARS + 7); // repeat slot 0, length header 7
    w.bits.put(0, 32);
    let err = decode(15, &[(w.take(), 10)]).unwrap_err();
    assert!(err.contains("length tree"), "{err}");
    // An empty aligned tree, when an aligned offset needs it.
    let mut w = Writer::new(15, None);
    w.block(20, Some([0; 8]), &flat(main_len), &flat(LENGTH_SYMBOLS));
    w.aligned = None;
    w.toks(&lits(&[9; 19]));
    w.sym(NUM_CHARS + 9 * 8); // slot 9: 3 extra bits, all aligned
    w.bits.put(0, 32);
    let err = decode(15, &[(w.take(), 20)]).unwrap_err();
    assert!(err.contains("aligned tree"), "{err}");
}

#[test]
fn pretree_runs_past_the_end_of_a_tree_are_errors() {
    let mut b = Bits::default();
    b.put(0, 1);
    b.put(1, 3);
    b.put(10, 24);
    for &l in &PRE {
        b.put(u32::from(l), 4);
    }
    let pre = canonical(&PRE);
    // Five runs of 51 zeros (255 lengths), then a run of 20: past 256.
    for _ in 0..5 {
        b.put(pre[18].0, pre[18].1);
        b.put(31, 5);
    }
    b.put(pre[18].0, pre[18].1);
    b.put(0, 5);
    b.put(0, 64);
    let err = decode(15, &[(b.take(), 10)]).unwrap_err();
    assert!(err.contains("passes the end"), "{err}");
}

#[test]
fn truncated_input_is_an_error_and_the_decoder_stays_failed() {
    let mut w = Writer::new(15, None);
    w.block_flat(4000, false);
    let text: Vec<u8> = (0..4000u32).map(|i| (i * 31 % 256) as u8).collect();
    w.toks(&lits(&text));
    let chunk = w.take();
    assert_eq!(decode(15, &[(chunk.clone(), 4000)]).unwrap(), text);
    for cut in [0, 1, 2, 3, 10, 100, chunk.len() / 2, chunk.len() - 2] {
        let err = decode(15, &[(chunk[..cut].to_vec(), 4000)]).unwrap_err();
        assert!(err.contains("truncated"), "cut {cut}: {err}");
    }
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    assert!(d.decode_block(&chunk[..100], 4000, &mut out).is_err());
    let err = d.decode_block(&chunk, 4000, &mut out).unwrap_err();
    assert!(err.contains("earlier block"), "{err}");
    // Uncompressed data cut short.
    let mut w = Writer::new(15, None);
    w.uncompressed(&text, [1, 1, 1], true);
    let chunk = w.take();
    let err = decode(15, &[(chunk[..chunk.len() - 1].to_vec(), 4000)]).unwrap_err();
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn bad_frame_sizes_and_windows() {
    assert!(LzxDecoder::new(14).is_err());
    assert!(LzxDecoder::new(22).is_err());
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    assert!(d.decode_block(&[0; 100], 0, &mut out).is_err());
    let mut d = LzxDecoder::new(15).unwrap();
    assert!(d.decode_block(&[0; 100], 32769, &mut out).is_err());
}

// ---------------------------------------------------------------------
// E8 translation.

/// The translation as the format describes it, written independently of
/// `e8_translate`: each frame of `frame_len` bytes (the last shorter), for
/// the first 32768 frames, when longer than 10 bytes.
fn e8_reference(data: &[u8], size: i32, frame_len: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    for (f, frame) in out.chunks_mut(frame_len).enumerate() {
        if frame.len() <= 10 || f >= 32768 {
            continue;
        }
        let base = (f * frame_len) as i64;
        let mut i = 0;
        while i + 10 < frame.len() {
            if frame[i] == 0xE8 {
                let cur = base + i as i64;
                let abs = i64::from(i32::from_le_bytes(frame[i + 1..i + 5].try_into().unwrap()));
                if abs >= -cur && abs < i64::from(size) {
                    let rel = if abs >= 0 {
                        abs - cur
                    } else {
                        abs + i64::from(size)
                    };
                    frame[i + 1..i + 5].copy_from_slice(&(rel as i32).to_le_bytes());
                }
                i += 5;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Stores `data` uncompressed (one block per frame) with an E8 header.
fn stored_with_e8(data: &[u8], size: u32, window_bits: u8) -> Vec<(Vec<u8>, usize)> {
    let mut w = Writer::new(window_bits, Some(size));
    data.chunks(MAX_FRAME)
        .map(|frame| {
            w.uncompressed(frame, [1, 1, 1], true);
            (w.take(), frame.len())
        })
        .collect()
}

fn call(op: i32) -> [u8; 5] {
    let o = op.to_le_bytes();
    [0xE8, o[0], o[1], o[2], o[3]]
}

#[test]
fn e8_operand_boundaries() {
    let size = 1_000_000i32;
    // The CALL at `at` in a 100-byte single frame; what its operand becomes.
    let cases: &[(usize, i32, i32)] = &[
        (20, 0, -20),    // absolute 0 -> -cur (lzxd wrote `size`)
        (20, 5, 5 - 20), // small positive
        (20, size - 1, size - 1 - 20),
        (20, size, size),      // not below size: unchanged
        (20, -20, -20 + size), // exactly -cur: translated
        (20, -21, -21),        // below -cur: unchanged
        (20, -1, size - 1),
        (0, 0, 0), // at position 0, -cur == 0
        (0, -1, -1),
        (89, 7, 7 - 89), // the last position translated (len - 11)
        (90, 7, 7),      // inside the last 10 bytes: untouched
        (95, 7, 7),
    ];
    for &(at, op, want) in cases {
        let mut data = vec![0u8; 100];
        data[at..at + 5].copy_from_slice(&call(op));
        let got = decode(15, &stored_with_e8(&data, size as u32, 15)).unwrap();
        let mut expected = data.clone();
        expected[at + 1..at + 5].copy_from_slice(&want.to_le_bytes());
        assert_eq!(got, expected, "CALL at {at} with operand {op}");
        assert_eq!(
            got,
            e8_reference(&data, size, MAX_FRAME),
            "reference, {at} {op}"
        );
    }
}

#[test]
fn e8_positions_count_from_the_start_of_the_folder() {
    // Second frame: cur = 32768 + offset.
    let mut data = vec![0x90u8; 32768 + 200];
    data[32768 + 50..32768 + 55].copy_from_slice(&call(0));
    data[32768 + 60..32768 + 65].copy_from_slice(&call(-(32768 + 60)));
    let size = 50_000i32;
    let got = decode(16, &stored_with_e8(&data, size as u32, 16)).unwrap();
    assert_eq!(
        &got[32768 + 51..32768 + 55],
        &(-(32768 + 50i32)).to_le_bytes()
    );
    assert_eq!(
        &got[32768 + 61..32768 + 65],
        &(size - (32768 + 60)).to_le_bytes()
    );
    assert_eq!(got, e8_reference(&data, size, MAX_FRAME));
}

#[test]
fn e8_skips_short_frames_zero_size_and_overlapping_calls() {
    // A last frame of 10 bytes is not translated.
    let mut data = vec![0u8; 32768 + 10];
    data[32768..32768 + 5].copy_from_slice(&call(0));
    let got = decode(15, &stored_with_e8(&data, 1000, 15)).unwrap();
    assert_eq!(got, data);
    // Size 0 in the header means no translation.
    let mut data = vec![0u8; 100];
    data[20..25].copy_from_slice(&call(3));
    let got = decode(15, &stored_with_e8(&data, 0, 15)).unwrap();
    assert_eq!(got, data);
    // E8 E8 ...: the second E8 is part of the first's operand.
    let mut data = vec![0u8; 100];
    data[20..26].copy_from_slice(&[0xE8, 0xE8, 0, 0, 0, 0xE8]);
    let got = decode(15, &stored_with_e8(&data, 1 << 20, 15)).unwrap();
    assert_eq!(got, e8_reference(&data, 1 << 20, MAX_FRAME));
    assert_eq!(&got[21..25], &(0xE8 - 20i32).to_le_bytes());
}

#[test]
fn e8_translation_stops_after_the_first_32768_frames() {
    let mut data = vec![0u8; 100];
    data[20..25].copy_from_slice(&call(30));
    let chunks = stored_with_e8(&data, 1 << 30, 15);
    let mut out = Vec::new();
    let mut d = LzxDecoder::new(15).unwrap();
    d.decode_block(&chunks[0].0, 100, &mut out).unwrap();
    assert_eq!(&out[21..25], &10i32.to_le_bytes());
    // Pretend 32767 or 32768 frames of 32 KiB went before (a stream without
    // the E8 header, which was read then): the stream offset is what the
    // translation uses, the frame count what stops it.
    let mut w = Writer::new(15, None);
    w.bits = Bits::default();
    w.uncompressed(&data, [1, 1, 1], true);
    let chunk = w.take();
    for frames in [32767u64, 32768] {
        let mut d = LzxDecoder::new(15).unwrap();
        d.header_read = true;
        d.e8_size = 1 << 30;
        d.frames = frames;
        d.total = frames * 32768;
        let cur = (frames * 32768 + 20) as i64;
        d.decode_block(&chunk, 100, &mut out).unwrap();
        let op = i32::from_le_bytes(out[21..25].try_into().unwrap());
        let want = if frames < 32768 {
            (30 - cur) as i32
        } else {
            30
        };
        assert_eq!(op, want, "after {frames} frames");
    }
}

#[test]
fn e8_translates_a_copy_and_keeps_the_window_raw() {
    // A CALL, then a match copying it 50 bytes later: each copy is
    // translated against its own position.
    let mut w = Writer::new(15, Some(1 << 20));
    let mut toks = lits(&call(1000));
    toks.extend(lits(&[0x90; 45]));
    toks.push(Tok::Far(5, 50));
    toks.extend(lits(&[0x90; 50]));
    w.block_flat(105, false);
    w.toks(&toks);
    let got = decode(15, &[(w.take(), 105)]).unwrap();
    assert_eq!(&got[1..5], &1000i32.to_le_bytes());
    assert_eq!(&got[51..55], &(1000i32 - 50).to_le_bytes());
}

// ---------------------------------------------------------------------
// Streams from lzxc.

fn lzxc_window(bits: u8) -> lzxc::WindowSize {
    use lzxc::WindowSize::*;
    [KB32, KB64, KB128, KB256, KB512, MB1, MB2][usize::from(bits - 15)]
}

fn lzxc_encode(
    data: &[u8],
    window_bits: u8,
    strategy: lzxc::Strategy,
    e8: Option<u32>,
    spanning: bool,
) -> Vec<(Vec<u8>, usize)> {
    let mut enc = lzxc::Encoder::new(lzxc_window(window_bits)).with_strategy(strategy);
    if let Some(size) = e8 {
        enc.set_e8_translation(size);
    }
    let lens = data.chunks(MAX_FRAME).map(<[u8]>::len);
    if spanning {
        enc.encode_stream(data).into_iter().zip(lens).collect()
    } else {
        data.chunks(MAX_FRAME)
            .map(|c| (enc.encode_chunk(c), c.len()))
            .collect()
    }
}

/// Text with repeats plus a stretch of noise, `len` bytes.
fn mixed(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rand(seed);
    let words: [&[u8]; 6] = [
        b"<Update RevisionId=\"",
        b"\" UpdateId=\"",
        b"<Prerequisites>",
        b"</Update>\n",
        b"IsBundle=\"true\" ",
        b"DeploymentAction=\"Bundle\"",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.below(10) == 0 {
            for _ in 0..rng.below(200) {
                out.push(rng.next() as u8);
            }
        } else {
            out.extend_from_slice(words[rng.below(words.len())]);
            out.extend_from_slice(format!("{}", rng.next() % 100000).as_bytes());
        }
    }
    out.truncate(len);
    out
}

#[test]
fn lzxc_streams_every_window_and_strategy() {
    use lzxc::Strategy::*;
    let data = mixed(3 * MAX_FRAME + 1001, 3);
    for window_bits in 15..=21 {
        for strategy in [Optimal, LiteralOnly, Uncompressed] {
            let chunks = lzxc_encode(&data, window_bits, strategy, None, false);
            let mut d = LzxDecoder::new(window_bits).unwrap();
            let got = decode_with(&mut d, &chunks).unwrap();
            assert!(got == data, "window {window_bits} {strategy:?}");
            let seen = d.blocks_seen;
            match strategy {
                Uncompressed => assert_eq!(seen, [0, 0, 0, 4], "{strategy:?}"),
                LiteralOnly => assert!(seen[1] > 0 && seen[2] == 0, "{seen:?}"),
                Optimal => assert!(seen[1] + seen[2] > 0, "{seen:?}"),
            }
        }
    }
}

#[test]
fn lzxc_aligned_blocks_and_spanning_blocks() {
    // Records of 8 bytes copied from other records: offsets whose low three
    // bits repeat, which aligned offset blocks code cheaply.
    let mut rng = Rand(11);
    let mut data: Vec<u8> = Vec::new();
    while data.len() < 5 * MAX_FRAME {
        if data.len() < 4096 || rng.below(4) == 0 {
            data.extend_from_slice(&rng.next().to_le_bytes());
        } else {
            let from = 8 * rng.below(data.len() / 8);
            let rec: [u8; 8] = data[from..from + 8].try_into().unwrap();
            data.extend_from_slice(&rec);
        }
    }
    for spanning in [false, true] {
        let chunks = lzxc_encode(&data, 17, lzxc::Strategy::Optimal, None, spanning);
        let mut d = LzxDecoder::new(17).unwrap();
        let got = decode_with(&mut d, &chunks).unwrap();
        assert!(got == data, "spanning {spanning}");
        assert!(
            d.blocks_seen[2] > 0,
            "no aligned block: {:?}",
            d.blocks_seen
        );
        if spanning {
            let blocks: usize = d.blocks_seen.iter().sum();
            assert!(
                blocks < chunks.len(),
                "no block spans chunks: {:?}",
                d.blocks_seen
            );
        }
    }
}

/// x86-like bytes: opcodes with many CALLs (E8) whose operands point all
/// over, avoiding what lzxc's E8 encoder gets wrong against libmspack's
/// decoder (an operand equal to the translation size, a call to absolute 0
/// from past position 0, an E8 inside an operand it left alone, positions
/// past the translation size); the hand-made tests above cover those.
fn x86_like(len: usize, size: i32, seed: u64) -> Vec<u8> {
    let mut rng = Rand(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        match rng.below(6) {
            0 | 1 => {
                let cur = out.len() as i32;
                let op = match rng.below(4) {
                    0 => rng.below(64) as i32 - 32,
                    1 => rng.below(size as usize) as i32 - cur,
                    2 => size - cur + rng.below(8) as i32 - 4,
                    _ => rng.next() as i32,
                };
                // lzxc skips one byte after an E8 it leaves alone where
                // decoders skip five, so no 0xE8 inside operands either.
                if op == size || (op == -cur && cur > 0) || op.to_le_bytes().contains(&0xE8) {
                    continue;
                }
                out.extend_from_slice(&call(op));
            }
            2 => out.extend_from_slice(&[0x55, 0x8B, 0xEC]),
            3 => out.extend_from_slice(&[0x8B, 0x45, 0x08, 0xC3]),
            _ => out.push(match rng.next() as u8 {
                0xE8 => 0x90,
                b => b,
            }),
        }
    }
    out.truncate(len);
    out
}

#[test]
fn lzxc_e8_round_trip() {
    let size = 1 << 20;
    let data = x86_like(4 * MAX_FRAME + 777, size, 21);
    for (window_bits, strategy) in [
        (15, lzxc::Strategy::Optimal),
        (17, lzxc::Strategy::LiteralOnly),
        (21, lzxc::Strategy::Uncompressed),
    ] {
        let chunks = lzxc_encode(&data, window_bits, strategy, Some(size as u32), false);
        let got = decode(window_bits, &chunks).unwrap();
        assert!(got == data, "window {window_bits} {strategy:?}");
    }
}

#[test]
fn e8_on_stored_x86_bytes_matches_the_reference() {
    // Store x86-like bytes as they are (no encoder-side translation), past
    // the translation size too: the decoder's translation must equal the
    // reference's.
    let size = 70_000;
    let mut with_zero = x86_like(3 * MAX_FRAME + 500, size, 4);
    for at in [100, 40000, 70000] {
        with_zero[at - 10..at].fill(0x90);
        with_zero[at..at + 5].copy_from_slice(&call(0));
    }
    let chunks = stored_with_e8(&with_zero, size as u32, 16);
    let got = decode(16, &chunks).unwrap();
    assert_eq!(got, e8_reference(&with_zero, size, MAX_FRAME));
    assert_eq!(&got[101..105], &(-100i32).to_le_bytes());
}

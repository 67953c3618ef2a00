//! Round trips through wsuscat's decoder on inputs of many shapes and every
//! window, with the encoder's and decoder's counters (blocks written,
//! repeated offsets, block types read) in view.
//!
//! Inputs are made here: cab/ sits below the catalog generator and may not
//! use it. The round trips of generated package.xml (whole, cut at frame and
//! block boundaries, and longer than the window) are in
//! `tests/it/lzx_encode.rs`.

use super::*;
use crate::cab::lzx::LzxDecoder;

/// SplitMix64, as the generator's `Rng` (same seeds, same bytes), so the
/// inputs below are what they were when these tests used it.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// (frames, blocks written, repeated-offset matches).
fn encode(data: &[u8], window_bits: u8) -> (Vec<(Vec<u8>, usize)>, usize, usize) {
    let mut e = LzxEncoder::new(window_bits);
    let mut frames = Vec::new();
    for chunk in data.chunks(MAX_FRAME) {
        frames.extend(e.push_frame(chunk));
    }
    let (blocks, reps) = (e.blocks_written, e.matcher.rep_matches);
    frames.append(&mut e.finish());
    // `blocks` counts the blocks written before finish().
    (frames, blocks, reps)
}

fn decode(frames: &[(Vec<u8>, usize)], window_bits: u8) -> Vec<u8> {
    let mut d = LzxDecoder::new(window_bits).unwrap();
    let mut all = Vec::new();
    let mut out = Vec::new();
    for (i, (input, len)) in frames.iter().enumerate() {
        assert!(
            input.len() <= crate::cab::MAX_BLOCK_COMPRESSED,
            "frame {i}: {} bytes",
            input.len()
        );
        assert_eq!(input.len() % 2, 0, "frame {i} is not 16-bit aligned");
        d.decode_block(input, *len, &mut out)
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        all.extend_from_slice(&out);
    }
    assert_eq!(d.blocks_seen[2] + d.blocks_seen[3], 0, "verbatim only");
    all
}

fn round_trip(name: &str, data: &[u8], window_bits: u8) -> usize {
    let (frames, _, _) = encode(data, window_bits);
    assert_eq!(
        frames.iter().map(|f| f.1).collect::<Vec<_>>(),
        data.chunks(MAX_FRAME).map(<[u8]>::len).collect::<Vec<_>>(),
        "{name}: one frame per 32 KiB of input"
    );
    let got = decode(&frames, window_bits);
    assert!(got == data, "{name} window {window_bits}: output differs");
    frames.iter().map(|f| f.0.len()).sum()
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn shapes_round_trip_in_every_window() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("one byte", b"x".to_vec()),
        ("two bytes", b"xy".to_vec()),
        ("five equal bytes", vec![7; 5]),
        ("zeros", vec![0; 100_000]),
        ("random", random(70_000, 1)),
        ("period 3", b"abc".repeat(40_000)),
        ("all bytes", (0..=255u8).cycle().take(300_000).collect()),
    ];
    for window_bits in 15..=21 {
        for (name, data) in &cases {
            round_trip(name, data, window_bits);
        }
    }
}

#[test]
fn random_then_text_in_one_block_stays_within_cfdata_limits() {
    // Seven frames of random printable text, then one of random bytes
    // above 0x7F: trees fitted to the whole block would give those bytes
    // about 10-bit codes, 40 KB for the frame, more than a CFDATA block
    // holds. That frame must get a block of its own.
    let mut data: Vec<u8> = random(7 * MAX_FRAME, 9)
        .iter()
        .map(|b| 0x20 + b % 95)
        .collect();
    data.extend(random(MAX_FRAME, 10).iter().map(|b| b | 0x80));
    round_trip("mixed", &data, 17);
    let (_, blocks, _) = encode(&data, 17);
    assert!(blocks > 1, "the mixed block was split: {blocks}");
}

#[test]
fn repeated_offsets_are_used_and_blocks_span_frames() {
    // Records of equal length: the distance to the previous record comes
    // back at every field.
    let mut data = Vec::new();
    let mut rng = Rng::new(4);
    while data.len() < 10 * MAX_FRAME - 32 {
        data.extend_from_slice(
            format!(
                "<R a=\"{:03}\" b=\"x\" c=\"{:03}\" d=\"y\"/>",
                rng.below(1000),
                rng.below(1000)
            )
            .as_bytes(),
        );
    }
    let (frames, blocks, reps) = encode(&data, 16);
    assert!(reps > 500, "{reps} repeated-offset matches");
    assert_eq!(blocks, 1, "the first block is out after eight frames");
    assert_eq!(frames.len(), 10);
    let mut d = LzxDecoder::new(16).unwrap();
    let mut out = Vec::new();
    for (input, len) in &frames {
        d.decode_block(input, *len, &mut out).unwrap();
    }
    // Ten frames in two blocks: the first spans eight frames.
    assert_eq!(d.blocks_seen[1], 2, "{:?}", d.blocks_seen);
}

#[test]
#[should_panic(expected = "only the last frame")]
fn a_short_frame_must_be_the_last() {
    let mut e = LzxEncoder::new(15);
    e.push_frame(b"short");
    e.push_frame(b"more");
}

#[test]
fn generated_inputs_with_repeats_at_every_distance_round_trip() {
    // Copies from anywhere behind (near, far, overlapping, across frames),
    // runs and noise: the matcher's and the repeated offsets' edge cases.
    for case in 0..60u64 {
        let mut rng = Rng::new(case);
        let window_bits = 15 + (case % 7) as u8;
        let len = rng.below(6 * MAX_FRAME as u64) as usize;
        let mut data: Vec<u8> = Vec::with_capacity(len);
        while data.len() < len {
            match rng.below(4) {
                0 | 1 if !data.is_empty() => {
                    let dist = 1 + rng.below(data.len().min(1 << window_bits) as u64) as usize;
                    let n = 2 + rng.below(300) as usize;
                    for _ in 0..n {
                        data.push(data[data.len() - dist]);
                    }
                }
                2 => data.extend(std::iter::repeat_n(
                    rng.next_u64() as u8,
                    rng.below(40) as usize,
                )),
                _ => {
                    for _ in 0..rng.below(64) {
                        data.push(rng.next_u64() as u8 % 8);
                    }
                }
            }
        }
        data.truncate(len);
        round_trip(&format!("case {case}"), &data, window_bits);
    }
}

#[test]
fn e8_translation_is_off_and_e8_bytes_come_back_untouched() {
    // CALL opcodes (0xE8) with operands of every kind: a decoder told that
    // translation is on would rewrite them.
    let mut rng = Rng::new(88);
    let mut data = Vec::new();
    while data.len() < 3 * MAX_FRAME {
        data.push(0xE8);
        data.extend_from_slice(&(rng.next_u64() as i32 % 100_000).to_le_bytes());
        data.push(rng.next_u64() as u8);
    }
    let (frames, _, _) = encode(&data, 17);
    // The header bit is the first bit of the stream: the top bit of the
    // first little-endian word.
    assert_eq!(frames[0].0[1] & 0x80, 0, "E8 header bit set");
    round_trip("e8", &data, 17);
}

fn encode_skipping(data: &[u8], window_bits: u8) -> Vec<(Vec<u8>, usize)> {
    let mut e = LzxEncoder::new(window_bits);
    e.skip_misses(true);
    let mut frames = Vec::new();
    for chunk in data.chunks(MAX_FRAME) {
        frames.extend(e.push_frame(chunk));
    }
    frames.append(&mut e.finish());
    frames
}

/// skip_misses (the outer cabinet of the real-volume generator): random
/// input, then text that repeats it and itself, round-trips; on text alone
/// the output is the same bytes as without it, since text has no long
/// runs without a match.
#[test]
fn skipping_misses_round_trips_and_leaves_text_alone() {
    let noise = random(300_000, 9);
    let text: Vec<u8> = (0..4000)
        .flat_map(|i| {
            format!(
                "<b.FileVersion Path=\"f{}.dll\" Version=\"10.0.{}\" />",
                i % 97,
                i % 13
            )
            .into_bytes()
        })
        .collect();
    let mut mixed = noise.clone();
    mixed.extend_from_slice(&text);
    mixed.extend_from_slice(&noise[..50_000]);
    for window_bits in [15, 17, 21] {
        let got = decode(&encode_skipping(&mixed, window_bits), window_bits);
        assert!(got == mixed, "window {window_bits}: output differs");
    }
    let plain: Vec<Vec<u8>> = encode(&text, 21).0.into_iter().map(|f| f.0).collect();
    let skipping: Vec<Vec<u8>> = encode_skipping(&text, 21)
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(
        plain == skipping,
        "text is coded the same with and without skipping"
    );
}

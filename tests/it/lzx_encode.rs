//! wsuscat's LZX encoder (`wsuscat::cab::lzx::encode`, used by the cabinet
//! writer and so by the generator) against the decoders of others: every
//! cabinet it writes must extract byte-identically with cabextract, and
//! with lzxd under `--features lzxd-compare`.

use std::io::Cursor;

use crate::common::lzx::lzx_folders;
use crate::common::*;
use wsuscat::cab::lzx::encode::LzxEncoder;
use wsuscat::cab::lzx::{LzxDecoder, MAX_FRAME};
use wsuscat::cab::writer::CabBuilder;
use wsuscat::cab::{Cabinet, Compression, MAX_BLOCK_COMPRESSED};
use wsuscat::commands::generate::{model, rng::Rng, xml, XmlStyle};

fn package_xml(updates: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let truth = model::build(&mut rng, updates, &[], "2026-05-12T08:51:08Z");
    xml::package_xml(&truth, &mut rng, &XmlStyle::default())
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// Members of many shapes; together they cross frame, LZX block and (for
/// the small windows) window boundaries.
fn members() -> Vec<(String, Vec<u8>)> {
    let xml = package_xml(1200, 11);
    let frame = 32768;
    let mut out = vec![
        ("empty".to_string(), Vec::new()),
        ("one".to_string(), b"x".to_vec()),
        ("random".to_string(), random(100_000, 2)),
        ("zeros".to_string(), vec![0; 70_000]),
        ("period7".to_string(), b"<a b=c>".repeat(30_000)),
        ("xml".to_string(), xml.clone()),
    ];
    for (i, size) in [frame - 1, frame, frame + 1, 8 * frame - 3, 8 * frame + 5]
        .into_iter()
        .enumerate()
    {
        out.push((format!("boundary{i}"), xml[xml.len() - size..].to_vec()));
    }
    out
}

/// One cabinet per window: all members in one LZX folder, then the same
/// members again in a second LZX folder (a fresh encoder).
fn cabinet(window_bits: u8, members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = CabBuilder::new();
    for folder in 0..2 {
        b.add_folder(Compression::Lzx { window_bits });
        for (name, data) in members {
            b.add_file(&format!("f{folder}\\{name}"), data);
        }
    }
    b.finish()
}

#[test]
fn every_window_extracts_byte_identically_with_cabextract() {
    if !have_tool("cabextract") {
        return;
    }
    let members = members();
    let want: Vec<u8> = [members.concat_all(), members.concat_all()].concat();
    for window_bits in 15..=21 {
        let cab = cabinet(window_bits, &members);
        let (_dir, path) = temp_file("lzx.cab", &cab);
        let got = cabextract_p(&path)
            .unwrap_or_else(|| panic!("cabextract rejects the LZX:{window_bits} cabinet"));
        assert!(
            got == want,
            "LZX:{window_bits}: cabextract's output differs ({} vs {} bytes)",
            got.len(),
            want.len()
        );
        // And wsuscat's own reader, member by member.
        let parsed = Cabinet::parse(&mut Cursor::new(&cab)).unwrap();
        let mut ours = Vec::new();
        parsed
            .stream_members(
                || Ok(Cursor::new(&cab[..])),
                |_| true,
                |_, data| {
                    ours.push(data);
                    Ok(())
                },
            )
            .unwrap();
        assert!(ours.concat() == want, "LZX:{window_bits}: wsuscat differs");
    }
}

#[test]
fn a_generated_catalog_extracts_with_cabextract_at_every_level() {
    if !have_tool("cabextract") {
        return;
    }
    let generated = wsuscat::commands::generate::generate(&wsuscat::commands::generate::Spec {
        seed: 3,
        updates: 3000,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let outer = dir.path().join("wsusscn2.cab");
    std::fs::write(&outer, &generated.cab).unwrap();
    let out = std::process::Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(dir.path().join("x"))
        .arg(&outer)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = cabextract_p(&dir.path().join("x/package.cab")).expect("package.cab extracts");
    assert!(xml == generated.package_xml, "package.xml differs");
    for (name, _) in &generated.truth.shards {
        assert!(
            cabextract_p(&dir.path().join("x").join(name)).is_some(),
            "{name} does not extract"
        );
    }
}

#[cfg(feature = "lzxd-compare")]
#[test]
fn lzxd_decodes_every_window() {
    let members = members();
    let want: Vec<u8> = [members.concat_all(), members.concat_all()].concat();
    for window_bits in 15..=21 {
        let cab = cabinet(window_bits, &members);
        let mut got = Vec::new();
        for folder in lzx_folders(&cab) {
            let w = [
                lzxd::WindowSize::KB32,
                lzxd::WindowSize::KB64,
                lzxd::WindowSize::KB128,
                lzxd::WindowSize::KB256,
                lzxd::WindowSize::KB512,
                lzxd::WindowSize::MB1,
                lzxd::WindowSize::MB2,
            ][usize::from(window_bits - 15)];
            let mut d = lzxd::Lzxd::new(w);
            for (input, len) in &folder.blocks {
                got.extend_from_slice(d.decompress_next(input, *len).unwrap());
            }
        }
        assert!(got == want, "LZX:{window_bits}: lzxd's output differs");
    }
}

#[test]
fn the_folder_blocks_are_lzx_frames_of_32_kib() {
    let members = members();
    let cab = cabinet(17, &members);
    let folders = lzx_folders(&cab);
    assert_eq!(folders.len(), 2);
    let total: usize = members.iter().map(|m| m.1.len()).sum();
    for f in &folders {
        assert_eq!(f.output_len(), total);
        let (last, rest) = f.blocks.split_last().unwrap();
        assert!(rest.iter().all(|b| b.1 == 32768));
        assert!(last.1 <= 32768 && last.1 > 0);
    }
}

trait ConcatAll {
    fn concat_all(&self) -> Vec<u8>;
}

impl ConcatAll for [(String, Vec<u8>)] {
    fn concat_all(&self) -> Vec<u8> {
        self.iter().flat_map(|m| m.1.iter().copied()).collect()
    }
}

// Round trips of generated package.xml through wsuscat's own encoder and
// decoder. They were unit tests of the encoder; they live here because
// cab/ may not use the generator, which sits above it.

/// The encoder's LZX block length, in frames (`encode::FRAMES_PER_BLOCK`).
const FRAMES_PER_BLOCK: usize = 8;

/// Encodes `data` frame by frame and decodes it back, checking that every
/// frame fits a CFDATA block, ends on a 16-bit boundary and that every block
/// is verbatim. Returns the compressed size.
fn round_trip(name: &str, data: &[u8], window_bits: u8) -> usize {
    let mut e = LzxEncoder::new(window_bits);
    let mut frames = Vec::new();
    for chunk in data.chunks(MAX_FRAME) {
        frames.extend(e.push_frame(chunk));
    }
    frames.append(&mut e.finish());
    assert_eq!(
        frames.iter().map(|f| f.1).collect::<Vec<_>>(),
        data.chunks(MAX_FRAME).map(<[u8]>::len).collect::<Vec<_>>(),
        "{name}: one frame per 32 KiB of input"
    );
    let mut d = LzxDecoder::new(window_bits).unwrap();
    let mut got = Vec::new();
    let mut out = Vec::new();
    for (i, (input, len)) in frames.iter().enumerate() {
        assert!(
            input.len() <= MAX_BLOCK_COMPRESSED,
            "frame {i}: {} bytes",
            input.len()
        );
        assert_eq!(input.len() % 2, 0, "frame {i} is not 16-bit aligned");
        d.decode_block(input, *len, &mut out)
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        got.extend_from_slice(&out);
    }
    let types = block_types(&frames);
    assert_eq!(types.is_empty(), data.is_empty(), "{name}: block headers");
    assert!(types.iter().all(|&t| t == 1), "verbatim only: {types:?}");
    assert!(got == data, "{name} window {window_bits}: output differs");
    frames.iter().map(|f| f.0.len()).sum()
}

/// The types of the LZX blocks in an encoder's frames, read from their
/// headers. The encoder starts every block at a frame (after the stream's
/// one-bit E8 header in the first), so a header sits at a frame's start
/// whenever the block before it is used up.
fn block_types(frames: &[(Vec<u8>, usize)]) -> Vec<u32> {
    let mut types = Vec::new();
    let mut left = 0usize;
    for (i, (bytes, len)) in frames.iter().enumerate() {
        if left == 0 {
            let at = usize::from(i == 0);
            types.push(bits(bytes, at, 3));
            left = bits(bytes, at + 3, 24) as usize;
        }
        left = left
            .checked_sub(*len)
            .unwrap_or_else(|| panic!("frame {i} runs past its block"));
    }
    types
}

/// `n` bits from bit `at` on, in LZX order: 16-bit little-endian words,
/// most significant bit first.
fn bits(bytes: &[u8], at: usize, n: usize) -> u32 {
    (at..at + n).fold(0, |v, k| {
        let word = u16::from_le_bytes([bytes[k / 16 * 2], bytes[k / 16 * 2 + 1]]);
        (v << 1) | u32::from((word >> (15 - k % 16)) & 1)
    })
}

#[test]
fn generated_xml_round_trips_in_every_window_whole_and_cut_at_frame_and_block_ends() {
    let xml = package_xml(400, 3);
    let mut cases: Vec<(&str, Vec<u8>)> = vec![("xml", xml.clone())];
    for size in [
        MAX_FRAME - 1,
        MAX_FRAME,
        MAX_FRAME + 1,
        FRAMES_PER_BLOCK * MAX_FRAME - 1,
        FRAMES_PER_BLOCK * MAX_FRAME,
        FRAMES_PER_BLOCK * MAX_FRAME + 1,
    ] {
        cases.push(("boundary", xml[..size].to_vec()));
    }
    for window_bits in 15..=21 {
        for (name, data) in &cases {
            round_trip(name, data, window_bits);
        }
    }
}

#[test]
fn text_longer_than_the_window_uses_only_the_window() {
    // 2 MB of XML through a 32 KiB window: matches must stay inside it,
    // and the matcher's buffer slides many times.
    let xml = package_xml(2500, 5);
    assert!(xml.len() > 60 * (1 << 15));
    let small = round_trip("xml", &xml, 15);
    let large = round_trip("xml", &xml, 21);
    assert!(
        large < small,
        "a larger window finds more: {large} vs {small}"
    );
    assert!(
        small * 3 < xml.len(),
        "text compresses: {small} of {}",
        xml.len()
    );
}

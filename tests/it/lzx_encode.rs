//! wsuscat's LZX encoder (`wsuscat::cab::lzx::encode`, used by the cabinet
//! writer and so by the generator) against the decoders of others: every
//! cabinet it writes must extract byte-identically with cabextract, and
//! with lzxd under `--features lzxd-compare`.

use std::io::Cursor;

use crate::common::lzx::lzx_folders;
use crate::common::*;
use wsuscat::cab::writer::CabBuilder;
use wsuscat::cab::{Cabinet, Compression};
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

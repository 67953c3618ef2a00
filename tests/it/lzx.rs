//! wsuscat's LZX decoder (`wsuscat::cab::lzx`) against cabextract on every
//! LZX cabinet of the corpus, against its input on lzxc-made streams, and
//! against damage: mutated streams must give errors, never panics or hangs.

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::lzx::{lzx_folders, LzxFolder};
use crate::common::*;
use wsuscat::cab::lzx::LzxDecoder;
use wsuscat::cab::{Cabinet, Compression};
use wsuscat::commands::generate::{model, rng::Rng, xml, XmlStyle};

/// The members of `path` that sit in LZX folders, as wsuscat reads them,
/// in file-table order; or the error.
fn ours(bytes: &[u8], cab: &Cabinet) -> Result<Vec<Vec<u8>>, wsuscat::Error> {
    let in_lzx = |folder: u16| {
        matches!(
            cab.folders.get(usize::from(folder)).map(|f| f.compression),
            Some(Compression::Lzx { .. })
        )
    };
    let mut got = Vec::new();
    cab.stream_members(
        || Ok(Cursor::new(bytes)),
        |f| in_lzx(f.folder),
        |f, data| {
            got.push((f.clone(), data));
            Ok(())
        },
    )?;
    Ok(cab
        .files
        .iter()
        .filter(|f| in_lzx(f.folder))
        .map(|f| {
            got.iter()
                .find(|(m, _)| m == f)
                .map(|(_, d)| d.clone())
                .expect("every member streamed")
        })
        .collect())
}

/// cabextract's members in LZX folders (it writes every member in
/// file-table order with `-p`), or None when it fails.
fn theirs(path: &Path, cab: &Cabinet) -> Option<Vec<Vec<u8>>> {
    let stdout = cabextract_p(path)?;
    let mut at = 0;
    let mut members = Vec::new();
    for f in &cab.files {
        let end = at + f.size as usize;
        let bytes = stdout.get(at..end).expect("cabextract wrote every member");
        if let Some(Compression::Lzx { .. }) = cab
            .folders
            .get(usize::from(f.folder))
            .map(|f| f.compression)
        {
            members.push(bytes.to_vec());
        }
        at = end;
    }
    Some(members)
}

#[test]
fn every_lzx_cabinet_in_the_corpus_decodes_as_cabextract_decodes_it() {
    let Some(dir) = corpus() else { return };
    if !have_tool("cabextract") {
        return;
    }
    let mut files = files_with_ext(&dir, "cab");
    files.extend(files_with_ext(&dir, "ex_"));
    let (mut same, mut both_failed) = (0, 0);
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let bytes = std::fs::read(path).unwrap();
        let Ok(cab) = Cabinet::parse(&mut Cursor::new(&bytes)) else {
            continue;
        };
        if !cab
            .folders
            .iter()
            .any(|f| matches!(f.compression, Compression::Lzx { .. }))
        {
            continue;
        }
        let mine = std::panic::catch_unwind(|| ours(&bytes, &cab))
            .unwrap_or_else(|_| panic!("{rel}: wsuscat panicked"));
        match (mine, theirs(path, &cab)) {
            (Ok(a), Some(b)) if a == b => same += 1,
            (Ok(_), Some(_)) => problems.push(format!("{rel}: bytes differ from cabextract")),
            (Err(_), None) => both_failed += 1,
            (Ok(_), None) => problems.push(format!("{rel}: cabextract fails, wsuscat reads it")),
            (Err(e), Some(_)) => problems.push(format!("{rel}: cabextract reads it, wsuscat: {e}")),
        }
        checked.push(rel);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("LZX corpus: {same} identical, {both_failed} rejected by both");
    for must in [
        "libarchive/test_read_format_cab_lzx_e8.cab",
        "generated/e8zero-lzx15.cab",
        "libarchive/test_read_format_cab_lzx_invalid_history.cab",
        "generated/synthetic-package-1mb-lzx21.cab",
        "libmspack/cabextract-cabs/large-files-cab.cab",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} was not compared");
    }
    assert!(same >= 8 && both_failed >= 3, "{same} {both_failed}");
}

#[test]
fn e8_operand_zero_and_match_before_the_window_start() {
    let Some(dir) = corpus() else { return };
    // e8zero.bin: 5000 'A's with CALLs to absolute 0 at 1234 and 3000,
    // stored as operand 0 (md5 a003a7329b6d70564a0c222db1fde44d).
    let bytes = std::fs::read(dir.join("generated/e8zero-lzx15.cab")).unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let got = ours(&bytes, &cab).unwrap().remove(0);
    let mut want = vec![b'A'; 5000];
    for at in [1234usize, 3000] {
        want[at] = 0xE8;
        want[at + 1..at + 5].copy_from_slice(&(-(at as i32)).to_le_bytes());
    }
    assert!(got == want, "e8zero.bin decodes wrongly");
    if Command::new("md5sum").arg("--version").output().is_ok() {
        let mut child = Command::new("md5sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), &got).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("a003a7329b6d70564a0c222db1fde44d")
        );
    }
    let bytes =
        std::fs::read(dir.join("libarchive/test_read_format_cab_lzx_invalid_history.cab")).unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let err = ours(&bytes, &cab).unwrap_err();
    assert_eq!(err.kind(), wsuscat::ErrorKind::Decompress, "{err}");
    assert!(err.to_string().contains("before the start"), "{err}");
}

// ---------------------------------------------------------------------
// lzxc-made streams.

fn lzxc_window(bits: u8) -> lzxc::WindowSize {
    use lzxc::WindowSize::*;
    [KB32, KB64, KB128, KB256, KB512, MB1, MB2][usize::from(bits - 15)]
}

fn encode(data: &[u8], window_bits: u8, strategy: lzxc::Strategy, spanning: bool) -> LzxFolder {
    let mut enc = lzxc::Encoder::new(lzxc_window(window_bits)).with_strategy(strategy);
    let lens = data.chunks(32768).map(<[u8]>::len);
    let blocks = if spanning {
        enc.encode_stream(data).into_iter().zip(lens).collect()
    } else {
        data.chunks(32768)
            .map(|c| (enc.encode_chunk(c), c.len()))
            .collect()
    };
    LzxFolder {
        window_bits,
        blocks,
    }
}

fn decode(folder: &LzxFolder) -> Result<Vec<u8>, String> {
    let mut d = LzxDecoder::new(folder.window_bits)?;
    let mut all = Vec::new();
    let mut out = Vec::new();
    for (input, len) in &folder.blocks {
        d.decode_block(input, *len, &mut out)?;
        all.extend_from_slice(&out);
    }
    Ok(all)
}

fn package_xml(updates: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let truth = model::build(&mut rng, updates, &[], "2026-05-12T08:51:08Z");
    xml::package_xml(&truth, &mut rng, &XmlStyle::default())
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn lzxc_streams_of_random_and_xml_data_decode_to_their_input() {
    use lzxc::Strategy::*;
    let xml = package_xml(300, 5);
    let sizes = [1, 2, 10, 11, 1000, 32767, 32768, 32769, 65536 + 3, 150_000];
    let mut cases = 0;
    for (i, &size) in sizes.iter().enumerate() {
        for (kind, data) in [
            ("xml", xml[..size.min(xml.len())].to_vec()),
            ("random", random(size, i as u64)),
        ] {
            for strategy in [Optimal, LiteralOnly, Uncompressed] {
                // Every window for the small inputs; a rotating pair for the
                // larger ones (lzxc's optimal parser is slow).
                let windows: Vec<u8> = if size <= 32769 {
                    (15..=21).collect()
                } else {
                    vec![15 + (i % 7) as u8, 21 - (i % 7) as u8]
                };
                for w in windows {
                    for spanning in [false, true] {
                        let folder = encode(&data, w, strategy, spanning);
                        let got = decode(&folder).unwrap_or_else(|e| {
                            panic!("{kind} {size} window {w} {strategy:?} spanning {spanning}: {e}")
                        });
                        assert!(
                            got == data,
                            "{kind} {size} window {w} {strategy:?} spanning {spanning}"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    eprintln!("{cases} lzxc streams decoded");
}

// ---------------------------------------------------------------------
// Damage.

/// A mutated copy of a folder: bit flips, random bytes, truncation,
/// changed output sizes, dropped or swapped blocks, or garbage blocks.
fn mutate(folder: &LzxFolder, rng: &mut Rng) -> LzxFolder {
    let mut blocks = folder.blocks.clone();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let b = rng.below(blocks.len() as u64) as usize;
        let other = rng.below(blocks.len() as u64) as usize;
        if rng.below(8) == 5 {
            blocks.swap(b, other);
            continue;
        }
        let (data, len) = &mut blocks[b];
        match rng.below(8) {
            0 | 1 if !data.is_empty() => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(data.len() as u64) as usize;
                    data[i] ^= 1 << rng.below(8);
                }
            }
            2 if !data.is_empty() => {
                // Damage near the start, where the block headers and trees are.
                let i = rng.below(data.len().min(64) as u64) as usize;
                data[i] = rng.next_u64() as u8;
            }
            3 => {
                let keep = rng.below(data.len() as u64 + 1) as usize;
                data.truncate(keep);
            }
            4 => {
                *len = 1 + rng.below(32768) as usize;
            }
            6 => {
                let n = rng.below(40) as usize;
                let junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                data.splice(0..0, junk);
            }
            _ => {
                let n = rng.below(3000) as usize;
                *data = (0..n).map(|_| rng.next_u64() as u8).collect();
            }
        }
    }
    // Decode only a few blocks past the first one: damage shows there.
    blocks.truncate(6);
    LzxFolder {
        window_bits: folder.window_bits,
        blocks,
    }
}

#[test]
fn mutated_streams_never_panic_or_hang() {
    let mut sources: Vec<(String, LzxFolder)> = Vec::new();
    if let Some(dir) = corpus() {
        for rel in [
            "generated/synthetic-package-1mb-lzx21.cab",
            "generated/e8zero-lzx15.cab",
            "libarchive/test_read_format_cab_lzx_e8.cab",
            "libarchive/test_read_format_cab_lzx_16bit.cab",
            "libarchive/test_read_format_cab_3.cab",
            "libmspack/cabd/normal_2files_2folders.cab",
            "libmspack/cabextract-cabs/large-files-cab.cab",
        ] {
            let bytes = std::fs::read(dir.join(rel)).unwrap();
            for (i, f) in lzx_folders(&bytes).into_iter().enumerate() {
                sources.push((format!("{rel}#{i}"), f));
            }
        }
    }
    let xml = package_xml(150, 9);
    for (w, strategy) in [
        (15, lzxc::Strategy::Optimal),
        (18, lzxc::Strategy::LiteralOnly),
        (21, lzxc::Strategy::Uncompressed),
    ] {
        sources.push((
            format!("lzxc {w} {strategy:?}"),
            encode(&xml, w, strategy, true),
        ));
    }
    let mut rng = Rng::new(2026);
    let (mut errors, mut decoded) = (0, 0);
    for round in 0..4000 {
        let (name, source) = &sources[round % sources.len()];
        let seed = rng.next_u64();
        let damaged = mutate(source, &mut Rng::new(seed));
        match std::panic::catch_unwind(|| decode(&damaged)) {
            Ok(Ok(_)) => decoded += 1,
            Ok(Err(_)) => errors += 1,
            Err(_) => panic!("{name}: panic on mutation seed {seed}"),
        }
    }
    // Pure noise, every window.
    for round in 0..1000u64 {
        let mut r = Rng::new(round);
        let folder = LzxFolder {
            window_bits: 15 + (round % 7) as u8,
            blocks: (0..1 + r.below(3))
                .map(|_| {
                    let n = r.below(5000) as usize;
                    let data = (0..n).map(|_| r.next_u64() as u8).collect();
                    (data, 1 + r.below(32768) as usize)
                })
                .collect(),
        };
        if std::panic::catch_unwind(|| decode(&folder)).is_err() {
            panic!("panic on noise seed {round}");
        }
    }
    eprintln!("mutations: {errors} rejected, {decoded} decoded without error");
    assert!(errors > 1000, "{errors}");
}

// ---------------------------------------------------------------------
// Real makecab output at the format's limits.

/// large-files-cab.cab holds large-files.cab: three folders (MSZIP, LZX:15,
/// LZX:21) of 65535 blocks each, 2 GB per member, written by makecab with
/// E8 translation on, so the decoder runs past the 1 GiB where translation
/// stops and through 1000 passes over the window. About 10 s for 6 GB:
/// `cargo test --test lzx -- --ignored`.
#[test]
#[ignore]
fn makecab_two_gigabyte_lzx_folders_match_cabextract() {
    let Some(dir) = corpus() else { return };
    if !have_tool("cabextract") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let status = Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(tmp.path())
        .arg(dir.join("libmspack/cabextract-cabs/large-files-cab.cab"))
        .status()
        .unwrap();
    assert!(status.success());
    let inner = tmp.path().join("large-files.cab");
    let cab = Cabinet::parse(&mut std::fs::File::open(&inner).unwrap()).unwrap();
    let mut child = Command::new("cabextract")
        .arg("-q")
        .arg("-p")
        .arg(&inner)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut theirs = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    for f in &cab.files {
        let file = std::fs::File::open(&inner).unwrap();
        let mut reader = cab.open_folder(file, f.folder).unwrap();
        assert_eq!(f.folder_offset, 0);
        let mut left = u64::from(f.size);
        while left > 0 {
            let chunk = reader.take(buf.len().min(left as usize)).unwrap();
            assert!(!chunk.is_empty(), "{}: short", f.name);
            let n = chunk.len();
            theirs.read_exact(&mut buf[..n]).unwrap();
            assert!(
                chunk == &buf[..n],
                "{}: differs at {}",
                f.name,
                u64::from(f.size) - left
            );
            left -= n as u64;
        }
    }
    assert!(child.wait().unwrap().success());
}

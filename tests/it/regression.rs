//! One test per bug found, each saying what broke.

use std::io::Cursor;

use crate::common::*;
use wsuscat::cab::Cabinet;

/// A damaged or padded copy of the signed clean fixture, each with what was
/// done to it.
fn damaged_copies() -> Vec<(String, Vec<u8>)> {
    let clean = std::fs::read(testdata("clean-wsusscn2.cab")).unwrap();
    let mut out = Vec::new();
    // Flips spread over the first half of the file: digested bytes (the
    // signature sits at the end), most of them in folders that list, show
    // and diff never decode.
    for at in (100..clean.len() / 2).step_by(clean.len() / 40) {
        let mut b = clean.clone();
        b[at] ^= 0x01;
        out.push((format!("bit flipped at byte {at}"), b));
    }
    let mut padded = clean.clone();
    padded.extend_from_slice(&[0u8; 4096]);
    out.push(("padded with 4 KiB".to_string(), padded));
    for cut in [clean.len() - 1, clean.len() - 200, clean.len() / 2] {
        out.push((format!("cut to {cut} bytes"), clean[..cut].to_vec()));
    }
    out
}

/// `diff clean.cab damaged.cab` said "NO DIFFERENCES" (exit 0) for a copy
/// with a bit flipped, cut inside the signature, or padded: diff did not
/// check size or signature.
#[test]
fn diff_of_a_damaged_download_is_an_error_not_no_differences() {
    let clean = testdata("clean-wsusscn2.cab");
    let [t, a] = trust();
    for (what, bytes) in damaged_copies() {
        let (_d, path) = temp_file("damaged.cab", &bytes);
        let r = run([
            "diff",
            &t,
            &a,
            clean.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 3, "diff against a copy {what}: {}", r.stdout);
        assert!(!r.stdout.contains("NO DIFFERENCES"), "{what}");
    }
}

/// `list` and `show` exited 0 on truncated and padded files: they read
/// package.xml and never checked the file's size or signature.
#[test]
fn list_and_show_refuse_a_damaged_download() {
    let [t, a] = trust();
    for (what, bytes) in damaged_copies() {
        let (_d, path) = temp_file("damaged.cab", &bytes);
        let p = path.to_str().unwrap();
        let r = run(["list", &t, &a, "--no-names", p]);
        assert_eq!(r.code, 3, "list on a copy {what}: {}", r.stderr);
        let r = run(["show", &t, &a, p, "1000000"]);
        assert_eq!(r.code, 3, "show on a copy {what}: {}", r.stderr);
    }
}

/// The first broken-flipped-byte fixture flipped a bit in a folder `check`
/// never reads (package.cab sat in the other folder), so `check` said
/// "compatible" on a damaged file. The fixture now damages the folder that
/// holds package.cab, and this pins that `check` notices.
#[test]
fn flipped_byte_fixture_damages_what_check_reads() {
    // --no-verify: the signature would catch the flip first; this is about
    // the content reader.
    let r = run([
        "check",
        "--no-verify",
        testdata("broken-flipped-byte.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("checksum mismatch"), "{}", r.stderr);
}

/// A cabinet with no files (libmspack's bad_nofiles.cab) was accepted as an
/// empty cabinet while cabextract rejects it; an empty member name
/// (filename-read-violation-1.cab) was accepted too.
#[test]
fn cabinets_without_files_or_with_empty_names_are_rejected() {
    let Some(dir) = corpus() else { return };
    for name in [
        "libmspack/cabd/bad_nofiles.cab",
        "libmspack/cabd/filename-read-violation-1.cab",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let err = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap_err();
        assert_eq!(err.kind(), wsuscat::ErrorKind::Malformed, "{name}: {err}");
    }
}

/// The `cab` crate hashes the per-block reserve into the checksum and so
/// rejects valid cabinets whose reserve is not a multiple of 4 bytes.
#[test]
fn data_block_reserve_is_not_part_of_the_checksum() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("generated/data-reserve10-checksummed-mszip.cab")).unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    assert_eq!(cab.header.data_reserve, 10);
    let file = cab.files[0].clone();
    let data = cab
        .open_member(Cursor::new(&bytes[..]), &file)
        .unwrap()
        .read_all(1 << 30)
        .unwrap();
    assert_eq!(data.len() as u32, file.size);
}

/// The `cab` crate panics on a folder with no data blocks
/// (filename-read-violation-2/3.cab); wsuscat must report an error.
#[test]
fn folder_without_blocks_is_an_error_not_a_panic() {
    let Some(dir) = corpus() else { return };
    for name in [
        "filename-read-violation-2.cab",
        "filename-read-violation-3.cab",
    ] {
        let bytes = std::fs::read(dir.join("libmspack/cabd").join(name)).unwrap();
        let result = Cabinet::parse(&mut Cursor::new(&bytes)).and_then(|cab| {
            let file = cab.files[0].clone();
            cab.open_member(Cursor::new(&bytes[..]), &file)?
                .read_all(1 << 30)
        });
        assert!(result.is_err(), "{name}");
    }
}

/// The lzxd crate, wsuscat's first LZX decoder, translated an E8 operand of
/// 0 (a CALL to absolute address 0) into the translation size instead of
/// minus the CALL's position: it took 0 for a negative operand. The x86
/// bytes of e8zero.bin came out wrong while cabextract got them right.
#[test]
fn lzx_e8_operand_zero_translates_to_minus_the_position() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("generated/e8zero-lzx15.cab")).unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let file = cab.files[0].clone();
    let data = cab
        .open_member(Cursor::new(&bytes[..]), &file)
        .unwrap()
        .read_all(1 << 20)
        .unwrap();
    assert_eq!(data.len(), 5000);
    for at in [1234usize, 3000] {
        assert_eq!(data[at], 0xE8);
        let op = i32::from_le_bytes(data[at + 1..at + 5].try_into().unwrap());
        assert_eq!(op, -(at as i32), "CALL at {at}");
    }
}

/// lzxd accepted a match reaching before the start of the folder's output
/// and copied zeros from the unwritten window, so a damaged LZX stream
/// decoded "successfully" where libmspack and libarchive report an error.
#[test]
fn lzx_match_before_the_window_start_is_an_error() {
    let Some(dir) = corpus() else { return };
    let bytes =
        std::fs::read(dir.join("libarchive/test_read_format_cab_lzx_invalid_history.cab")).unwrap();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let file = cab.files[0].clone();
    let err = cab
        .open_member(Cursor::new(&bytes[..]), &file)
        .unwrap()
        .read_all(1 << 20)
        .unwrap_err();
    assert_eq!(err.kind(), wsuscat::ErrorKind::Decompress, "{err}");
    assert!(err.to_string().contains("before the start"), "{err}");
}

/// verify said every checksum verified on a catalog whose checksums are all 0.
#[test]
fn verify_counts_blocks_whose_checksum_is_zero() {
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate;
    let (spec, _) = small_catalog_parts(7, 60, 1);
    let g = generate::generate(&spec);
    let mut inner = CabBuilder::new().checksums(false);
    inner
        .add_folder(Compression::MsZip)
        .add_file("package.xml", &g.package_xml);
    let package_cab = inner.finish();
    let mut outer = CabBuilder::new().checksums(false);
    outer
        .add_folder(Compression::MsZip)
        .add_file("index.xml", &generate::index_xml(&[]))
        .add_file("package.cab", &package_cab);
    let (dir, path) = temp_file("zero-checksums.cab", &outer.finish());
    let log = dir.path().join("wsuscat.log");
    let r = run([
        "verify",
        "--allow-unsigned",
        "--log",
        log.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("blocks not checksummed (checksum 0)")
            && !r.stdout.contains("every block checksum"),
        "{}",
        r.stdout
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("blocks not checksummed (checksum 0)")
            && !logged.contains("every block checksum"),
        "{logged}"
    );
    let r = run([
        "verify",
        "--allow-unsigned",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["blocks_not_checksummed"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["cabs"][0]["blocks_not_checksummed"].as_u64().unwrap() > 0,
        "{v}"
    );
}

/// a nested cab with 4 KiB of trailing bytes passed verify.
#[test]
fn verify_refuses_bytes_past_a_nested_cabinets_end() {
    use wsuscat::commands::generate;
    let (spec, package_cab) = small_catalog_parts(8, 60, 1);
    let mut padded = package_cab.clone();
    padded.extend_from_slice(&[0u8; 4096]);
    let bytes = generate::assemble(&spec, &generate::index_xml(&[]), &padded, &[]);
    let (_d, path) = temp_file("padded-nested.cab", &bytes);
    let r = run(["verify", "--allow-unsigned", path.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let expected = format!(
        "package.cab: 4096 bytes past the cabinet's end (cbCabinet {}, member {})",
        package_cab.len(),
        padded.len()
    );
    assert!(r.stderr.contains(&expected), "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);

    // A signed nested cabinet: the bytes past cbCabinet are its signature
    // area, exactly as its header declares, and pass; 4 KiB more do not.
    let signed = std::fs::read(testdata("clean-wsusscn2.cab")).unwrap();
    let shards = vec![("package2.cab".to_string(), signed.clone())];
    let index = generate::index_xml(&[("package2.cab".into(), 0)]);
    let bytes = generate::assemble(&spec, &index, &package_cab, &shards);
    let (_d, path) = temp_file("signed-nested.cab", &bytes);
    let r = run(["verify", "--allow-unsigned", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut signed_padded = signed;
    signed_padded.extend_from_slice(&[0u8; 4096]);
    let shards = vec![("package2.cab".to_string(), signed_padded)];
    let bytes = generate::assemble(&spec, &index, &package_cab, &shards);
    let (_d, path) = temp_file("signed-padded-nested.cab", &bytes);
    let r = run(["verify", "--allow-unsigned", path.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("package2.cab: ") && r.stderr.contains("does not account for them"),
        "{}",
        r.stderr
    );
}

/// The sample catalog with `patch` applied, written to a temp file; `check`
/// and `verify` must both exit 3 with the test root, and osslsigncode (when
/// present) must refuse it too unless `osslsigncode_refuses` is false.
fn assert_signed_mutant_refused(
    name: &str,
    patch: impl Fn(&mut Vec<u8>),
    says: &str,
    osslsigncode_refuses: bool,
) {
    let mut bytes = std::fs::read(testdata("sample-wsusscn2.cab")).unwrap();
    patch(&mut bytes);
    let (_dir, path) = temp_file(name, &bytes);
    let [t, a] = trust();
    for cmd in ["check", "verify"] {
        let r = run([cmd, &t, &a, path.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{cmd} {name}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{cmd} {name}: {}", r.stderr);
    }
    if have_tool("osslsigncode") {
        let ok = std::process::Command::new("osslsigncode")
            .args(["verify", "-CAfile"])
            .arg(test_anchor())
            .arg("-in")
            .arg(&path)
            .output()
            .expect("run osslsigncode")
            .status
            .success();
        assert_eq!(ok, !osslsigncode_refuses, "osslsigncode on {name}");
    }
}

/// A DER header at `pos`: (header length, content length).
fn der_header(b: &[u8], pos: usize) -> (usize, usize) {
    match b[pos + 1] {
        n @ 0..=0x7F => (2, n as usize),
        0x81 => (3, b[pos + 2] as usize),
        0x82 => (4, u16::from_be_bytes([b[pos + 2], b[pos + 3]]) as usize),
        n => panic!("length form {n:#x} at {pos}"),
    }
}

/// File offset of SignedData.digestAlgorithms in a signed cabinet, found by
/// walking ContentInfo { OID, [0] { SignedData { version, SET ... } } }.
fn digest_algorithms_offset(cab: &[u8]) -> usize {
    let sig = u32::from_le_bytes(cab[44..48].try_into().unwrap()) as usize;
    assert_eq!(cab[sig], 0x30, "ContentInfo");
    let mut pos = sig + der_header(cab, sig).0;
    assert_eq!(cab[pos], 0x06, "contentType");
    let (hl, len) = der_header(cab, pos);
    pos += hl + len;
    assert_eq!(cab[pos], 0xA0, "[0] content");
    pos += der_header(cab, pos).0;
    assert_eq!(cab[pos], 0x30, "SignedData");
    pos += der_header(cab, pos).0;
    assert_eq!(cab[pos], 0x02, "SignedData.version");
    let (hl, len) = der_header(cab, pos);
    pos += hl + len;
    assert_eq!(cab[pos], 0x31, "digestAlgorithms");
    pos
}

/// Nonzero reserved1 was accepted (osslsigncode refuses it); the digest
/// does not cover CFHEADER bytes 4..8.
#[test]
fn nonzero_reserved1_in_a_signed_cabinet_is_refused() {
    assert_signed_mutant_refused(
        "reserved1.cab",
        |b| b[5] = 0x01,
        "reserved1 (u32 at byte 4)",
        true,
    );
}

/// Damaged DER inside SignedData.digestAlgorithms was accepted (osslsigncode
/// refuses it); the SET was skipped as opaque and is outside every digest.
#[test]
fn damaged_digest_algorithms_set_is_refused() {
    let sample = std::fs::read(testdata("sample-wsusscn2.cab")).unwrap();
    let da = digest_algorithms_offset(&sample);
    let (hl, _) = der_header(&sample, da);
    let inner = da + hl;
    assert_eq!(sample[inner], 0x30, "AlgorithmIdentifier");
    // The AlgorithmIdentifier's length now reaches past the end of the SET.
    assert_signed_mutant_refused(
        "digest-algorithms-length.cab",
        |b| b[inner + 1] += 1,
        "SignedData.digestAlgorithms",
        true,
    );
    // Its tag is no longer SEQUENCE.
    assert_signed_mutant_refused(
        "digest-algorithms-tag.cab",
        |b| b[inner] = 0x04,
        "SignedData.digestAlgorithms",
        true,
    );
}

/// Nonzero iCabinet in a lone signed cabinet was accepted (osslsigncode
/// accepts it too; wsuscat is stricter on purpose, see docs/signature.md).
#[test]
fn nonzero_icabinet_in_a_lone_signed_cabinet_is_refused() {
    assert_signed_mutant_refused(
        "icabinet.cab",
        |b| {
            assert_eq!(u16::from_le_bytes([b[30], b[31]]) & 3, 0, "no prev/next");
            b[34] = 0x01;
        },
        "iCabinet (u16 at byte 34)",
        false,
    );
}

// --- check's read pass (issue 12) ---

/// A small generated catalog (MSZIP outside and in, package.cab right after
/// index.xml, then the shards), unsigned.
fn read_pass_catalog(seed: u64) -> Vec<u8> {
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate::{self, Spec};
    generate::generate(&Spec {
        seed,
        updates: 600,
        shards: 4,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        ..Spec::default()
    })
    .cab
}

/// Where member `name`'s CFFILE entry starts in the outer cabinet.
fn cffile_offset(bytes: &[u8], name: &str) -> usize {
    let cab = Cabinet::parse(&mut Cursor::new(bytes)).unwrap();
    let mut at = cab.header.files_offset as usize;
    for f in &cab.files {
        if f.name == name {
            return at;
        }
        at += 16 + f.raw_name.len() + 1;
    }
    panic!("no member {name}");
}

/// Exit codes of check, list, info and baseline on `path`, unsigned allowed.
fn read_pass_codes(path: &std::path::Path) -> Vec<(&'static str, i32, String)> {
    let p = path.to_str().unwrap();
    [
        ("check", vec!["check", "--allow-unsigned", p]),
        ("list", vec!["list", "--allow-unsigned", "--no-names", p]),
        ("info", vec!["info", "--allow-unsigned", p]),
        ("baseline", vec!["baseline", "--allow-unsigned", p]),
        ("show", vec!["show", "--allow-unsigned", p, "1"]),
        ("diff", vec!["diff", "--allow-unsigned", p, p]),
    ]
    .into_iter()
    .map(|(what, args)| {
        let r = run(args);
        (what, r.code, r.stderr)
    })
    .collect()
}

fn assert_refused_by_every_reader(path: &std::path::Path, needle: &str) {
    for (what, code, stderr) in read_pass_codes(path) {
        assert_eq!(code, 3, "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
    }
}

/// check said 0 on a catalog whose index.xml root is <CABLIST>: it never
/// read index.xml (verify said 3).
#[test]
fn check_refuses_an_index_xml_whose_root_is_not_index() {
    let Some(corpus) = corpus() else { return };
    let signed = corpus.join("generated/signed-sha256-nested.cab");
    let anchor = corpus.join("generated/test-root-ca.der");
    let r = run([
        "check",
        "--trust-anchor",
        anchor.to_str().unwrap(),
        signed.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("index.xml"), "{}", r.stderr);
    let unsigned = corpus.join("generated/nested-wsusscn2-like-mszip.cab");
    assert_refused_by_every_reader(&unsigned, "index.xml");
}

/// check said 0 on a catalog with a shard renamed, so that index.xml names
/// a member that is not there (verify said 3).
#[test]
fn check_refuses_an_index_xml_naming_a_missing_shard() {
    let mut bytes = read_pass_catalog(31);
    let at = cffile_offset(&bytes, "package3.cab") + 16;
    bytes[at..at + 12].copy_from_slice(b"packageX.cab");
    let (_d, path) = temp_file("renamed-shard.cab", &bytes);
    assert_refused_by_every_reader(&path, "index.xml names package3.cab");
}

/// check said 0 on a catalog whose CFFOLDER claims one block more than the
/// file holds: it decoded the folder only as far as package.cab.
#[test]
fn check_refuses_a_folder_claiming_more_blocks_than_the_file_holds() {
    let mut bytes = read_pass_catalog(32);
    let cab = Cabinet::parse(&mut Cursor::new(&bytes[..])).unwrap();
    assert_eq!(cab.folders.len(), 1);
    // No reserve: CFFOLDER 0 is at byte 36, its cCFData at 40.
    let n = u16::from_le_bytes([bytes[40], bytes[41]]);
    bytes[40..42].copy_from_slice(&(n + 1).to_le_bytes());
    let (_d, path) = temp_file("more-blocks.cab", &bytes);
    assert_refused_by_every_reader(&path, "cCFData");
}

/// An unsigned catalog with its tail zeroed passed check: the zeroed blocks
/// lay past package.cab, in shards check never decoded.
#[test]
fn check_refuses_a_catalog_whose_tail_is_zeroed() {
    let mut bytes = read_pass_catalog(33);
    let cab = Cabinet::parse(&mut Cursor::new(&bytes[..])).unwrap();
    let package = cab.find("package.cab").unwrap();
    let last = cab.files.last().unwrap();
    assert!(u64::from(last.folder_offset) > package.folder_end() + 20_000);
    let from = bytes.len() - bytes.len() / 10;
    bytes[from..].iter_mut().for_each(|b| *b = 0);
    let (_d, path) = temp_file("zeroed-tail.cab", &bytes);
    for (what, code, stderr) in read_pass_codes(&path) {
        assert_eq!(code, 3, "{what}: {stderr}");
    }
}

/// A member index.xml does not name is a warning, not a failure: a new file
/// in a genuine catalog must not halt every gated sync (check did not
/// mention it at all).
#[test]
fn check_warns_of_a_member_index_xml_does_not_name() {
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate;
    let (_spec, package_cab) = small_catalog_parts(35, 60, 1);
    let mut outer = CabBuilder::new();
    outer
        .add_folder(Compression::MsZip)
        .add_file("index.xml", &generate::index_xml(&[]))
        .add_file("package.cab", &package_cab)
        .add_file("whatsnew.txt", b"a new kind of file");
    let (_d, path) = temp_file("extra-member.cab", &outer.finish());
    let (code, v) = check_json(&path, &["--allow-unsigned"]);
    assert_eq!(code, 0, "{v}");
    let found = v["catalog_findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unlisted-member")
        .unwrap_or_else(|| panic!("no unlisted-member finding: {v}"));
    assert_eq!(found["severity"], "warn", "{found}");
    assert!(found["subject"].as_str().unwrap().contains("whatsnew.txt"));
}

/// check's report did not say what it leaves to verify.
#[test]
fn check_says_what_it_leaves_to_verify() {
    let (_d, path) = temp_file("catalog.cab", &read_pass_catalog(36));
    let (code, v) = check_json(&path, &["--allow-unsigned"]);
    assert_eq!(code, 0, "{v}");
    let rp = &v["read_pass"];
    assert!(rp["outer_blocks"].as_u64().unwrap() > 0, "{v}");
    assert!(
        rp["left_to_verify"].as_str().unwrap().contains("verify"),
        "{v}"
    );
    let r = run(["check", "--allow-unsigned", path.to_str().unwrap()]);
    assert!(r.stdout.contains("Not read  check decoded"), "{}", r.stdout);
}

/// An unsigned catalog whose package.cab is `package_cab`, laid stored (no
/// compression) into the outer cabinet so that its bytes sit in the file as
/// they are.
fn with_package_cab(package_cab: &[u8]) -> Vec<u8> {
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate;
    let mut outer = CabBuilder::new();
    outer
        .add_folder(Compression::None)
        .add_file("index.xml", &generate::index_xml(&[]))
        .add_file("package.cab", package_cab);
    outer.finish()
}

/// check, list, show, diff, info and baseline said 0 on a catalog whose
/// package.cab's CFFOLDER claims a block more than package.cab holds: they
/// stopped reading at package.xml's last byte (verify and cabextract refuse
/// it).
#[test]
fn nested_folder_claiming_more_blocks_than_package_cab_holds_is_refused() {
    let (_spec, mut package_cab) = small_catalog_parts(36, 60, 1);
    let cab = Cabinet::parse(&mut Cursor::new(&package_cab[..])).unwrap();
    assert_eq!(cab.folders.len(), 1);
    assert_eq!(
        cab.header.flags, 0,
        "no reserve: CFFOLDER 0's cCFData is at byte 40"
    );
    let n = u16::from_le_bytes([package_cab[40], package_cab[41]]);
    package_cab[40..42].copy_from_slice(&(n + 1).to_le_bytes());
    let (_d, path) = temp_file("nested-more-blocks.cab", &with_package_cab(&package_cab));
    assert_refused_by_every_reader(&path, "package.cab");
}

/// The same readers said 0 on a catalog whose package.cab had a second
/// cabinet appended past its cbCabinet: bytes nobody reads, which
/// cabextract extracts as a second package.xml.
#[test]
fn bytes_past_package_cabs_own_end_are_refused() {
    let (_spec, package_cab) = small_catalog_parts(37, 60, 1);
    let doubled = [&package_cab[..], &package_cab[..]].concat();
    let (_d, path) = temp_file("nested-appended.cab", &with_package_cab(&doubled));
    assert_refused_by_every_reader(&path, "past the cabinet's end");
}

/// A catalog cut short while a `--threads 1` check ran passed: the read
/// pass had counted every byte before the cut, and the content read
/// afterwards needed only the front of the file. In-process, so that the
/// cut falls between the pass and the content deterministically.
#[test]
fn a_catalog_cut_short_during_a_sequential_check_is_refused() {
    use wsuscat::trust::integrity::with_identity;
    use wsuscat::{SignaturePolicy, TrustOptions};
    let bytes = std::fs::read(testdata("unsigned-wsusscn2.cab")).unwrap();
    let (_d, path) = temp_file("cut-during-check.cab", &bytes);
    let trust = TrustOptions {
        policy: SignaturePolicy::AllowUnsigned,
        ..TrustOptions::default()
    };
    with_identity(&path, &trust, false, |_| Ok(())).expect("the intact file passes");
    let result = with_identity(&path, &trust, false, |_| {
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(bytes.len() as u64 / 2).unwrap();
        Ok(())
    });
    let err = result.expect_err("a file cut short after the read pass is not the file hashed");
    assert_eq!(err.kind(), wsuscat::ErrorKind::Truncated, "{err}");
    assert!(
        err.to_string().contains("changed while it was read"),
        "{err}"
    );
}

// --- strict XML (issue 12) ---

/// A minimal package.xml with one update, `attrs` added to its start tag
/// and `inside` as its content, and `outside` between `</Updates>` and
/// `<FileLocations>`.
fn strict_package_xml(attrs: &str, inside: &str, outside: &str) -> String {
    format!(
        "<OfflineSyncPackage xmlns=\"http://schemas.microsoft.com/msus/2004/02/OfflineSync\" \
         MinimumClientVersion=\"5.8.0.2678\" CreationDate=\"2026-05-12T08:51:08Z\"><Updates>\
         <Update UpdateId=\"{{00000000-0000-0000-0000-000000000001}}\" RevisionNumber=\"1\" \
         RevisionId=\"1\" IsLeaf=\"true\"{attrs}>{inside}</Update></Updates>{outside}\
         <FileLocations></FileLocations></OfflineSyncPackage>"
    )
}

/// Runs `args` on a catalog whose package.xml is `xml`; it must exit 3
/// with one line naming the file, the place (and `update`, when the error
/// is in one) and `cause`.
fn assert_malformed(xml: &[u8], args: &[&str], update: Option<u64>, cause: &str) {
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate;
    let cab = generate::catalog_from_package_xml(xml, Compression::MsZip);
    let (_d, path) = temp_file("strict.cab", &cab);
    let p = path.to_str().unwrap();
    let mut argv: Vec<&str> = args.to_vec();
    argv.push(p);
    if argv[0] == "show" {
        argv.push("1");
    }
    let r = run(&argv);
    assert_eq!(r.code, 3, "{argv:?}: {}{}", r.stdout, r.stderr);
    let line = r.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains(p) && line.contains("package.xml") && line.contains(", byte "),
        "{line}"
    );
    assert!(line.contains(cause), "expected {cause:?} in: {line}");
    match update {
        Some(rev) => assert!(
            line.contains(&format!(", update RevisionId {rev}:")),
            "{line}"
        ),
        None => assert!(!line.contains("update RevisionId"), "{line}"),
    }
}

/// One byte of DeploymentAction set to NUL: check exited 0, show printed an
/// attribute named `\0eploymentAction`, verify called the XML well-formed.
#[test]
fn nul_in_an_attribute_name_is_malformed_xml() {
    let xml = strict_package_xml(" \0eploymentAction=\"Bundle\"", "", "");
    for args in [
        &["check", "--allow-unsigned"][..],
        &["show", "--allow-unsigned"],
        &["verify", "--allow-unsigned"],
    ] {
        assert_malformed(
            xml.as_bytes(),
            args,
            Some(1),
            "expected an XML character, found U+0000",
        );
    }
}

/// An attribute name starting with a digit was accepted.
#[test]
fn attribute_name_starting_with_a_digit_is_malformed_xml() {
    let xml = strict_package_xml(" 1DeploymentAction=\"Bundle\"", "", "");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(1),
        "expected a name start character at the start of an attribute name, found '1'",
    );
}

/// A control character in an element name was accepted.
#[test]
fn control_character_in_a_name_is_malformed_xml() {
    let xml = strict_package_xml("", "<Pay\u{1}loadFiles/>", "");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(1),
        "expected an XML character, found U+0001",
    );
}

/// An undeclared prefix (`q:DeploymentAction`) was accepted.
#[test]
fn undeclared_prefix_is_malformed_xml() {
    let xml = strict_package_xml(" q:DeploymentAction=\"Bundle\"", "", "");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(1),
        "expected a declared prefix, found q: in an attribute name",
    );
}

/// An attribute with an empty name (`:="x"`) was accepted.
#[test]
fn empty_attribute_name_is_malformed_xml() {
    let xml = strict_package_xml(" :=\"x\"", "", "");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(1),
        "expected a name start character at the start of an attribute name, found ':'",
    );
}

/// NUL between elements was accepted.
#[test]
fn nul_between_elements_is_malformed_xml() {
    let xml = strict_package_xml("", "", "\0");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        None,
        "expected an XML character, found U+0000",
    );
}

/// A `<` inside an attribute value became a finding (exit 1), not exit 3.
#[test]
fn less_than_in_an_attribute_value_is_malformed_xml() {
    let xml = strict_package_xml(" DeploymentAction=\"<Bundle>\"", "", "");
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(1),
        "expected no '<' in an attribute value (attribute DeploymentAction)",
    );
}

/// An `<Update>` directly under the root (not under `<Updates>`) was
/// silently skipped.
#[test]
fn update_outside_updates_is_malformed_xml() {
    let xml = strict_package_xml(
        "",
        "",
        "<Update RevisionId=\"2\" DeploymentAction=\"Bundle\"/>",
    );
    assert_malformed(
        xml.as_bytes(),
        &["check", "--allow-unsigned"],
        Some(2),
        "expected <Update> only as a child of <OfflineSyncPackage><Updates>, found it in <OfflineSyncPackage>",
    );
}

// --- profiles and baselines compose (issue 13) ---

/// `baseline` learned from the incident sample without a word, and `check
/// --baseline` on that sample said COMPATIBLE (exit 0): `--baseline`
/// replaced the default profile.
#[test]
fn baseline_from_the_incident_warns_and_check_baseline_still_fails() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("incident.toml");
    let sample = testdata("sample-wsusscn2.cab");
    let mut args: Vec<String> = vec!["baseline".into()];
    args.extend(trust());
    args.extend([
        sample.display().to_string(),
        "-o".into(),
        toml.display().to_string(),
    ]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("INCOMPATIBLE with configmgr2007-legacy"),
        "no warning on stderr: {}",
        r.stderr
    );
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(
        text.starts_with("# WARNING: this catalog is INCOMPATIBLE with configmgr2007-legacy"),
        "{text}"
    );
    let anchor = trust();
    let mut extra: Vec<&str> = anchor.iter().map(String::as_str).collect();
    extra.extend(["--baseline", toml.to_str().unwrap()]);
    let (code, report) = check_json(&sample, &extra);
    assert_eq!(code, 1, "{report}");
    assert_eq!(finding_revisions(&report), [1293995]);
    assert_eq!(report["findings"][0]["profile"], "configmgr2007-legacy");
}

/// A baseline of severity `warn` let a catalog with OptionalInstall updates
/// and a nested bundle through with exit 0: the default profile did not judge.
#[test]
fn warn_baseline_does_not_let_optional_install_and_a_nested_bundle_through() {
    let (a, b) = crate::common::pair::pair();
    let dir = tempfile::tempdir().unwrap();
    let (good, next) = (dir.path().join("good.cab"), dir.path().join("next.cab"));
    std::fs::write(&good, &a.cab).unwrap();
    std::fs::write(&next, &b.generated.cab).unwrap();
    let warn = dir.path().join("warn.toml");
    let r = run([
        "baseline",
        "--allow-unsigned",
        "--severity",
        "warn",
        good.to_str().unwrap(),
        "-o",
        warn.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, report) = check_json(
        &next,
        &["--allow-unsigned", "--baseline", warn.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{report}");
    let by = |profile: &str, rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .chain(report["catalog_findings"].as_array().unwrap())
            .filter(|f| f["profile"] == profile && f["rule"] == rule)
            .count()
    };
    assert_eq!(
        by("configmgr2007-legacy", "deployment-action"),
        4,
        "{report}"
    );
    assert_eq!(by("configmgr2007-legacy", "nested-bundle"), 1, "{report}");
    // The baseline's own novelties are still only warnings.
    assert!(report["catalog_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["profile"] != "configmgr2007-legacy")
        .all(|f| f["severity"] == "warn"));
}

/// A rule on `attribute = "DeploymentActon"` (a typo) with `allow_absent =
/// true` passed the incident sample: the misspelt attribute is never present.
#[test]
fn a_rule_on_a_misspelt_attribute_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let profile = |extra: &str| {
        let path = dir.path().join(format!("typo{}.toml", extra.len()));
        std::fs::write(
            &path,
            format!(
                "name = \"typo\"\ndescription = \"d\"\n[[rule]]\nname = \"deployment-action\"\n\
                 attribute = \"DeploymentActon\"\nallow_absent = true\nallowed = [\"Install\"]\n\
                 severity = \"breaks\"\n{extra}"
            ),
        )
        .unwrap();
        path
    };
    let sample = testdata("sample-wsusscn2.cab").display().to_string();
    let check = |p: &std::path::Path| {
        let mut args: Vec<String> = vec!["check".into()];
        args.extend(trust());
        args.extend(["--profile".into(), p.display().to_string(), sample.clone()]);
        run(&args)
    };
    let r = check(&profile(""));
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("\"DeploymentActon\"")
            && r.stderr.contains("did you mean \"DeploymentAction\"")
            && r.stderr.contains("novel_attribute = true"),
        "{}",
        r.stderr
    );
    // Marked as intentional, the rule loads (and finds nothing: no update
    // carries the attribute).
    let r = check(&profile("novel_attribute = true\n"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

// --- every format says everything (issue 13) ---

/// `check` of the clean fixture with `--max-age 1` a few weeks on: two
/// catalog-level findings (CreationDate and signing time), no per-update
/// one.
fn stale_clean_check(format: &str, extra: &[&str]) -> Run {
    let [t, a] = trust();
    let mut args = vec![
        "check".to_string(),
        t,
        a,
        "--max-age".into(),
        "1".into(),
        "--now".into(),
        "2026-06-01T00:00:00Z".into(),
        "--format".into(),
        format.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(testdata("clean-wsusscn2.cab").display().to_string());
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r
}

/// CSV of a check with only catalog-level findings was the header alone.
#[test]
fn csv_has_a_row_per_catalog_finding_and_names_the_profiles() {
    let r = stale_clean_check("csv", &[]);
    let mut reader = csv::ReaderBuilder::new().from_reader(r.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{}", r.stdout);
    for row in &rows {
        assert_eq!(&row[col("scope")], "catalog");
        assert_eq!(&row[col("rule")], "max-age");
        assert_eq!(&row[col("revision_id")], "");
        assert_eq!(&row[col("profiles")], "configmgr2007-legacy");
    }
    assert!(rows[0][col("subject")].starts_with("CreationDate "));
}

/// JSON Lines had no finding event for a catalog-level finding.
#[test]
fn jsonl_has_a_finding_event_per_catalog_finding() {
    let r = stale_clean_check("jsonl", &[]);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let findings: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["type"] == "finding").collect();
    assert_eq!(findings.len(), 2, "{}", r.stdout);
    assert!(findings
        .iter()
        .all(|f| f["scope"] == "catalog" && f["rule"] == "max-age"));
    let summary = events.last().unwrap();
    assert_eq!(summary["findings"], 2, "{summary}");
    assert_eq!(summary["breaking"], 2, "{summary}");
}

/// The CMTrace log said "N update(s) would break" and listed none of the
/// catalog-level findings, nor the profiles.
#[test]
fn cmtrace_log_has_an_entry_per_catalog_finding_and_the_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wsuscat.log");
    stale_clean_check("human", &["--quiet", "--log", log.to_str().unwrap()]);
    let text = std::fs::read_to_string(&log).unwrap();
    let messages: Vec<&str> = text
        .split_terminator("\r\n")
        .map(|l| &l[l.find("<![LOG[").unwrap() + 7..l.find("]LOG]!>").unwrap()])
        .collect();
    let catalog: Vec<&&str> = messages
        .iter()
        .filter(|m| m.starts_with("catalog finding: ") && m.contains("rule max-age of options"))
        .collect();
    assert_eq!(catalog.len(), 2, "{messages:#?}");
    assert!(
        messages.contains(&"profiles: configmgr2007-legacy"),
        "{messages:#?}"
    );
    let verdict = messages.iter().find(|m| m.starts_with("verdict ")).unwrap();
    assert!(
        verdict.contains("2 breaking finding(s) (0 update(s), 2 catalog finding(s))"),
        "{verdict}"
    );
}

/// JSON's `summary.findings` counted per-update findings only, and so
/// disagreed with `breaking` + `warnings`.
#[test]
fn json_summary_findings_is_breaking_plus_warnings() {
    let r = stale_clean_check("json", &[]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
    assert_eq!(n("findings"), n("breaking") + n("warnings"), "{s}");
    assert_eq!(n("findings"), 2, "{s}");
}

// --- environment faults (issue 13) ---

/// The names in a directory, sorted.
#[cfg(unix)]
fn dir_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A character device node `name` (major, minor) in `dir`, or None when this
/// user may not create one (not root).
#[cfg(unix)]
fn device_node(
    dir: &std::path::Path,
    name: &str,
    major: u32,
    minor: u32,
) -> Option<std::path::PathBuf> {
    let path = dir.join(name);
    let made = std::process::Command::new("mknod")
        .arg(&path)
        .args(["c", &major.to_string(), &minor.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if made {
        Some(path)
    } else {
        skip("cannot mknod (not root): device --output not tested");
        None
    }
}

#[cfg(unix)]
fn is_char_device(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

/// `--output /dev/null` (or any device) was replaced by a regular file, as
/// root destroying the device; `--output /dev/full` too, silently.
#[cfg(unix)]
#[test]
fn output_to_a_device_writes_into_it_and_never_replaces_it() {
    if !unix_exe("a Unix device node as --output") {
        return;
    }
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let Some(null) = device_node(dir.path(), "null", 1, 3) else {
        return;
    };
    let Some(full) = device_node(dir.path(), "full", 1, 7) else {
        return;
    };
    let sample = testdata("sample-wsusscn2.cab");
    let r = run([
        "check",
        &t,
        &a,
        "--output",
        null.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""), "--output null");
    assert!(is_char_device(&null), "--output replaced the device node");
    let r = run([
        "check",
        &t,
        &a,
        "--output",
        full.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert!(is_char_device(&full), "--output replaced the device node");
    assert_eq!(r.code, 2, "--output full: {}", r.stderr);
    let lines = stderr_lines(r.stderr.as_bytes());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("No space left on device"), "{lines:?}");
    assert_eq!(
        dir_names(dir.path()),
        ["full", "null"],
        "a temp file was left"
    );
}

/// `--output link.json` replaced the symlink with a file instead of writing
/// through it to its target.
#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_its_target_and_keeps_the_link() {
    if !unix_exe("a Unix symlink as --output") {
        return;
    }
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let target = dir.path().join("reports/report.json");
    std::fs::write(&target, "an old report").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("reports/report.json", &link).unwrap();
    let sample = testdata("sample-wsusscn2.cab");
    let args = [
        "check",
        &t,
        &a,
        "--format",
        "json",
        sample.to_str().unwrap(),
    ];
    let to_stdout = run(args);
    let mut with_output = args.to_vec();
    with_output.extend(["--output", link.to_str().unwrap()]);
    let r = run(with_output);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), to_stdout.stdout);
    assert_eq!(dir_names(&dir.path().join("reports")), ["report.json"]);
    assert_eq!(dir_names(dir.path()), ["link.json", "reports"]);
}

/// Runs wsuscat with `args` in `dir` with RLIMIT_FSIZE at `bytes`.
#[cfg(unix)]
fn run_with_file_size_limit(
    dir: &std::path::Path,
    bytes: u64,
    args: &[&str],
) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = command();
    cmd.args(args).current_dir(dir);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.output().unwrap()
}

/// `ulimit -f` exceeded while writing --output: SIGXFSZ killed the run
/// and left `.r.json.wsuscat-tmp-PID` behind.
#[cfg(unix)]
#[test]
fn a_file_size_limit_is_reported_cleaned_up_and_logged() {
    if !unix_exe("a file size limit (ulimit -f, SIGXFSZ)") {
        return;
    }
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let sample = testdata("sample-wsusscn2.cab");
    // The log (under 2 KB) fits, the JSON report (about 3 KB) does not.
    let out = run_with_file_size_limit(
        dir.path(),
        2560,
        &[
            "check",
            &t,
            &a,
            "--format",
            "json",
            "--output",
            "r.json",
            "--log",
            "w.log",
            sample.to_str().unwrap(),
        ],
    );
    let lines = stderr_lines(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?} {lines:?}", out.status);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("cannot write the report") && lines[0].contains("too large"),
        "{lines:?}"
    );
    assert_eq!(
        dir_names(dir.path()),
        ["w.log"],
        "a temp file or report was left"
    );
    let log = std::fs::read_to_string(dir.path().join("w.log")).unwrap();
    let tail: Vec<&str> = log.lines().rev().take(2).collect();
    assert!(tail[0].contains("exit code 2"), "{log}");
    assert!(tail[1].contains("cannot write the report"), "{log}");
}

/// `--log` on a full disk (here: a file size limit of 0) left an empty log
/// file, killed; a log on a full device was no better than one line.
#[cfg(unix)]
#[test]
fn a_log_that_cannot_take_a_byte_is_one_line_and_no_empty_file() {
    if !unix_exe("a file size limit (ulimit -f, SIGXFSZ)") {
        return;
    }
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let sample = testdata("sample-wsusscn2.cab");
    let out = run_with_file_size_limit(
        dir.path(),
        0,
        &["check", &t, &a, "--log", "w.log", sample.to_str().unwrap()],
    );
    let lines = stderr_lines(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?} {lines:?}", out.status);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("cannot write the log"), "{lines:?}");
    assert!(
        dir_names(dir.path()).is_empty(),
        "{:?}",
        dir_names(dir.path())
    );
    if let Some(full) = device_node(dir.path(), "full", 1, 7) {
        let r = run([
            "check",
            &t,
            &a,
            "--log",
            full.to_str().unwrap(),
            sample.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let lines = stderr_lines(r.stderr.as_bytes());
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("No space left on device"), "{lines:?}");
        assert!(is_char_device(&full), "--log replaced the device node");
    }
}

/// `check … | head -1`: a reader that closed the pipe made the run exit 2
/// (with no message): a closed pipe is the reader's choice, not a failure.
#[test]
fn a_closed_stdout_ends_quietly_with_the_runs_own_exit_code() {
    let [t, a] = trust();
    let sample = testdata("sample-wsusscn2.cab");
    let s = sample.to_str().unwrap();
    for (args, code) in [
        (vec!["check", &t, &a, s], 1),
        (vec!["list", &t, &a, "--no-names", s], 0),
    ] {
        let mut child = command()
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before wsuscat writes its first byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: {:?}",
            args[0],
            out.status
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{}", args[0]);
    }
}

/// `cat wsusscn2.cab | wsuscat check /dev/stdin` said "truncated or padded
/// download" (exit 3): a pipe is not a damaged download.
#[cfg(unix)]
#[test]
fn a_pipe_as_the_catalog_is_refused_as_needing_a_seekable_file() {
    use std::io::Write;
    let [t, a] = trust();
    let bytes = std::fs::read(testdata("sample-wsusscn2.cab")).unwrap();
    let mut child = command()
        .args(["check", &t, &a, "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let lines = stderr_lines(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("needs a seekable file"), "{lines:?}");
}

/// SIGTERM gave exit 130 but nothing on stderr, and the log ended at
/// "started": an interrupted run looked like a hung one.
#[cfg(unix)]
#[test]
fn an_interrupt_says_so_on_stderr_and_in_the_log() {
    if !unix_exe("SIGINT and SIGTERM") {
        return;
    }
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    // A trust anchor that is a FIFO nobody writes: the run blocks reading
    // it, after the log was opened, until the signal comes.
    let fifo = dir.path().join("anchor.pem");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let log = dir.path().join("w.log");
    let sample = testdata("sample-wsusscn2.cab");
    for signal in ["TERM", "INT"] {
        let _ = std::fs::remove_file(&log);
        let child = command()
            .args([
                "check",
                "--trust-anchor",
                fifo.to_str().unwrap(),
                "--log",
                log.to_str().unwrap(),
                sample.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("started")) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the log never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let lines = stderr_lines(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signal}: {lines:?}");
        assert_eq!(lines.len(), 1, "{signal}: {lines:?}");
        assert!(lines[0].contains("interrupted"), "{signal}: {lines:?}");
        let text = std::fs::read_to_string(&log).unwrap();
        let tail: Vec<&str> = text.lines().rev().take(2).collect();
        assert!(
            tail[0].contains("exit code 130 (interrupted)"),
            "{signal}: {text}"
        );
        assert!(tail[1].contains("interrupted"), "{signal}: {text}");
    }
}

// --- human reports read top-down (issue 13) ---

// `generate` wrote an unsigned catalog without saying so, and its --help did
// not either: a newcomer's first `check` of it exited 3.
#[test]
fn generate_says_the_catalog_is_unsigned_and_how_to_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new.cab");
    let written = run(["generate", "--updates", "20", "-o", out.to_str().unwrap()]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(written.stderr.contains("unsigned"), "{}", written.stderr);
    assert!(
        written.stderr.contains("--allow-unsigned"),
        "{}",
        written.stderr
    );
    assert!(
        written.stderr.contains("--trust-anchor"),
        "{}",
        written.stderr
    );
    assert!(
        written.stderr.contains("osslsigncode"),
        "{}",
        written.stderr
    );
    let help = run(["generate", "--help"]);
    assert_eq!(help.code, 0);
    for needed in [
        "UNSIGNED",
        "--allow-unsigned",
        "osslsigncode",
        "--trust-anchor",
    ] {
        assert!(help.stdout.contains(needed), "{needed}: {}", help.stdout);
    }
    // And what it says works: the catalog checks with --allow-unsigned.
    let check = run(["check", "--allow-unsigned", out.to_str().unwrap()]);
    assert!(check.code == 0 || check.code == 1, "{}", check.stderr);
}

// The human check report put the verdict on its last line only, after every
// finding (line 219,395 of 219,395 at full scale): it comes first now, with
// the counts, and again last.
#[test]
fn human_check_report_starts_with_the_verdict_and_the_counts() {
    let mut args = vec!["check".to_string()];
    args.extend(trust());
    args.push(testdata("sample-wsusscn2.cab").display().to_string());
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let verdict = "Verdict   INCOMPATIBLE: 1 update(s) would break configmgr2007-legacy";
    assert_eq!(lines[0], verdict, "{}", out.stdout);
    assert!(
        lines[1]
            .starts_with("Counts    400 updates checked; 1 finding(s): 1 breaking, 0 warning(s)"),
        "{}",
        out.stdout
    );
    assert_eq!(*lines.last().unwrap(), verdict, "{}", out.stdout);
}

// An update's title and KB were not in its finding's row but in a second
// block under the table, one line per finding again.
#[test]
fn human_finding_row_carries_title_and_kb() {
    let mut args = vec!["check".to_string()];
    args.extend(trust());
    args.push(testdata("sample-wsusscn2.cab").display().to_string());
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let header = out
        .stdout
        .lines()
        .find(|l| l.starts_with("  RevisionId"))
        .unwrap();
    assert!(
        header.contains(" KB ") && header.ends_with(" Title"),
        "{header}"
    );
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  1293995 "))
        .collect();
    assert_eq!(rows.len(), 1, "one line for the finding: {}", out.stdout);
    // The update is a bundled child, whose `x\` fragment carries no
    // KBArticleID (only its bundle's does, as in real catalogs): its KB
    // column shows the bundle's, and its title names the bundle.
    assert!(
        rows[0].contains(" KB5019120 2026-03 Update for Microsoft 365 Apps")
            && rows[0].contains("(KB5019120)"),
        "{}",
        rows[0]
    );
    assert!(rows[0].ends_with("(bundled in 1000794)"), "{}", rows[0]);
}

/// A profile that every update in the sample breaks: four groups of values.
fn strict_profile(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("strict.toml");
    std::fs::write(
        &path,
        "name = \"strict\"\ndescription = \"allows no DeploymentAction in the sample\"\n\
         [[rule]]\nname = \"deployment-action\"\nattribute = \"DeploymentAction\"\n\
         allow_absent = false\nallowed = [\"Nothing\"]\nseverity = \"breaks\"\n",
    )
    .unwrap();
    path
}

// A strict profile made the human report one line per finding (109,690 at
// full scale): many findings are grouped by profile, rule and value with the
// first five updates of each, and `--all` lists them all.
#[test]
fn human_report_groups_many_findings_and_all_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let profile = strict_profile(dir.path());
    let sample = testdata("sample-wsusscn2.cab").display().to_string();
    let check = |extra: &[&str]| {
        let mut args = vec!["check".to_string(), "--profile".into()];
        args.push(profile.display().to_string());
        args.extend(trust());
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(sample.clone());
        run(&args)
    };
    let rows = |text: &str| {
        text.lines()
            .filter(|l| l.contains(" deployment-action breaks "))
            .count()
    };
    let grouped = check(&[]);
    assert_eq!(grouped.code, 1, "{}", grouped.stderr);
    assert!(
        grouped
            .stdout
            .contains("Findings  400 (400 breaking, 0 warnings)"),
        "{}",
        grouped.stdout
    );
    // Evaluate, absent and Bundle: 5 rows each and a "more" line; the one
    // PreDeploymentCheck: its row.
    assert_eq!(rows(&grouped.stdout), 16, "{}", grouped.stdout);
    assert!(grouped.stdout.contains("  … and 316 more with DeploymentAction=\"Bundle\" (deployment-action, strict; --all lists them)"), "{}", grouped.stdout);
    assert_eq!(
        grouped.stdout.matches("--all lists them").count(),
        3,
        "{}",
        grouped.stdout
    );
    let all = check(&["--all"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert_eq!(rows(&all.stdout), 400);
    assert!(!all.stdout.contains("more with"), "{}", all.stdout);
    // The machine formats list every finding either way.
    let json = check(&["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 400);
}

// --- error places (issue 13) ---

/// The one stderr line of a failed run, after `wsuscat: error: `; fails
/// unless the run wrote exactly one line.
fn one_error_line(r: &Run, what: &str) -> String {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line:\n{}", r.stderr);
    lines[0]
        .strip_prefix("wsuscat: error: ")
        .unwrap_or_else(|| panic!("{what}: {}", r.stderr))
        .to_string()
}

/// Runs that fail for a reason outside the cabinet, each with the file its
/// error must start with (`None`: the error has no file).
fn errors_outside_the_cabinet(dir: &std::path::Path) -> Vec<(Vec<String>, Option<String>)> {
    let d = |name: &str| dir.join(name).display().to_string();
    let clean = testdata("clean-wsusscn2.cab").display().to_string();
    let [t, a] = trust();
    std::fs::write(d("garbage.pem"), "not a certificate\n").unwrap();
    std::fs::write(
        d("bad.toml"),
        "name = \"x\"\ndescription = \"d\"\nbogus = 1\n",
    )
    .unwrap();
    let gone = d("no-such-dir/x");
    let args = |list: &[&str]| -> Vec<String> { list.iter().map(|s| s.to_string()).collect() };
    let (missing, bad) = (d("missing.toml"), d("bad.toml"));
    let (log, report) = (format!("{gone}.log"), format!("{gone}.txt"));
    let (no_pem, garbage) = (d("missing.pem"), d("garbage.pem"));
    vec![
        (
            args(&["check", "--profile", &missing, &clean]),
            Some(missing.clone()),
        ),
        (
            args(&["check", "--profile", &bad, &clean]),
            Some(bad.clone()),
        ),
        (
            args(&["check", "--baseline", &missing, &clean]),
            Some(missing.clone()),
        ),
        (
            args(&["check", "--profile", "no-such-profile", &clean]),
            None,
        ),
        (
            args(&["check", &t, &a, "--log", &log, &clean]),
            Some(log.clone()),
        ),
        (
            args(&["check", &t, &a, "--output", &report, &clean]),
            Some(report.clone()),
        ),
        (
            args(&["man", "--dir", &gone]),
            // The exe joins its file name on with its own separator.
            Some(format!(
                "{gone}{}wsuscat",
                if exe_is_windows() { '\\' } else { '/' }
            )),
        ),
        (
            args(&["check", "--trust-anchor", &no_pem, &clean]),
            Some(no_pem.clone()),
        ),
        (
            args(&["verify", "--trust-anchor", &garbage, &clean]),
            Some(garbage.clone()),
        ),
        (args(&["show", &t, &a, &clean, "7"]), Some(clean.clone())),
        (args(&["show", &t, &a, &clean, "KBabc"]), None),
    ]
}

/// Every error not about the cabinet said `outer cab:` (a missing or
/// unreadable profile or baseline, an unwritable log or report, `man
/// --dir`, the trust anchors, `show`'s not-found and bad id), and some did
/// not name their own file.
#[test]
fn errors_not_about_the_cabinet_name_their_own_place() {
    let dir = tempfile::tempdir().unwrap();
    for (args, file) in errors_outside_the_cabinet(dir.path()) {
        let r = run(&args);
        let what = args.join(" ");
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        let line = one_error_line(&r, &what);
        assert!(!line.contains("outer cab"), "{what}: {line}");
        if let Some(file) = file {
            assert!(line.starts_with(&file), "{what}: {line}");
        }
    }
}

/// A TOML error in a profile spanned five or six lines (the toml crate's
/// snippet with a caret) against "every error is one line".
#[test]
fn a_profile_toml_error_is_one_line_with_its_file_line_and_column() {
    let (_d, path) = temp_file(
        "bad.toml",
        b"name = \"x\"\ndescription = \"d\"\n[[rule]]\nname = 1 2\n",
    );
    let r = run([
        "check".as_ref(),
        "--profile".as_ref(),
        path.as_os_str(),
        testdata("clean-wsusscn2.cab").as_os_str(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let line = one_error_line(&r, "a bad profile");
    assert!(
        line.starts_with(&format!("{}: line 4, column 10: ", path.display())),
        "{line}"
    );
}

/// The same truncated file gave one message from `check` (its size against
/// the signature area) and another from `list`, `show`, `diff` and `info`
/// (the header's size, at byte 8).
#[test]
fn a_truncated_file_gives_the_same_error_from_every_command() {
    let clean = std::fs::read(testdata("clean-wsusscn2.cab")).unwrap();
    let mut files = vec![(
        "broken-truncated.cab".to_string(),
        std::fs::read(testdata("broken-truncated.cab")).unwrap(),
    )];
    for cut in [20, 100, clean.len() / 2, clean.len() - 1] {
        files.push((format!("cut to {cut} bytes"), clean[..cut].to_vec()));
    }
    for (what, bytes) in files {
        let (_d, path) = temp_file("truncated.cab", &bytes);
        let p = path.display().to_string();
        let commands: Vec<Vec<&str>> = vec![
            vec!["check", &p],
            vec!["list", &p],
            vec!["info", &p],
            vec!["verify", &p],
            vec!["diff", &p, &p],
            vec!["show", &p, "1"],
            vec!["baseline", &p],
        ];
        let mut seen: Vec<(String, String)> = Vec::new();
        for args in commands {
            let r = run(&args);
            assert_eq!(r.code, 3, "{what}: {}: {}", args[0], r.stderr);
            seen.push((args[0].to_string(), one_error_line(&r, &what)));
        }
        for (command, line) in &seen {
            assert_eq!(line, &seen[0].1, "{what}: {command} against check");
        }
    }
}

/// `diff --log` logged exit 1 as "incompatible" (check's word) and had no
/// summary of what differed.
#[test]
fn diff_log_says_different_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diff.log");
    let [t, a] = trust();
    let clean = testdata("clean-wsusscn2.cab");
    let sample = testdata("sample-wsusscn2.cab");
    for (new, code, meaning) in [(&sample, 1, "different"), (&clean, 0, "no differences")] {
        let _ = std::fs::remove_file(&log);
        let r = run([
            "diff".as_ref(),
            t.as_ref(),
            a.as_ref(),
            "--quiet".as_ref(),
            "--log".as_ref(),
            log.as_os_str(),
            clean.as_os_str(),
            new.as_os_str(),
        ]);
        assert_eq!(r.code, code, "{}", r.stderr);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains("incompatible"), "{text}");
        assert!(
            text.contains(&format!("exit code {code} ({meaning})")),
            "{text}"
        );
        let summary = if code == 1 {
            "different: "
        } else {
            "no differences"
        };
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("<![LOG[{summary}"))),
            "{text}"
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("old catalog ") && text.contains("new catalog "),
        "{text}"
    );
}

// ---- issue 13: the CMTrace log behind a symlink ----

/// `--log link.log`, the link pointing at the real log elsewhere: rolling
/// over renamed the link to `link.lo_` and started a regular file in its
/// place, so the operator's link was gone and the log split across two
/// directories. The log's target rolls over; the link stays a link.
#[cfg(unix)]
#[test]
fn log_through_a_symlink_rolls_over_its_target_and_keeps_the_link() {
    if !unix_exe("a Unix symlink as the log") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let link = dir.path().join("wsuscat.log");
    std::os::unix::fs::symlink("logs/real.log", &link).unwrap();
    let sample = testdata("sample-wsusscn2.cab");
    for _ in 0..3 {
        let r = run([
            "check".as_ref(),
            "--quiet".as_ref(),
            "--log".as_ref(),
            link.as_os_str(),
            "--log-max-bytes".as_ref(),
            "1500".as_ref(),
            "--trust-anchor".as_ref(),
            test_anchor().as_os_str(),
            sample.as_os_str(),
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert!(
        !dir.path().join("wsuscat.lo_").exists(),
        "the link itself was rolled over"
    );
    let rolled = dir.path().join("logs/real.lo_");
    assert!(rolled.is_file(), "the target did not roll over");
    let current = std::fs::read_to_string(&link).unwrap();
    assert!(current.contains("<![LOG["), "{current}");
}

// ---- issue 13: diff names what changed ----

/// A JSON string field, or `None`.
fn json_text(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// (title, KB) of one update or category as `show` reads them from `cab`'s
/// shards; `how` says how to trust the catalog.
fn shown_names(how: &[&str], cab: &str, id: &str) -> (Option<String>, Option<String>) {
    let mut args = vec!["show", "--format", "json"];
    args.extend_from_slice(how);
    args.extend_from_slice(&[cab, id]);
    let r = run(&args);
    assert_eq!(r.code, 0, "show {id}: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let n = &v["updates"][0]["names"];
    (json_text(&n["title"]), json_text(&n["kb"]))
}

/// `diff --format json` of two catalogs, parsed; the catalogs differ.
fn diff_json(how: &[&str], old: &str, new: &str) -> serde_json::Value {
    let mut args = vec!["diff", "--format", "json"];
    args.extend_from_slice(how);
    args.extend_from_slice(&[old, new]);
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Each of `d`'s products added is titled as `show` names it in `new`.
fn assert_products_added_titled(d: &serde_json::Value, how: &[&str], new: &str) {
    let products = d["products_added"].as_array().unwrap();
    assert!(!products.is_empty(), "the pair adds products");
    for p in products {
        let id = p.as_str().unwrap();
        let title = d["category_titles"][id]
            .as_str()
            .unwrap_or_else(|| panic!("product added {id} has no title: {}", d["category_titles"]));
        let (expected, _) = shown_names(how, new, id);
        assert_eq!(Some(title.to_string()), expected, "product {id}");
    }
}

/// `diff` reported what changed by UpdateId and RevisionId alone: "Products
/// added" showed a bare GUID, and updates added, removed or revised had no
/// title or KB number, though the shards hold both (issue 13). The names
/// must be the shards' own, as `show` reads them: NEW's for what NEW holds,
/// OLD's for what only OLD held; in JSON alongside the identities, and in
/// the human report on the changed item's own row.
#[test]
fn diff_names_products_and_updates_from_the_shards() {
    // The signed fixtures first: clean to sample adds ten products.
    let [t, anchor] = trust();
    let signed = [t.as_str(), anchor.as_str()];
    let clean = testdata("clean-wsusscn2.cab").display().to_string();
    let sample = testdata("sample-wsusscn2.cab").display().to_string();
    let d = diff_json(&signed, &clean, &sample);
    assert_products_added_titled(&d, &signed, &sample);

    // Then a generated pair, which has every kind of change.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.cab"), dir.path().join("b.cab"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    for (out, extra) in [(a, &[][..]), (b, &["--mutate", "7"][..])] {
        let mut args = vec![
            "generate",
            "--updates",
            "300",
            "--outer",
            "mszip",
            "--inner",
            "mszip",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", out]);
        let r = run(&args);
        assert_eq!(r.code, 0, "generate: {}", r.stderr);
    }
    let unsigned = ["--allow-unsigned"];
    let d = diff_json(&unsigned, a, b);
    assert_products_added_titled(&d, &unsigned, b);

    // Updates: added and revised named from NEW, removed from OLD, each
    // with a title and kb field beside its identity.
    let mut titled_with_kb = 0;
    for (section, cab, rev) in [
        ("added", b, "revision_id"),
        ("removed", a, "revision_id"),
        ("revised", b, "new_revision_id"),
    ] {
        let items = d[section].as_array().unwrap();
        assert!(!items.is_empty(), "the mutation has {section} updates");
        for item in items {
            let o = item.as_object().unwrap();
            assert!(o.contains_key("title") && o.contains_key("kb"), "{item}");
            assert!(o.contains_key("update_id") && o.contains_key(rev), "{item}");
        }
        // The first few, and the first with a KB: only bundles have one
        // (a bundled child's `x\` fragment carries none, as in real
        // catalogs), and the first few may all be children.
        let with_kb = items.iter().find(|i| !i["kb"].is_null());
        for item in items.iter().take(4).chain(with_kb) {
            let id = item[rev].as_u64().unwrap().to_string();
            let (title, kb) = shown_names(&unsigned, cab, &id);
            assert_eq!(json_text(&item["title"]), title, "{section} {id}: title");
            assert_eq!(json_text(&item["kb"]), kb, "{section} {id}: kb");
            if title.is_some_and(|t| !t.is_empty()) && kb.is_some() {
                titled_with_kb += 1;
            }
        }
    }
    assert!(titled_with_kb > 0, "some named update has a title and a KB");

    // The human report names them on their own rows.
    let human = run(["diff", "--allow-unsigned", a, b]);
    assert_eq!(human.code, 1, "{}", human.stderr);
    let pid = d["products_added"][0].as_str().unwrap();
    let ptitle = d["category_titles"][pid].as_str().unwrap();
    assert!(
        human.stdout.contains(&format!("  {ptitle}  ({pid})\n")),
        "product row: {}",
        human.stdout
    );
    // A removed update with a KB: a bundle (children carry none).
    let u = d["removed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| !u["kb"].is_null())
        .expect("a removed update has a KB");
    let row = format!(
        "  KB{}  {}  ({}  RevisionId {}",
        u["kb"].as_str().unwrap(),
        u["title"].as_str().unwrap(),
        u["update_id"].as_str().unwrap(),
        u["revision_id"]
    );
    assert!(human.stdout.contains(&row), "{row} in {}", human.stdout);

    // --no-names reads no shard and names nothing.
    let bare = run(["diff", "--allow-unsigned", "--no-names", a, b]);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
    assert!(!bare.stdout.contains(ptitle), "{}", bare.stdout);
    assert!(
        bare.stdout.contains(&format!("  {pid}\n")),
        "{}",
        bare.stdout
    );
}

// ---- issue 13: verify holds nested cabinets in bounded memory ----

/// libmspack's large-files-cab.cab (26 KB) holds one nested cabinet whose
/// three members claim 2 GiB each (and its blocks really decode to that):
/// verify collected every nested member whole and reached 2.1 GB before
/// exiting 3 (no index.xml).
#[test]
fn verify_streams_the_members_of_a_nested_cabinet_claiming_gigabytes() {
    use crate::common::memory;
    let Some(corpus) = corpus() else { return };
    if !memory::measurable() {
        return;
    }
    let path = corpus.join("libmspack/cabextract-cabs/large-files-cab.cab");
    let m = memory::run([
        "verify".as_ref(),
        "--allow-unsigned".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(m.code, 3, "{}", m.stderr);
    assert!(
        m.stderr.contains("the catalog has no index.xml"),
        "{}",
        m.stderr
    );
    // The bound for hostile input (issue 13); streaming needs a tenth of it.
    assert!(m.peak_mb() < 256, "{} MB: {}", m.peak_mb(), m.stderr);
}

/// A catalog whose shard holds one member of 2 GiB of zeros (a full CAB
/// folder: 65,535 MSZIP blocks, a megabyte or so as a shard) made verify
/// take 2.1 GB: the shard's member was collected whole. It is a valid catalog, and verify must pass it within
/// the bound of a real one.
#[test]
fn verify_passes_a_shard_of_one_2_gib_member_in_bounded_memory() {
    use crate::common::memory;
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::{Compression, MAX_BLOCK_UNCOMPRESSED};
    use wsuscat::commands::generate;
    if !memory::measurable() {
        return;
    }
    // 65,535 blocks of 32 KiB: the most one folder holds.
    let size = (u32::from(u16::MAX)) * MAX_BLOCK_UNCOMPRESSED as u32;
    let mut shard = CabBuilder::new();
    shard
        .add_folder(Compression::MsZip)
        .add_file_with("c\\1", size, |buf| buf.fill(0));
    let shard = shard.finish();
    assert!(shard.len() < 16 << 20, "{} bytes", shard.len());
    let (spec, package_cab) = small_catalog_parts(13, 60, 1);
    let index = generate::index_xml(&[("package2.cab".into(), 0)]);
    let shards = vec![("package2.cab".to_string(), shard)];
    let bytes = generate::assemble(&spec, &index, &package_cab, &shards);
    let (_d, path) = temp_file("zeros-2gib.cab", &bytes);
    let m = memory::run([
        "verify".as_ref(),
        "--allow-unsigned".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(m.peak_mb() <= 64, "{} MB: {}", m.peak_mb(), m.stderr);
}

// ---- issue 13: list and show name shard by shard in bounded memory ----

/// The flag that lets these tests read their unsigned, generated catalogs:
/// `--allow-unsigned`, or nothing for a binary from before list and show
/// checked signatures (8d66bf7 has no such flag and reads unsigned ones),
/// so that the old binary fails on memory, not on an unknown flag.
fn unsigned_flag(command: &str) -> Vec<&'static str> {
    let help = run([command, "--help"]);
    if help.stdout.contains("--allow-unsigned") {
        vec!["--allow-unsigned"]
    } else {
        Vec::new()
    }
}

/// `list` held every named update's title, KB and severity (`names::Gathered`,
/// about 280 bytes an update) until the last row was written: 45 MB for
/// 60k updates (92 MB at 8d66bf7), 203 MB at 408k. It now names shard by
/// shard in RevisionId order and drops each shard's names once its rows are
/// written: 26 MB here.
#[test]
fn list_holds_no_titles_of_the_whole_catalog() {
    if !memory::measurable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("60k.cab");
    let p = cab.to_str().unwrap();
    let generated = run([
        "generate",
        "--updates",
        "60000",
        "--outer",
        "mszip",
        "--inner",
        "mszip",
        "-o",
        p,
    ]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let mut args = vec!["list"];
    args.extend(unsigned_flag("list"));
    args.push(p);
    let m = memory::run(&args);
    assert_eq!(m.code, 0, "{}", m.stderr);
    // 26 MB streaming; 45 MB holding the titles; 92 MB at 8d66bf7.
    assert!(
        m.peak_mb() <= 36,
        "list of 60k updates peaked at {} MB (bound 36)",
        m.peak_mb()
    );
}

/// `show` of an update whose `x\` fragment is one 2 GiB member of zeros (a
/// few MB compressed) expanded the whole member into one buffer: 2.9 GB.
/// A wanted fragment is now refused above `MAX_FRAGMENT_BYTES`, before its
/// folder is decoded: exit 3, one line naming the bound.
#[test]
fn show_refuses_a_two_gib_fragment_without_expanding_it() {
    use wsuscat::cab::writer::CabBuilder;
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate;
    if !memory::measurable() {
        return;
    }
    let xml =
        "<OfflineSyncPackage xmlns=\"http://schemas.microsoft.com/msus/2004/02/OfflineSync\" \
         MinimumClientVersion=\"5.8.0.2678\" CreationDate=\"2026-05-12T08:51:08Z\"><Updates>\
         <Update UpdateId=\"{00000000-0000-0000-0000-000000000001}\" RevisionNumber=\"1\" \
         RevisionId=\"1000\" IsLeaf=\"true\"></Update></Updates>\
         <FileLocations></FileLocations></OfflineSyncPackage>";
    let package_cab =
        generate::single_member_cab("package.xml", xml.as_bytes(), Compression::MsZip);
    let mut shard = CabBuilder::new();
    shard.add_folder(Compression::MsZip);
    shard.add_file("c\\1000", b"<UpdateIdentity UpdateID=\"00000000-0000-0000-0000-000000000001\" RevisionNumber=\"1\" />");
    // 2 GiB less 1 MiB: a folder holds at most 65535 blocks of 32 KiB.
    let len: u32 = (2 << 30) - (1 << 20);
    let mut zeros = std::io::Read::take(std::io::repeat(0), u64::from(len));
    shard
        .add_file_from_reader("x\\1000", len, &mut zeros)
        .unwrap();
    let shards = vec![("package2.cab".to_string(), shard.finish())];
    let index = generate::index_xml(&[("package2.cab".to_string(), 0)]);
    let spec = generate::Spec {
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        ..generate::Spec::default()
    };
    let cab = generate::assemble(&spec, &index, &package_cab, &shards);
    drop(shards);
    let (_d, path) = temp_file("zeros.cab", &cab);
    drop(cab);
    let mut args = vec!["show"];
    args.extend(unsigned_flag("show"));
    args.extend([path.to_str().unwrap(), "1000"]);
    let m = memory::run(&args);
    assert!(
        m.peak_mb() < 256,
        "show peaked at {} MB (bound 256); exit {}: {}",
        m.peak_mb(),
        m.code,
        m.stderr
    );
    assert_eq!(m.code, 3, "{}", m.stderr);
    let line = m.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("MAX_FRAGMENT_BYTES") && line.contains("x\\1000"),
        "{line}"
    );
}

// ---- issue 13: check with a profile that flags every update ----

/// A profile that flags every update of a full-scale catalog (136k
/// updates): each finding carried its own copies of the rule's name,
/// profile, attribute and message, each subject its own copies of
/// "Product" and "en", and every report was rendered whole before being
/// written (the human one with `--all` a row per update): 368 MB. The
/// bound is 256 MB.
#[test]
fn check_flagging_every_update_of_a_full_catalog_stays_under_256_mb() {
    use crate::common::memory;
    if !memory::measurable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("full.cab");
    let r = run([
        "generate".as_ref(),
        "--updates".as_ref(),
        "136000".as_ref(),
        "--outer".as_ref(),
        "mszip".as_ref(),
        "--inner".as_ref(),
        "mszip".as_ref(),
        "-o".as_ref(),
        cab.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let profile = dir.path().join("every.toml");
    std::fs::write(
        &profile,
        "name = \"every\"\ndescription = \"flags every update\"\n\n[[rule]]\n\
         name = \"any-action\"\nattribute = \"DeploymentAction\"\nallow_absent = false\n\
         allowed = [\"NoSuchAction\"]\nseverity = \"breaks\"\n",
    )
    .unwrap();
    // `--all`: the human report's table has a row per update.
    for format in ["json", "jsonl", "csv", "human", "human --all"] {
        let mut args: Vec<std::ffi::OsString> = vec![
            "check".into(),
            "--allow-unsigned".into(),
            "--profile".into(),
            profile.clone().into(),
            "--format".into(),
        ];
        args.extend(format.split(' ').map(std::ffi::OsString::from));
        args.push(cab.clone().into());
        let m = memory::run(&args);
        assert_eq!(m.code, 1, "{format}: {}", m.stderr);
        assert!(
            m.peak_mb() <= 256,
            "{format}: {} MB flagging every update",
            m.peak_mb()
        );
    }
}

/// `list` streams its rows shard by shard; a shard found damaged after
/// rows were written must still end as a failure that says so: exit 3, one
/// error line, an `error` event closing the JSON Lines stream (never a
/// `summary`), and with `--output` the previous report left in place and
/// no temp file. Was (issue 13): the partial stream's ending was
/// undocumented and untested.
#[test]
fn list_stopped_by_a_damaged_last_shard_ends_as_a_failure() {
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate::{self, Spec};
    let spec = Spec {
        seed: 5,
        updates: 300,
        shards: 3,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        ..Spec::default()
    };
    let g = generate::generate(&spec);
    let cab = Cabinet::parse(&mut Cursor::new(&g.cab)).unwrap();
    let mut members = Vec::new();
    cab.stream_members(
        || Ok(Cursor::new(&g.cab[..])),
        |_| true,
        |f, data| {
            members.push((f.name.clone(), data));
            Ok(())
        },
    )
    .unwrap();
    let package_cab = members
        .iter()
        .find(|(n, _)| n == "package.cab")
        .unwrap()
        .1
        .clone();
    let mut shards: Vec<(String, Vec<u8>)> = members
        .into_iter()
        .filter(|(n, _)| n.starts_with("package") && n != "package.cab")
        .collect();
    let last = shards.iter().map(|(n, _)| n.clone()).max().unwrap();
    let shard = &mut shards.iter_mut().find(|(n, _)| *n == last).unwrap().1;
    let inner = Cabinet::parse(&mut Cursor::new(&shard[..])).unwrap();
    let first = inner.folders[0].data_offset as usize;
    shard[first + 8 + 50] ^= 0x01;
    let bytes = generate::assemble(&spec, &g.index_xml, &package_cab, &shards);
    let (dir, path) = temp_file("damaged-last-shard.cab", &bytes);

    let r = run([
        "list".as_ref(),
        "--allow-unsigned".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(&last), "names the shard: {}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines.len() > 1,
        "rows of the earlier shards came first: {}",
        r.stdout
    );
    let end: serde_json::Value = serde_json::from_str(lines.last().unwrap()).expect("JSON line");
    assert_eq!(end["type"], "error", "{}", r.stdout);
    assert!(!r.stdout.contains("\"type\":\"summary\""), "{}", r.stdout);

    let report = dir.path().join("list.csv");
    std::fs::write(&report, "previous report\n").unwrap();
    let r = run([
        "list".as_ref(),
        "--allow-unsigned".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--output".as_ref(),
        report.as_os_str(),
        path.as_os_str(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "previous report\n"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("wsuscat-tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

/// Real catalogs give a bundled child no KB of its own, and findings land
/// on children: the incident's finding showed `KB -` once the generator
/// wrote that real shape. Its bundle's KB stands in (human), and JSON keeps
/// the child's own `kb` (null) beside the bundle's.
#[test]
fn a_bundled_childs_finding_shows_its_bundles_kb() {
    let sample = testdata("sample-wsusscn2.cab");
    let r = run([
        "check".as_ref(),
        "--trust-anchor".as_ref(),
        test_anchor().as_os_str(),
        sample.as_os_str(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let row = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1293995"))
        .expect("the finding's row");
    assert!(row.contains("bundled child KB5019120 "), "{row}");
    let t = trust();
    let (code, json) = check_json(&sample, &[&t[0], &t[1]]);
    assert_eq!(code, 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["kb"], serde_json::Value::Null, "{finding}");
    assert_eq!(finding["bundled_by"]["kb"], "5019120", "{finding}");
}

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

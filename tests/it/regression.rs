//! One test per bug found, each saying what broke.

use std::io::Cursor;

use crate::common::*;
use wsuscat::cab::Cabinet;

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

//! The CAB Authenticode digest reproduces the digest embedded by three
//! different signers (gcab/LVFS SHA-1, jsign SHA-256, osslsigncode SHA-256),
//! streamed or fed in arbitrary chunks, and differs for a tampered file.

use std::io::Cursor;
use wsuscat::trust::signature::{
    cab_digest, AuthenticodeSignature, CabDigester, DigestAlgorithm, Error,
};

fn embedded(bytes: &[u8]) -> AuthenticodeSignature {
    let l = crate::common::signature::layout(bytes);
    let blob = &bytes[l.sig_offset as usize..(l.sig_offset + l.sig_len) as usize];
    AuthenticodeSignature::parse(blob).expect("parse signature")
}

fn check_reproduces(rel: &str, alg: DigestAlgorithm, prefix: &str) {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, rel);
    let sig = embedded(&bytes);
    assert_eq!(sig.digest_algorithm(), alg, "{rel}");
    let l = crate::common::signature::layout(&bytes);
    let d = cab_digest(&mut Cursor::new(&bytes), &l, alg).expect("digest");
    assert_eq!(d, sig.embedded_digest(), "{rel}: digest must reproduce");
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        hex.starts_with(prefix),
        "{rel}: {hex} should start with {prefix}"
    );
    sig.check_file_digest(&d).expect("check_file_digest");
}

#[test]
fn gcab_sha1_digest_reproduces() {
    check_reproduces("gcab/test-signed.cab", DigestAlgorithm::Sha1, "1b61dba1");
}

#[test]
fn jsign_sha256_digest_reproduces() {
    check_reproduces(
        "jsign/cabinet-sample-3-signed.cab",
        DigestAlgorithm::Sha256,
        "ec940a0c",
    );
}

#[test]
fn osslsigncode_nested_sha256_digest_reproduces() {
    check_reproduces(
        "generated/signed-sha256-nested.cab",
        DigestAlgorithm::Sha256,
        "",
    );
}

#[test]
fn tampered_digest_mismatches() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested-tampered.cab");
    let sig = embedded(&bytes);
    let l = crate::common::signature::layout(&bytes);
    let d = cab_digest(&mut Cursor::new(&bytes), &l, sig.digest_algorithm()).expect("digest");
    assert_ne!(d, sig.embedded_digest());
    match sig.check_file_digest(&d) {
        Err(Error::DigestMismatch {
            expected_hex,
            actual_hex,
            ..
        }) => assert_ne!(expected_hex, actual_hex),
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
}

/// Feeding the file in chunks of any size (1 byte, odd sizes, the whole file)
/// gives the same digest as `cab_digest`, and keeps the signature blob.
#[test]
fn digester_is_chunking_independent_and_keeps_signature() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    for rel in [
        "gcab/test-signed.cab",
        "jsign/cabinet-sample-3-signed.cab",
        "generated/signed-sha256-nested.cab",
    ] {
        let bytes = crate::common::signature::read(&dir, rel);
        let l = crate::common::signature::layout(&bytes);
        let want1 = cab_digest(&mut Cursor::new(&bytes), &l, DigestAlgorithm::Sha1).unwrap();
        let want256 = cab_digest(&mut Cursor::new(&bytes), &l, DigestAlgorithm::Sha256).unwrap();
        for chunk in [1usize, 3, 7, 59, 60, 61, 4096, bytes.len()] {
            let mut d = CabDigester::new(&l, &[DigestAlgorithm::Sha1, DigestAlgorithm::Sha256])
                .keep_signature();
            for c in bytes.chunks(chunk) {
                d.update(c);
            }
            assert_eq!(d.position(), bytes.len() as u64);
            let out = d.finalize().expect("finalize");
            assert_eq!(
                out.get(DigestAlgorithm::Sha1),
                Some(want1.as_slice()),
                "{rel} {chunk}"
            );
            assert_eq!(
                out.get(DigestAlgorithm::Sha256),
                Some(want256.as_slice()),
                "{rel} {chunk}"
            );
            assert_eq!(out.get(DigestAlgorithm::Sha512), None);
            assert_eq!(
                out.signature_blob(),
                Some(&bytes[l.sig_offset as usize..]),
                "{rel}: kept signature"
            );
        }
    }
}

/// Stopping before the signature offset is an error, not a wrong digest.
#[test]
fn digester_short_stream_is_size_mismatch() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    let l = crate::common::signature::layout(&bytes);
    let mut d = CabDigester::new(&l, &[DigestAlgorithm::Sha256]);
    d.update(&bytes[..l.sig_offset as usize - 1]);
    match d.finalize() {
        Err(Error::SizeMismatch { expected, actual }) => {
            assert_eq!(expected, u64::from(l.sig_offset));
            assert_eq!(actual, u64::from(l.sig_offset) - 1);
        }
        other => panic!("expected SizeMismatch, got {other:?}"),
    }
}

/// The skipped header bytes (4..8 and 34..56) do not affect the digest;
/// every other byte before the signature does.
#[test]
fn digest_covers_exactly_the_documented_ranges() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "gcab/test-signed.cab");
    let l = crate::common::signature::layout(&bytes);
    let base = cab_digest(&mut Cursor::new(&bytes), &l, DigestAlgorithm::Sha256).unwrap();
    for i in 0..l.sig_offset as usize {
        // Keep the layout fields and the structural ones the digester checks.
        if i < 4
            || (8..12).contains(&i)
            || (16..20).contains(&i)
            || (24..32).contains(&i)
            || (44..52).contains(&i)
        {
            continue;
        }
        let mut m = bytes.clone();
        m[i] ^= 0x01;
        let d = cab_digest(&mut Cursor::new(&m), &l, DigestAlgorithm::Sha256);
        let skipped = (4..8).contains(&i) || (34..56).contains(&i);
        match d {
            Ok(d) => assert_eq!(d == base, skipped, "byte {i}"),
            Err(e) => panic!("byte {i}: {e}"),
        }
    }
}

/// Throughput of the streaming digester on 256 MiB (run with `--ignored`;
/// prints MB/s). Not a pass/fail benchmark.
#[test]
#[ignore]
fn digester_throughput() {
    let total: u32 = 256 << 20;
    let mut head = vec![0u8; 60];
    head[..4].copy_from_slice(b"MSCF");
    head[8..12].copy_from_slice(&total.to_le_bytes());
    head[16..20].copy_from_slice(&60u32.to_le_bytes());
    head[24] = 3;
    head[25] = 1;
    head[30] = 4;
    head[36] = 20;
    head[40..44].copy_from_slice(&[0, 0, 0x10, 0]);
    head[44..48].copy_from_slice(&total.to_le_bytes());
    head[48..52].copy_from_slice(&8u32.to_le_bytes());
    let l = wsuscat::trust::signature::preflight(&head, u64::from(total) + 8)
        .unwrap()
        .signed
        .unwrap();
    let chunk = vec![0x5au8; 1 << 20];
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha1] {
        let t = std::time::Instant::now();
        let mut d = CabDigester::new(&l, &[alg]);
        d.update(&head);
        let mut fed = 60u64;
        while fed < u64::from(total) + 8 {
            let n = chunk.len().min((u64::from(total) + 8 - fed) as usize);
            d.update(&chunk[..n]);
            fed += n as u64;
        }
        d.finalize().unwrap();
        let s = t.elapsed().as_secs_f64();
        eprintln!("{alg}: {:.0} MB/s", f64::from(total) / 1e6 / s);
    }
}

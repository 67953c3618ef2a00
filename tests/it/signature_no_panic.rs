//! No input makes the library panic: every corpus cabinet, and signature
//! blobs truncated at every length, bit-flipped at every position, and
//! randomly damaged, all come back as `Ok` or `Err`.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use wsuscat::trust::signature::{cab_digest, AuthenticodeSignature, TrustAnchors};

fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => panic!("PANIC on {what}"),
    }
}

fn anchor_sets(dir: &Path) -> Vec<TrustAnchors> {
    let mut generated =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).unwrap();
    generated.extend(
        TrustAnchors::from_pem_files(&[
            dir.join("jsign/jsign-root-ca-2017.pem"),
            dir.join("jsign/jsign-code-signing-ca-2017.pem"),
        ])
        .unwrap(),
    );
    vec![
        TrustAnchors::microsoft_default().unwrap(),
        generated,
        TrustAnchors::empty(),
    ]
}

#[test]
fn every_corpus_cab_returns_without_panic() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let files = crate::common::files_with_ext(&dir, "cab");
    assert!(
        files.len() > 50,
        "expected the whole corpus, found {}",
        files.len()
    );
    let anchors = anchor_sets(&dir);
    let (mut ok, mut err) = (0, 0);
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let name = p.display().to_string();
        no_panic(&name, || {
            let _ = wsuscat::trust::signature::preflight(
                &bytes[..bytes.len().min(60)],
                bytes.len() as u64,
            );
            // Also with a head that is too short and a wrong length.
            let _ = wsuscat::trust::signature::preflight(
                &bytes[..bytes.len().min(13)],
                bytes.len() as u64,
            );
            let _ = wsuscat::trust::signature::preflight(&bytes[..bytes.len().min(60)], 0);
            let _ = wsuscat::trust::signature::preflight(&bytes[..bytes.len().min(60)], u64::MAX);
            for a in &anchors {
                match crate::common::signature::verify_bytes(
                    &bytes,
                    a,
                    crate::common::signature::fixed_now(),
                ) {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        let _ = e.to_string();
                        err += 1
                    }
                }
            }
        });
    }
    eprintln!("{} files: {ok} Ok, {err} Err", files.len());
    assert!(
        ok >= 2,
        "the good signed files should verify with their anchors"
    );
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn damaged_signature_blobs_return_without_panic() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let anchors = anchor_sets(&dir);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for rel in [
        "jsign/cabinet-sample-3-signed.cab",
        "generated/signed-sha256-nested.cab",
        "gcab/test-signed.cab",
    ] {
        let bytes = crate::common::signature::read(&dir, rel);
        let l = crate::common::signature::layout(&bytes);
        let blob = &bytes[l.sig_offset as usize..];
        let sig = AuthenticodeSignature::parse(blob).unwrap();
        let digest = cab_digest(&mut Cursor::new(&bytes), &l, sig.digest_algorithm()).unwrap();
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        let mut try_blob = |b: &[u8], what: &str| {
            no_panic(what, || {
                let k = match AuthenticodeSignature::parse(b) {
                    Err(e) => {
                        let _ = e.to_string();
                        "parse error".to_string()
                    }
                    Ok(s) => {
                        let _ = s.certificate_subjects();
                        match s.verify(&digest, &anchors[1], crate::common::signature::fixed_now())
                        {
                            Ok(_) => "ok".into(),
                            Err(e) => {
                                let d = format!("{e:?}");
                                d.split([' ', '(', '{']).next().unwrap_or("").to_string()
                            }
                        }
                    }
                };
                *outcomes.entry(k).or_default() += 1;
            })
        };
        // Every truncation.
        for n in 0..blob.len() {
            try_blob(&blob[..n], &format!("{rel} truncated to {n}"));
        }
        // Every single-bit flip (bit chosen per position).
        for i in 0..blob.len() {
            let mut m = blob.to_vec();
            m[i] ^= 1 << (i % 8);
            try_blob(&m, &format!("{rel} bit flip at {i}"));
        }
        // Random multi-byte damage, including length bytes set to 0x80..0xff.
        for round in 0..1500 {
            let mut m = blob.to_vec();
            let k = 1 + (rng.next() % 4) as usize;
            for _ in 0..k {
                let i = (rng.next() as usize) % m.len();
                m[i] = match rng.next() % 3 {
                    0 => rng.next() as u8,
                    1 => 0x80 | (rng.next() as u8 & 0x0f),
                    _ => 0xff,
                };
            }
            try_blob(&m, &format!("{rel} random damage round {round}"));
        }
        eprintln!("{rel}: {outcomes:?}");
        // Whole-file path: shrink the signature area in the header too.
        for n in (0..l.sig_len).step_by(97) {
            let mut f = bytes[..l.sig_offset as usize + n as usize].to_vec();
            f[48..52].copy_from_slice(&n.to_le_bytes());
            no_panic(&format!("{rel} signature area of {n} bytes"), || {
                for a in &anchors {
                    let _ = crate::common::signature::verify_bytes(
                        &f,
                        a,
                        crate::common::signature::fixed_now(),
                    );
                }
            });
        }
    }
}

/// Damage in the cabinet header fields that the digester parses (flags,
/// folder count, coffFiles, names) is an error, never a panic.
#[test]
fn damaged_headers_return_without_panic() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let anchors = TrustAnchors::empty();
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    for i in 0..80 {
        for v in [0u8, 1, 2, 3, 0x7f, 0x80, 0xff] {
            let mut m = bytes.clone();
            m[i] = v;
            no_panic(&format!("header byte {i} = {v}"), || {
                let _ = crate::common::signature::verify_bytes(
                    &m,
                    &anchors,
                    crate::common::signature::fixed_now(),
                );
            });
        }
    }
}

//! O(1) preflight: the size promised by the header against the file length.

use wsuscat::trust::signature::{preflight, Error, TrustAnchors};

#[test]
fn signed_layout_is_read_from_the_reserve() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    let pf = preflight(&bytes[..60], bytes.len() as u64).expect("preflight");
    let l = pf.signed.expect("signed");
    assert_eq!(l.cb_cabinet, 27187);
    assert_eq!(l.sig_offset, 27187);
    assert_eq!(l.sig_len, 4904);
    assert_eq!(l.file_len, 32091);
}

#[test]
fn signed_truncated_or_padded_by_one_byte_is_size_mismatch() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    for rel in [
        "jsign/cabinet-sample-3-signed.cab",
        "gcab/test-signed.cab",
        "generated/signed-sha256-nested.cab",
    ] {
        let bytes = crate::common::signature::read(&dir, rel);
        let n = bytes.len() as u64;
        for (len, what) in [(n - 1, "truncated"), (n + 1, "padded")] {
            match preflight(&bytes[..60], len) {
                Err(e @ Error::SizeMismatch { .. }) => {
                    let Error::SizeMismatch { expected, actual } = e else {
                        unreachable!()
                    };
                    assert_eq!((expected, actual), (n, len), "{rel} {what}");
                }
                other => panic!("{rel} {what}: expected SizeMismatch, got {other:?}"),
            }
        }
        // The same through verify() on real truncated / padded bytes.
        let anchors = TrustAnchors::empty();
        let short = &bytes[..bytes.len() - 1];
        assert!(
            matches!(
                crate::common::signature::verify_bytes(
                    short,
                    &anchors,
                    crate::common::signature::fixed_now()
                ),
                Err(Error::SizeMismatch { .. })
            ),
            "{rel} truncated"
        );
        let mut long = bytes.clone();
        long.push(0);
        assert!(
            matches!(
                crate::common::signature::verify_bytes(
                    &long,
                    &anchors,
                    crate::common::signature::fixed_now()
                ),
                Err(Error::SizeMismatch { .. })
            ),
            "{rel} padded"
        );
    }
}

#[test]
fn unsigned_truncated_corpus_file_is_size_mismatch() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/truncated-mszip.cab");
    match preflight(&bytes[..60], bytes.len() as u64) {
        Err(e @ Error::SizeMismatch { .. }) => {
            assert!(e.to_string().contains("truncated or padded"), "{e}");
            assert!(matches!(
                e,
                Error::SizeMismatch {
                    expected: 258148,
                    actual: 154888
                }
            ));
        }
        other => panic!("expected SizeMismatch, got {other:?}"),
    }
}

#[test]
fn unsigned_exact_size_passes_and_one_byte_off_fails() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "gcab/test-mszip.cab");
    let n = bytes.len() as u64;
    let pf = preflight(&bytes[..60], n).expect("preflight");
    assert!(pf.signed.is_none());
    assert_eq!(u64::from(pf.cb_cabinet), n);
    assert!(matches!(
        preflight(&bytes[..60], n + 1),
        Err(Error::SizeMismatch { .. })
    ));
    assert!(matches!(
        preflight(&bytes[..60], n - 1),
        Err(Error::SizeMismatch { .. })
    ));
}

#[test]
fn non_signature_reserve_is_treated_as_unsigned() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    // 6144-byte header reserve, magic 0: not Authenticode.
    let bytes = crate::common::signature::read(&dir, "jsign/mscab/sample4.cab");
    let pf = preflight(&bytes[..60], bytes.len() as u64).expect("preflight");
    assert!(pf.signed.is_none());
}

#[test]
fn header_errors_are_typed() {
    assert!(matches!(preflight(b"", 0), Err(Error::NotCabinet { .. })));
    assert!(matches!(
        preflight(b"PK\x03\x04", 4),
        Err(Error::NotCabinet { .. })
    ));
    assert!(matches!(
        preflight(b"MSCF", 4),
        Err(Error::NotCabinet { .. })
    ));
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "gcab/CVE-2015-4470.cab");
    assert!(matches!(
        preflight(&bytes, bytes.len() as u64),
        Err(Error::UnsupportedVersion {
            major: 129,
            minor: 3
        })
    ));
    // A head shorter than 60 bytes of a longer file is refused, not guessed.
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    assert!(matches!(
        preflight(&bytes[..40], bytes.len() as u64),
        Err(Error::NotCabinet { .. })
    ));
    // Signature offset different from cbCabinet.
    let mut m = bytes[..60].to_vec();
    m[44] ^= 1;
    assert!(matches!(
        preflight(&m, bytes.len() as u64),
        Err(Error::HeaderInconsistent { .. })
    ));
}

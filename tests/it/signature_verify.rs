//! Full verification against the corpus: good signatures with the right
//! anchors, and each failure mode with its own error.

use wsuscat::trust::signature::{DigestAlgorithm, Error, TimeSource, TrustAnchors};

fn jsign_anchor_files(dir: &std::path::Path) -> [std::path::PathBuf; 2] {
    [
        dir.join("jsign/jsign-root-ca-2017.pem"),
        dir.join("jsign/jsign-code-signing-ca-2017.pem"),
    ]
}

#[test]
fn jsign_sample_verifies_with_jsign_anchors() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    let anchors = TrustAnchors::from_pem_files(&jsign_anchor_files(&dir)).expect("anchors");
    assert_eq!(anchors.len(), 2);
    let r = crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect("verify");
    println!("{r:#?}");
    assert_eq!(r.signer_subject, "CN=Jsign Code Signing Test Certificate");
    assert_eq!(r.signer_issuer, "CN=Jsign Code Signing CA");
    assert_eq!(r.signer_serial, "ff4e6716a6ae6710");
    assert_eq!(r.digest_algorithm, DigestAlgorithm::Sha256);
    assert!(r.file_digest_hex.starts_with("ec940a0c"));
    assert_eq!(r.chain.len(), 2, "leaf -> code signing CA (an anchor here)");
    assert_eq!(r.anchor_subject, "CN=Jsign Code Signing CA");
    assert_eq!(
        r.anchor_sha256,
        "d1e0bfe708d8c21bf0e289a48b3eca6ec7834f20a3be7287454584c77e92910c"
    );
    // The RFC 3161 token (Symantec TSA) verifies cryptographically, but its
    // root is not among the anchors: its time is reported, not used.
    assert_eq!(r.signing_time_source, TimeSource::Rfc3161);
    assert!(!r.timestamp_verified);
    let st = r.signing_time.as_ref().expect("signing time");
    assert!(st.utc.starts_with("20"), "{st:?}");
    assert!(r
        .timestamp_signer
        .as_deref()
        .unwrap_or("")
        .contains("Symantec"));
    assert!(
        r.notes.iter().any(|n| n.contains("no trust anchor found")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.validated_at.unix_secs, 1_795_737_600);
}

/// Only the root is trusted; the CA certificate is offered as an untrusted
/// intermediate, so the chain is leaf -> CA -> root.
#[test]
fn jsign_sample_verifies_with_root_anchor_and_intermediate() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    let [root, ca] = jsign_anchor_files(&dir);
    let mut anchors = TrustAnchors::from_pem_files(&[root]).expect("root");
    // Without the intermediate: no path.
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(Error::UntrustedChain { reason }) => {
            assert!(
                reason.contains("no trust anchor found for issuer 'CN=Jsign Code Signing CA'"),
                "{reason}"
            )
        }
        other => panic!("expected UntrustedChain, got {other:?}"),
    }
    anchors.add_intermediates(TrustAnchors::from_pem_files(&[ca]).expect("ca"));
    let r = crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect("verify");
    assert_eq!(
        r.chain,
        vec![
            "CN=Jsign Code Signing Test Certificate".to_string(),
            "CN=Jsign Code Signing CA".to_string(),
            "CN=Jsign Root Certificate Authority".to_string()
        ]
    );
    assert_eq!(r.anchor_subject, "CN=Jsign Root Certificate Authority");
}

#[test]
fn generated_nested_verifies_with_test_root() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    let anchors =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).expect("anchors");
    let r = crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect("verify");
    println!("{r:#?}");
    assert!(!r.signer_subject.is_empty());
    assert_eq!(r.anchor_subject, "CN=cab-corpus Test Root CA");
    assert_eq!(r.digest_algorithm, DigestAlgorithm::Sha256);
    assert_eq!(r.content_data_type, "1.3.6.1.4.1.311.2.1.25");
    assert_eq!(r.chain.len(), 2);
    assert_eq!(
        r.chain.last().map(String::as_str),
        Some("CN=cab-corpus Test Root CA")
    );
}

#[test]
fn generated_nested_tampered_is_digest_mismatch() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested-tampered.cab");
    let anchors =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).expect("anchors");
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(e @ Error::DigestMismatch { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("altered"), "{msg}");
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
}

#[test]
fn gcab_signed_is_signer_certificate_missing() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "gcab/test-signed.cab");
    let anchors = TrustAnchors::microsoft_default().expect("anchors");
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(e @ Error::SignerCertificateMissing { .. }) => {
            println!("{e}");
            let Error::SignerCertificateMissing {
                signer_id,
                bag,
                note,
            } = e
            else {
                unreachable!()
            };
            assert!(note.unwrap_or_default().contains("LVFS CA"));
            assert!(!signer_id.is_empty());
            assert!(bag.iter().any(|s| s.contains("LVFS CA")), "{bag:?}");
        }
        other => panic!("expected SignerCertificateMissing, got {other:?}"),
    }
}

#[test]
fn microsoft_anchors_reject_jsign_sample() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "jsign/cabinet-sample-3-signed.cab");
    let anchors = TrustAnchors::microsoft_default().expect("anchors");
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(e @ Error::UntrustedChain { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("no trust anchor found for issuer 'CN=Jsign Code Signing CA'"),
                "{msg}"
            );
        }
        other => panic!("expected UntrustedChain, got {other:?}"),
    }
}

#[test]
fn empty_anchor_set_is_untrusted_never_success() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    match crate::common::signature::verify_bytes(
        &bytes,
        &TrustAnchors::empty(),
        crate::common::signature::fixed_now(),
    ) {
        Err(Error::UntrustedChain { reason }) => {
            assert!(reason.contains("no trust anchor found"), "{reason}");
            assert!(
                reason.contains("no trust anchors are configured"),
                "{reason}"
            );
        }
        other => panic!("expected UntrustedChain, got {other:?}"),
    }
}

#[test]
fn validity_is_checked_at_the_validation_time() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    let anchors =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).expect("anchors");
    // 2020: before the 2026 test root and leaf existed.
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::unix(1_577_836_800),
    ) {
        Err(e @ Error::NotYetValid { .. }) => assert!(e.to_string().contains("2020-01-01"), "{e}"),
        other => panic!("expected NotYetValid, got {other:?}"),
    }
    // 2200: after both expired.
    match crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::unix(7_258_118_400),
    ) {
        Err(Error::CertificateExpired { subject, at, .. }) => {
            assert!(!subject.is_empty());
            assert!(at.contains("current time"), "{at}");
        }
        other => panic!("expected CertificateExpired, got {other:?}"),
    }
}

#[test]
fn unsigned_cabinet_is_unsigned() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "gcab/test-mszip.cab");
    let anchors = TrustAnchors::microsoft_default().expect("anchors");
    assert!(matches!(
        crate::common::signature::verify_bytes(
            &bytes,
            &anchors,
            crate::common::signature::fixed_now()
        ),
        Err(Error::Unsigned)
    ));
}

#[test]
fn one_pass_digester_flow_matches_verify() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    let anchors =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).expect("anchors");
    let l = crate::common::signature::layout(&bytes);
    // Hash both candidate algorithms while streaming, keep the signature,
    // then verify without any second read.
    let mut d = wsuscat::trust::signature::CabDigester::new(
        &l,
        &[DigestAlgorithm::Sha1, DigestAlgorithm::Sha256],
    )
    .keep_signature();
    for c in bytes.chunks(65536) {
        d.update(c);
    }
    let digests = d.finalize().expect("finalize");
    let sig = wsuscat::trust::signature::AuthenticodeSignature::parse(
        digests.signature_blob().expect("blob"),
    )
    .expect("parse");
    let r = sig
        .verify_digests(&digests, &anchors, crate::common::signature::fixed_now())
        .expect("verify");
    let r2 = crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect("verify");
    assert_eq!(r.signer_subject, r2.signer_subject);
    assert_eq!(r.file_digest_hex, r2.file_digest_hex);
    // A digester that did not compute the needed algorithm says so.
    let mut d1 = wsuscat::trust::signature::CabDigester::new(&l, &[DigestAlgorithm::Sha1]);
    d1.update(&bytes);
    match sig.verify_digests(
        &d1.finalize().unwrap(),
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(Error::DigestNotComputed { algorithm }) => {
            assert_eq!(algorithm, DigestAlgorithm::Sha256)
        }
        other => panic!("expected DigestNotComputed, got {other:?}"),
    }
}

#[test]
fn microsoft_default_anchors_match_pinned_fingerprints() {
    let a = TrustAnchors::microsoft_default().expect("anchors");
    assert_eq!(
        a.sha256_fingerprints(),
        vec![
            wsuscat::trust::signature::MICROSOFT_ROOT_2010_SHA256.to_string(),
            wsuscat::trust::signature::MICROSOFT_ROOT_2011_SHA256.to_string()
        ]
    );
    // Independently of the library code path: hash the embedded files.
    use sha2::Digest;
    for (file, pin) in [
        (
            "src/trust/signature/anchors/microsoft-root-ca-2010.der",
            wsuscat::trust::signature::MICROSOFT_ROOT_2010_SHA256,
        ),
        (
            "src/trust/signature/anchors/microsoft-root-ca-2011.der",
            wsuscat::trust::signature::MICROSOFT_ROOT_2011_SHA256,
        ),
    ] {
        let der =
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let h: String = sha2::Sha256::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(h, pin, "{file}");
    }
    let subjects = a.subjects();
    assert!(
        subjects[0].contains("Microsoft Root Certificate Authority 2010"),
        "{subjects:?}"
    );
    assert!(
        subjects[1].contains("Microsoft Root Certificate Authority 2011"),
        "{subjects:?}"
    );
}

#[test]
fn microsoft_roots_from_corpus_pem_equal_embedded() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let pem = TrustAnchors::from_pem_files(&[
        dir.join("authroot/microsoft-roots/3B1EFD3A66EA28B16697394703A72CA340A05BD5.pem"),
        dir.join("authroot/microsoft-roots/8F43288AD272F3103B6FB1428485EA3014C0BCFE.pem"),
    ])
    .expect("pem");
    assert_eq!(
        pem.sha256_fingerprints(),
        TrustAnchors::microsoft_default()
            .unwrap()
            .sha256_fingerprints()
    );
}

#[test]
fn bad_anchor_files_are_errors() {
    let tmp = crate::common::signature::scratch();
    let p = tmp.path().join("junk.pem");
    std::fs::write(
        &p,
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert!(matches!(
        TrustAnchors::from_pem_files(&[&p]),
        Err(Error::TrustAnchor { .. })
    ));
    std::fs::write(&p, b"garbage").unwrap();
    assert!(matches!(
        TrustAnchors::from_pem_files(&[&p]),
        Err(Error::TrustAnchor { .. })
    ));
    assert!(matches!(
        TrustAnchors::from_pem_files(&[tmp.path().join("missing.pem")]),
        Err(Error::TrustAnchor { .. })
    ));
}

/// The pinned fingerprints are the ones Microsoft itself publishes in its
/// signed root list (authroot.stl, the Windows automatic root update CTL;
/// corpus copy from the robstradling/authroot.stl mirror). Needs cabextract
/// to unpack the MSZIP cab; skipped without it.
#[test]
fn pinned_fingerprints_are_listed_in_microsoft_authroot_stl() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    if !crate::common::have_tool("cabextract") {
        return;
    }
    let out = std::process::Command::new("cabextract")
        .arg("-p")
        .arg(dir.join("authroot/authrootstl.cab"))
        .output()
        .expect("run cabextract");
    assert!(
        out.status.success(),
        "cabextract -p authrootstl.cab failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = out.stdout;
    assert!(out.len() > 100_000, "authroot.stl unexpectedly small");
    let find = |hex: &str| {
        let needle: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        out.windows(needle.len()).any(|w| w == needle.as_slice())
    };
    for pin in [
        wsuscat::trust::signature::MICROSOFT_ROOT_2010_SHA256,
        wsuscat::trust::signature::MICROSOFT_ROOT_2011_SHA256,
    ] {
        assert!(find(pin), "{pin} not listed in authroot.stl");
    }
    // And a fingerprint that is not a root is not there (the test can fail).
    assert!(!find(
        "d1e0bfe708d8c21bf0e289a48b3eca6ec7834f20a3be7287454584c77e92910c"
    ));
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}

/// Changing the signed SpcIndirectDataContent (not its file digest) breaks
/// the signer's messageDigest attribute; changing a signed attribute breaks
/// the RSA signature. Each gives its own error.
#[test]
fn altered_content_and_attributes_give_distinct_errors() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    let anchors = TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).unwrap();
    let l = crate::common::signature::layout(&bytes);
    let sig_off = l.sig_offset as usize;

    // SPC_CAB_DATA OID, then [2] SpcLink { [0] ... }: flip a byte of the link value.
    let spc_cab_data = [
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x19,
    ];
    let at = sig_off + find(&bytes[sig_off..], &spc_cab_data) + spc_cab_data.len() + 4 + 5;
    let mut m = bytes.clone();
    m[at] ^= 0x01;
    match crate::common::signature::verify_bytes(
        &m,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(Error::MessageDigestMismatch { at, .. }) => assert_eq!(at, "SignerInfo"),
        other => panic!("expected MessageDigestMismatch, got {other:?}"),
    }

    // signingTime attribute: OID, SET, UTCTime header, then flip a digit.
    let signing_time = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05,
    ];
    let at = sig_off + find(&bytes[sig_off..], &signing_time) + signing_time.len() + 2 + 2 + 3;
    assert!(bytes[at].is_ascii_digit());
    let mut m = bytes.clone();
    m[at] ^= 0x01;
    match crate::common::signature::verify_bytes(
        &m,
        &anchors,
        crate::common::signature::fixed_now(),
    ) {
        Err(e @ Error::BadSignature { .. }) => {
            assert!(e.to_string().contains("signed attributes"), "{e}")
        }
        other => panic!("expected BadSignature, got {other:?}"),
    }
}

/// Failures convert into wsuscat's error with the kind that decides the exit
/// code: a modified file is a `Signature` catalog fault, a truncated download
/// is `Truncated`, a bad anchor file is `Usage`.
#[test]
fn failures_convert_into_wsuscat_errors() {
    use wsuscat::ErrorKind;
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    let anchors =
        TrustAnchors::from_pem_files(&[dir.join("generated/test-root-ca.der")]).expect("anchors");

    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested-tampered.cab");
    let e: wsuscat::Error = crate::common::signature::verify_bytes(
        &bytes,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect_err("tampered")
    .into();
    assert_eq!(e.kind(), ErrorKind::Signature);
    assert!(e.kind().is_catalog_fault());
    assert!(
        e.message().starts_with(
            "signature: digest mismatch: the file was modified after signing (expected "
        ),
        "{}",
        e.message()
    );

    let bytes = crate::common::signature::read(&dir, "generated/signed-sha256-nested.cab");
    let short = &bytes[..bytes.len() - 1];
    let e: wsuscat::Error = crate::common::signature::verify_bytes(
        short,
        &anchors,
        crate::common::signature::fixed_now(),
    )
    .expect_err("truncated")
    .into();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    let want = format!(
        "truncated or padded download: expected {} bytes, the file has {}",
        bytes.len(),
        bytes.len() - 1
    );
    assert!(e.message().starts_with(&want), "{}", e.message());

    let e: wsuscat::Error = crate::common::signature::verify_bytes(
        &bytes,
        &TrustAnchors::empty(),
        crate::common::signature::fixed_now(),
    )
    .expect_err("no anchors")
    .into();
    assert_eq!(e.kind(), ErrorKind::Signature);
    assert!(
        e.message().contains("not signed by a trusted publisher"),
        "{}",
        e.message()
    );

    let (_tmp, junk) = crate::common::temp_file("junk.pem", b"garbage");
    let e: wsuscat::Error = TrustAnchors::from_pem_files(&[junk])
        .expect_err("junk")
        .into();
    assert_eq!(e.kind(), ErrorKind::Usage);
    assert!(!e.kind().is_catalog_fault());
    assert!(
        e.message().starts_with("cannot load the trust anchors: "),
        "{}",
        e.message()
    );
}

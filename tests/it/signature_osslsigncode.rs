//! Cross-check with osslsigncode and openssl: a throwaway PKI signs corpus
//! cabinets, and our verdict must match `osslsigncode verify` (exit codes)
//! for good, tampered, expired, timestamped and wrong-purpose signatures.
//! Everything is written to a temporary directory outside the repository.

use std::path::{Path, PathBuf};
use std::process::Command;
use wsuscat::trust::signature::{DigestAlgorithm, Error, TimeSource, TrustAnchors};

const CA_CNF: &str = r#"
[ ca ]
default_ca = testca
[ testca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = pol
unique_subject = no
[ pol ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ caext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leafext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
[ serverext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
[ tsaext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
"#;

/// 2020-05-20T18:40:00Z: inside the "expired" leaf's 2020 validity.
const TS_2020: u64 = 1_590_000_000;

/// Both tools run (else skip, or fail under WSUSCAT_REQUIRE_PEERS=1).
fn tools_present() -> bool {
    crate::common::have_tool("osslsigncode") && crate::common::have_tool("openssl")
}

fn run(dir: &Path, prog: &str, args: &[&str]) {
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    assert!(
        out.status.success(),
        "{prog} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA in its own directory.
struct Pki {
    tmp: tempfile::TempDir,
}

impl Pki {
    fn new(ca_cn: &str) -> Pki {
        let tmp = crate::common::signature::scratch();
        let d = tmp.path();
        std::fs::write(d.join("ca.cnf"), CA_CNF).unwrap();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("serial"), "1000\n").unwrap();
        let subj = format!("/CN={ca_cn}");
        run(
            d,
            "openssl",
            &[
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.csr", "-subj", &subj, "-config", "ca.cnf",
            ],
        );
        run(
            d,
            "openssl",
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-selfsign",
                "-keyfile",
                "ca.key",
                "-in",
                "ca.csr",
                "-out",
                "ca.pem",
                "-startdate",
                "20190101000000Z",
                "-enddate",
                "20390101000000Z",
                "-extensions",
                "caext",
                "-notext",
            ],
        );
        Pki { tmp }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn ca(&self) -> PathBuf {
        self.dir().join("ca.pem")
    }

    /// Issue a certificate; returns (cert.pem, key.pem).
    fn issue(&self, name: &str, cn: &str, ext: &str, start: &str, end: &str) -> (PathBuf, PathBuf) {
        let d = self.dir();
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let subj = format!("/CN={cn}");
        run(
            d,
            "openssl",
            &[
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr,
                "-subj", &subj, "-config", "ca.cnf",
            ],
        );
        run(
            d,
            "openssl",
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-cert",
                "ca.pem",
                "-keyfile",
                "ca.key",
                "-in",
                &csr,
                "-out",
                &pem,
                "-startdate",
                start,
                "-enddate",
                end,
                "-extensions",
                ext,
                "-notext",
            ],
        );
        (d.join(pem), d.join(key))
    }

    fn sign(&self, input: &Path, out: &str, cert: &Path, key: &Path, extra: &[&str]) -> Vec<u8> {
        let d = self.dir();
        let mut args = vec![
            "sign",
            "-certs",
            cert.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-in", input.to_str().unwrap(), "-out", out]);
        run(d, "osslsigncode", &args);
        std::fs::read(d.join(out)).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// osslsigncode's verdict (exit code 0 = verified).
    fn ossl_verify(&self, file: &Path, extra: &[&str]) -> bool {
        let ca = self.ca();
        let mut args = vec!["verify", "-CAfile", ca.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-in", file.to_str().unwrap()]);
        Command::new("osslsigncode")
            .args(&args)
            .current_dir(self.dir())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_pem_files(&[self.ca()]).unwrap()
    }
}

/// Offset of a byte inside the signed range that is not a header field.
fn data_byte(bytes: &[u8]) -> usize {
    crate::common::signature::layout(bytes).sig_offset as usize - 1
}

/// Offset of the last byte of the PKCS#7 ContentInfo (the end of the RSA
/// signature value when there are no unsigned attributes).
fn content_info_last_byte(bytes: &[u8]) -> usize {
    let l = crate::common::signature::layout(bytes);
    let b = &bytes[l.sig_offset as usize..];
    assert_eq!(b[0], 0x30);
    let len = match b[1] {
        0x82 => 4 + (usize::from(b[2]) << 8 | usize::from(b[3])),
        0x81 => 3 + usize::from(b[2]),
        n => 2 + usize::from(n),
    };
    l.sig_offset as usize + len - 1
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut m = bytes.to_vec();
    m[at] ^= 0x01;
    m
}

fn check_roundtrip(input_rel: &str, hash: &str, alg: DigestAlgorithm) {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    if !tools_present() {
        return;
    }
    let pki = Pki::new("cabsig roundtrip CA");
    let (cert, key) = pki.issue(
        "leaf",
        "cabsig test signer",
        "leafext",
        "20190101000000Z",
        "20390101000000Z",
    );
    let signed = pki.sign(
        &dir.join(input_rel),
        "signed.cab",
        &cert,
        &key,
        &["-h", hash],
    );
    let anchors = pki.anchors();
    let now = std::time::SystemTime::now();

    // Good: both accept.
    let r = crate::common::signature::verify_bytes(&signed, &anchors, now).expect("our verify");
    assert_eq!(r.signer_subject, "CN=cabsig test signer");
    assert_eq!(r.digest_algorithm, alg);
    assert_eq!(
        r.chain,
        vec![
            "CN=cabsig test signer".to_string(),
            "CN=cabsig roundtrip CA".to_string()
        ]
    );
    assert!(
        pki.ossl_verify(&pki.dir().join("signed.cab"), &[]),
        "osslsigncode must accept the good file"
    );

    // One cabinet byte flipped: both reject; ours says DigestMismatch.
    let t = flip(&signed, data_byte(&signed));
    let tp = pki.write("tampered.cab", &t);
    assert!(matches!(
        crate::common::signature::verify_bytes(&t, &anchors, now),
        Err(Error::DigestMismatch { .. })
    ));
    assert!(
        !pki.ossl_verify(&tp, &[]),
        "osslsigncode must reject the tampered file"
    );

    // The RSA signature value damaged: both reject; ours says BadSignature.
    let t = flip(&signed, content_info_last_byte(&signed));
    let tp = pki.write("badsig.cab", &t);
    match crate::common::signature::verify_bytes(&t, &anchors, now) {
        Err(Error::BadSignature { .. }) => {}
        other => panic!("expected BadSignature, got {other:?}"),
    }
    assert!(
        !pki.ossl_verify(&tp, &[]),
        "osslsigncode must reject the damaged signature"
    );

    // Someone else's CA: both reject; ours says no trust anchor.
    let other = Pki::new("cabsig other CA");
    match crate::common::signature::verify_bytes(&signed, &other.anchors(), now) {
        Err(Error::UntrustedChain { reason }) => assert!(
            reason.contains("no trust anchor found for issuer 'CN=cabsig roundtrip CA'"),
            "{reason}"
        ),
        other => panic!("expected UntrustedChain, got {other:?}"),
    }
    assert!(!other.ossl_verify(&pki.dir().join("signed.cab"), &[]));
}

#[test]
fn osslsigncode_sha256_simple_cab_agrees() {
    check_roundtrip(
        "python-cabarchive/simple.cab",
        "sha256",
        DigestAlgorithm::Sha256,
    );
}

#[test]
fn osslsigncode_sha1_mszip_cab_agrees() {
    check_roundtrip("gcab/test-mszip.cab", "sha1", DigestAlgorithm::Sha1);
}

#[test]
fn osslsigncode_sha256_multifolder_cab_agrees() {
    check_roundtrip(
        "python-cabarchive/multi-folder-compressed.cab",
        "sha256",
        DigestAlgorithm::Sha256,
    );
}

/// A TSA certificate issued by `issuer`, with the chain osslsigncode wants
/// (the TSA certificate, then its CA) written into `pki`'s directory as
/// `chain_name`. Returns (chain.pem, tsa key.pem).
fn tsa_with_chain(pki: &Pki, issuer: &Pki, cn: &str, chain_name: &str) -> (PathBuf, PathBuf) {
    let (tsa, tsa_key) = issuer.issue("tsa", cn, "tsaext", "20190101000000Z", "20390101000000Z");
    let mut chain = std::fs::read(&tsa).unwrap();
    chain.extend(std::fs::read(issuer.ca()).unwrap());
    (pki.write(chain_name, &chain), tsa_key)
}

/// Signs `input` at TS_2020 with `leaf` (cert.pem, key.pem), RFC 3161
/// timestamped at TS_2020 by the TSA `tsa` (chain.pem, key.pem).
fn sign_timestamped(
    pki: &Pki,
    input: &Path,
    out: &str,
    leaf: &(PathBuf, PathBuf),
    tsa: &(PathBuf, PathBuf),
) -> Vec<u8> {
    let t = TS_2020.to_string();
    pki.sign(
        input,
        out,
        &leaf.0,
        &leaf.1,
        &[
            "-h",
            "sha256",
            "-time",
            &t,
            "-TSA-certs",
            tsa.0.to_str().unwrap(),
            "-TSA-key",
            tsa.1.to_str().unwrap(),
            "-TSA-time",
            &t,
        ],
    )
}

/// A trusted timestamp validates the expired leaf at the stamped time, and
/// osslsigncode, given the TSA's CA, agrees.
fn assert_trusted_timestamp_validates_at_signing_time(
    pki: &Pki,
    stamped: &[u8],
    anchors: &TrustAnchors,
    now: std::time::SystemTime,
) {
    let r = crate::common::signature::verify_bytes(stamped, anchors, now)
        .expect("timestamped signature verifies");
    assert_eq!(r.signing_time_source, TimeSource::Rfc3161);
    assert!(r.timestamp_verified, "{:?}", r.notes);
    assert_eq!(r.validated_at.unix_secs, TS_2020 as i64);
    assert_eq!(r.validated_at.utc, "2020-05-20T18:40:00Z");
    assert_eq!(r.timestamp_signer.as_deref(), Some("CN=cabsig test TSA"));
    let ca = pki.ca();
    assert!(pki.ossl_verify(
        &pki.dir().join("stamped.cab"),
        &["-TSA-CAfile", ca.to_str().unwrap()]
    ));
}

/// Without a timestamp the expired leaf fails now (in both tools) and
/// passes when validated at a 2020 "now".
fn assert_untimestamped_expired_leaf_fails_now_but_not_in_2020(
    pki: &Pki,
    plain: &[u8],
    anchors: &TrustAnchors,
    now: std::time::SystemTime,
) {
    match crate::common::signature::verify_bytes(plain, anchors, now) {
        Err(e @ Error::CertificateExpired { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("cabsig expired signer") && msg.contains("2021-01-01"),
                "{msg}"
            );
        }
        other => panic!("expected CertificateExpired, got {other:?}"),
    }
    assert!(!pki.ossl_verify(&pki.dir().join("plain.cab"), &[]));
    // Validated at a 2020 "now", the untimestamped file is fine.
    let r = crate::common::signature::verify_bytes(
        plain,
        anchors,
        crate::common::signature::unix(TS_2020),
    )
    .expect("valid in 2020");
    assert_eq!(r.signing_time_source, TimeSource::SignedAttribute);
    assert!(!r.timestamp_verified);
}

/// A TSA from a CA we do not trust: its time is not used, so the expired
/// leaf fails at the current time, in both tools.
fn assert_untrusted_timestamp_is_not_used(
    pki: &Pki,
    rogue_stamped: &[u8],
    anchors: &TrustAnchors,
    now: std::time::SystemTime,
) {
    assert!(matches!(
        crate::common::signature::verify_bytes(rogue_stamped, anchors, now),
        Err(Error::CertificateExpired { .. })
    ));
    let ca = pki.ca();
    assert!(!pki.ossl_verify(
        &pki.dir().join("rogue.cab"),
        &["-TSA-CAfile", ca.to_str().unwrap()]
    ));
}

/// An expired leaf is accepted when a trusted RFC 3161 timestamp shows it
/// signed inside its validity, and rejected without one.
#[test]
fn expired_leaf_rfc3161_timestamp_agrees() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    if !tools_present() {
        return;
    }
    let pki = Pki::new("cabsig timestamp CA");
    let leaf = pki.issue(
        "leaf",
        "cabsig expired signer",
        "leafext",
        "20200101000000Z",
        "20210101000000Z",
    );
    let tsa = tsa_with_chain(&pki, &pki, "cabsig test TSA", "tsa-chain.pem");
    let input = dir.join("python-cabarchive/simple.cab");
    let stamped = sign_timestamped(&pki, &input, "stamped.cab", &leaf, &tsa);
    let t = TS_2020.to_string();
    let plain = pki.sign(
        &input,
        "plain.cab",
        &leaf.0,
        &leaf.1,
        &["-h", "sha256", "-time", &t],
    );
    let anchors = pki.anchors();
    let now = std::time::SystemTime::now();

    assert_trusted_timestamp_validates_at_signing_time(&pki, &stamped, &anchors, now);
    assert_untimestamped_expired_leaf_fails_now_but_not_in_2020(&pki, &plain, &anchors, now);

    let rogue = Pki::new("cabsig rogue TSA CA");
    let rogue_tsa = tsa_with_chain(&pki, &rogue, "cabsig rogue TSA", "rogue-chain.pem");
    let rogue_stamped = sign_timestamped(&pki, &input, "rogue.cab", &leaf, &rogue_tsa);
    assert_untrusted_timestamp_is_not_used(&pki, &rogue_stamped, &anchors, now);
}

/// A leaf whose EKU is serverAuth only may not sign code.
#[test]
fn wrong_eku_agrees() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    if !tools_present() {
        return;
    }
    let pki = Pki::new("cabsig eku CA");
    let (cert, key) = pki.issue(
        "server",
        "cabsig server cert",
        "serverext",
        "20190101000000Z",
        "20390101000000Z",
    );
    let signed = pki.sign(
        &dir.join("python-cabarchive/simple.cab"),
        "server.cab",
        &cert,
        &key,
        &["-h", "sha256"],
    );
    match crate::common::signature::verify_bytes(
        &signed,
        &pki.anchors(),
        std::time::SystemTime::now(),
    ) {
        Err(e @ Error::WrongKeyUsage { .. }) => {
            assert!(e.to_string().contains("1.3.6.1.5.5.7.3.3"), "{e}")
        }
        other => panic!("expected WrongKeyUsage, got {other:?}"),
    }
    assert!(!pki.ossl_verify(&pki.dir().join("server.cab"), &[]));
}

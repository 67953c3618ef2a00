//! Legacy Authenticode countersignature (PKCS#9 counterSignature,
//! 1.2.840.113549.1.9.6). osslsigncode can only fetch these from a network
//! TSA, so this test builds one: openssl signs a SignerInfo over the outer
//! signature value with signingTime 2020-05-20, which is injected into an
//! osslsigncode-signed cabinet's unsigned attributes (TSA certificate added
//! to the bag). Our verdict is checked, and compared with osslsigncode's.

use std::path::Path;
use std::process::Command;
use wsuscat::trust::signature::{Error, TimeSource, TrustAnchors};

// ---- a minimal DER reader/writer for the test ----

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend_from_slice(&[0x81, n as u8]);
    } else {
        assert!(n < 0x10000);
        v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

/// (tag, header length, content length) of the element at the start of `b`.
fn head(b: &[u8]) -> (u8, usize, usize) {
    let l = b[1];
    if l < 0x80 {
        (b[0], 2, usize::from(l))
    } else {
        let k = usize::from(l & 0x7f);
        let mut n = 0usize;
        for i in 0..k {
            n = n << 8 | usize::from(b[2 + i]);
        }
        (b[0], 2 + k, n)
    }
}

/// The children of a constructed element's content.
fn children(content: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (_, h, n) = head(rest);
        out.push(rest[..h + n].to_vec());
        rest = &rest[h + n..];
    }
    out
}

fn content(el: &[u8]) -> &[u8] {
    let (_, h, n) = head(el);
    &el[h..h + n]
}

const OID_CONTENT_TYPE: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03,
];
const OID_MESSAGE_DIGEST: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
];
const OID_SIGNING_TIME: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05,
];
const OID_COUNTERSIG: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x06,
];
const OID_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
];
const ALG_SHA256: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
];
const ALG_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

fn run(dir: &Path, prog: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .expect(prog);
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Both tools run (else skip, or fail under WSUSCAT_REQUIRE_PEERS=1).
fn tools_present() -> bool {
    crate::common::have_tool("osslsigncode") && crate::common::have_tool("openssl")
}

const CNF: &str = "[ca]\ndefault_ca=t\n[t]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[req]\ndistinguished_name=dn\n[dn]\n[caext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[leafext]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n[tsaext]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n";

fn issue(d: &Path, name: &str, ext: &str, start: &str, end: &str) {
    let subj = format!("/CN=cabsig countersig {name}");
    run(
        d,
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &subj,
            "-config",
            "ca.cnf",
        ],
    );
    let mut args = vec!["ca", "-batch", "-config", "ca.cnf", "-keyfile", "ca.key"];
    if name == "ca" {
        args.push("-selfsign");
    } else {
        args.extend_from_slice(&["-cert", "ca.pem"]);
    }
    let (csr, pem) = (format!("{name}.csr"), format!("{name}.pem"));
    args.extend_from_slice(&[
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
    ]);
    run(d, "openssl", &args);
    run(
        d,
        "openssl",
        &[
            "x509",
            "-in",
            &pem,
            "-outform",
            "DER",
            "-out",
            &format!("{name}.der"),
        ],
    );
}

/// Build the countersigned cabinet from an osslsigncode-signed one.
fn add_countersignature(
    d: &Path,
    signed: &[u8],
    tsa_der: &[u8],
    signing_time_utc: &str,
) -> Vec<u8> {
    let l = crate::common::signature::layout(signed);
    let blob = &signed[l.sig_offset as usize..];
    let (_, h, n) = head(blob);
    let ci = &blob[..h + n];
    // ContentInfo { oid, [0] { SignedData } }
    let ci_kids = children(content(ci));
    let sd = children(content(&ci_kids[1]))[0].clone();
    let mut sd_kids = children(content(&sd));
    // SignedData: version, digestAlgs, contentInfo, [0] certs, signerInfos
    let certs_idx = sd_kids
        .iter()
        .position(|k| k[0] == 0xa0)
        .expect("certificate bag");
    let si_set_idx = sd_kids.len() - 1;
    let si = children(content(&sd_kids[si_set_idx]))[0].clone();
    let mut si_kids = children(content(&si));
    assert!(
        si_kids.iter().all(|k| k[0] != 0xa1),
        "no unsigned attributes yet"
    );
    let sig_value = content(si_kids.last().unwrap()).to_vec();

    // TSA issuer and serial from its certificate.
    let tbs = children(content(&children(content(tsa_der))[0]));
    let (serial, issuer) = if tbs[0][0] == 0xa0 {
        (tbs[1].clone(), tbs[3].clone())
    } else {
        (tbs[0].clone(), tbs[2].clone())
    };

    // Signed attributes, DER-sorted.
    std::fs::write(d.join("sigvalue.bin"), &sig_value).unwrap();
    let md = run(
        d,
        "openssl",
        &["dgst", "-sha256", "-binary", "sigvalue.bin"],
    );
    let mut attrs = [
        tlv(0x30, &[OID_CONTENT_TYPE, &tlv(0x31, OID_DATA)].concat()),
        tlv(
            0x30,
            &[
                OID_SIGNING_TIME,
                &tlv(0x31, &tlv(0x17, signing_time_utc.as_bytes())),
            ]
            .concat(),
        ),
        tlv(
            0x30,
            &[OID_MESSAGE_DIGEST, &tlv(0x31, &tlv(0x04, &md))].concat(),
        ),
    ];
    attrs.sort();
    let attrs = attrs.concat();
    std::fs::write(d.join("attrs.der"), tlv(0x31, &attrs)).unwrap();
    let cs_sig = run(
        d,
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-sign",
            "tsa.key",
            "-binary",
            "attrs.der",
        ],
    );
    let counter = tlv(
        0x30,
        &[
            &tlv(0x02, &[1])[..],
            &tlv(0x30, &[issuer, serial].concat()),
            ALG_SHA256,
            &tlv(0xa0, &attrs),
            ALG_RSA,
            &tlv(0x04, &cs_sig),
        ]
        .concat(),
    );

    // Inject: unsigned attribute on the outer SignerInfo, TSA cert in the bag.
    si_kids.push(tlv(
        0xa1,
        &tlv(0x30, &[OID_COUNTERSIG, &tlv(0x31, &counter)].concat()),
    ));
    let si = tlv(0x30, &si_kids.concat());
    sd_kids[si_set_idx] = tlv(0x31, &si);
    let bag = [content(&sd_kids[certs_idx]), tsa_der].concat();
    sd_kids[certs_idx] = tlv(0xa0, &bag);
    let sd = tlv(0x30, &sd_kids.concat());
    let mut ci = tlv(0x30, &[ci_kids[0].clone(), tlv(0xa0, &sd)].concat());
    while ci.len() % 8 != 0 {
        ci.push(0);
    }
    let mut out = signed[..l.sig_offset as usize].to_vec();
    out[48..52].copy_from_slice(&(ci.len() as u32).to_le_bytes());
    out.extend_from_slice(&ci);
    out
}

#[test]
fn legacy_countersignature_is_verified_and_used() {
    let Some(dir) = crate::common::corpus() else {
        return;
    };
    if !tools_present() {
        return;
    }
    let tmp = crate::common::signature::scratch();
    let d = tmp.path();
    std::fs::write(d.join("ca.cnf"), CNF).unwrap();
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("serial"), "2000\n").unwrap();
    issue(d, "ca", "caext", "20190101000000Z", "20390101000000Z");
    issue(d, "leaf", "leafext", "20200101000000Z", "20210101000000Z");
    issue(d, "tsa", "tsaext", "20190101000000Z", "20390101000000Z");
    let input = dir.join("python-cabarchive/simple.cab");
    run(
        d,
        "osslsigncode",
        &[
            "sign",
            "-certs",
            "leaf.pem",
            "-key",
            "leaf.key",
            "-h",
            "sha256",
            "-time",
            "1590000000",
            "-in",
            input.to_str().unwrap(),
            "-out",
            "plain.cab",
        ],
    );
    let plain = std::fs::read(d.join("plain.cab")).unwrap();
    let tsa_der = std::fs::read(d.join("tsa.der")).unwrap();
    let anchors = TrustAnchors::from_pem_files(&[d.join("ca.pem")]).unwrap();
    let now = std::time::SystemTime::now();
    let ossl = |f: &str| {
        Command::new("osslsigncode")
            .args([
                "verify",
                "-CAfile",
                "ca.pem",
                "-TSA-CAfile",
                "ca.pem",
                "-in",
                f,
            ])
            .current_dir(d)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };

    // Good countersignature at 2020-05-20: the expired leaf is accepted.
    let cs = add_countersignature(d, &plain, &tsa_der, "200520184000Z");
    std::fs::write(d.join("countersigned.cab"), &cs).unwrap();
    let r = crate::common::signature::verify_bytes(&cs, &anchors, now)
        .expect("countersigned signature verifies");
    assert_eq!(r.signing_time_source, TimeSource::Countersignature);
    assert!(r.timestamp_verified, "{:?}", r.notes);
    assert_eq!(r.validated_at.utc, "2020-05-20T18:40:00Z");
    assert_eq!(
        r.timestamp_signer.as_deref(),
        Some("CN=cabsig countersig tsa")
    );
    assert!(
        ossl("countersigned.cab"),
        "osslsigncode must accept the countersigned file"
    );

    // Countersigned at 2022, after the leaf expired: rejected by both.
    let late = add_countersignature(d, &plain, &tsa_der, "220101000000Z");
    std::fs::write(d.join("late.cab"), &late).unwrap();
    match crate::common::signature::verify_bytes(&late, &anchors, now) {
        Err(Error::CertificateExpired { at, .. }) => {
            assert!(at.contains("2022-01-01T00:00:00Z"), "{at}")
        }
        other => panic!("expected CertificateExpired, got {other:?}"),
    }
    assert!(!ossl("late.cab"));

    // A damaged countersignature is not used: validity falls back to now.
    let mut bad = cs.clone();
    let n = bad.len();
    // The countersignature's RSA value ends the ContentInfo; find the last non-padding byte.
    let last = (0..n).rev().find(|&i| bad[i] != 0).unwrap();
    bad[last] ^= 1;
    match crate::common::signature::verify_bytes(&bad, &anchors, now) {
        Err(Error::CertificateExpired { at, .. }) => assert!(at.contains("current time"), "{at}"),
        other => panic!("expected CertificateExpired at current time, got {other:?}"),
    }
}

//! `wsuscat verify` and the signature half of `check`: intact and genuinely
//! signed, or exit 3 with the reason. Signed files come from osslsigncode
//! with the TEST ONLY key in testdata/test-signing, and every verdict is
//! cross-checked against `osslsigncode verify` with the same root.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use wsuscat::cab::{Cabinet, Compression};
use wsuscat::commands::generate::{self, fixtures, Spec};

fn verify(path: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["verify".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(path.display().to_string());
    run(&args)
}

fn osslsigncode_accepts(path: &Path, ca: &Path) -> bool {
    Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(ca)
        .arg("-in")
        .arg(path)
        .output()
        .expect("run osslsigncode")
        .status
        .success()
}

#[test]
fn a_signed_intact_catalog_verifies_and_names_its_signer() {
    let [t, a] = trust();
    let r = verify(&testdata("clean-wsusscn2.cab"), &[&t, &a]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("wsuscat TEST ONLY Code Signing"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("INTACT and SIGNED"));
    let r = verify(
        &testdata("clean-wsusscn2.cab"),
        &[&t, &a, "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["signature"]["status"], "verified");
    assert_eq!(v["signature"]["digest_algorithm"], "SHA-256");
    assert_eq!(v["package_xml"]["updates"], 400);
    assert_eq!(v["cabs"].as_array().unwrap().len(), 4);
    assert_eq!(v["verdict"], "intact");
}

#[test]
fn microsoft_anchors_do_not_trust_the_test_root() {
    for cmd in ["verify", "check"] {
        let r = run([cmd, testdata("clean-wsusscn2.cab").to_str().unwrap()]);
        assert_eq!(r.code, 3, "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("no trust anchor found"),
            "{cmd}: {}",
            r.stderr
        );
    }
}

#[test]
fn unsigned_fails_by_default_and_passes_when_allowed() {
    let f = testdata("unsigned-wsusscn2.cab");
    for cmd in ["verify", "check"] {
        let r = run([cmd, f.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{cmd}");
        assert!(r.stderr.contains("unsigned"), "{}", r.stderr);
    }
    let r = verify(&f, &["--allow-unsigned"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("NOT SIGNED"));
    let (code, report) = check_json(&f, &["--allow-unsigned"]);
    assert_eq!(code, 1);
    assert_eq!(report["signature"]["status"], "unsigned");
    let (code, report) = check_json(&f, &["--no-verify"]);
    assert_eq!(code, 1);
    assert_eq!(report["signature"]["status"], "not_checked");
}

#[test]
fn tampering_truncation_and_padding_are_caught_and_osslsigncode_agrees() {
    if !have_tool("osslsigncode") {
        return;
    }
    let [t, a] = trust();
    let good = std::fs::read(testdata("clean-wsusscn2.cab")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let p = write("good.cab", &good);
    assert!(osslsigncode_accepts(&p, &test_anchor()));

    let sig_offset = u32::from_le_bytes(good[44..48].try_into().unwrap()) as usize;
    // Bytes across the signed range: the header, the folder table, the file
    // table, compressed data early, middle and late.
    let positions = [
        2,
        10,
        37,
        60,
        70,
        200,
        sig_offset / 3,
        sig_offset / 2,
        sig_offset - 1,
    ];
    for pos in positions {
        let mut bad = good.clone();
        bad[pos] ^= 0x20;
        let p = write(&format!("flip-{pos}.cab"), &bad);
        for cmd in ["verify", "check"] {
            let r = run([cmd, &t, &a, p.to_str().unwrap()]);
            assert_eq!(r.code, 3, "{cmd} flip at {pos}: {}", r.stderr);
        }
        assert!(
            !osslsigncode_accepts(&p, &test_anchor()),
            "osslsigncode accepts a flip at {pos}"
        );
    }

    let p = write("short.cab", &good[..good.len() - 1]);
    let r = verify(&p, &[&t, &a]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("truncated or padded download"),
        "{}",
        r.stderr
    );
    assert!(!osslsigncode_accepts(&p, &test_anchor()));

    let mut long = good.clone();
    long.push(0);
    let p = write("long.cab", &long);
    let r = verify(&p, &[&t, &a]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains(&format!(
            "expected {} bytes, the file has {}",
            good.len(),
            good.len() + 1
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_checksum_error_in_one_shard_names_that_shard() {
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
    // Damage block 1 of package3.cab's folder, leaving its stored checksum.
    let shard = &mut shards
        .iter_mut()
        .find(|(n, _)| n == "package3.cab")
        .unwrap()
        .1;
    let inner = Cabinet::parse(&mut Cursor::new(&shard[..])).unwrap();
    let first = inner.folders[0].data_offset as usize;
    let clen = u16::from_le_bytes([shard[first + 4], shard[first + 5]]) as usize;
    shard[first + 8 + clen + 8 + 50] ^= 0x01;
    let bytes = generate::assemble(&spec, &g.index_xml, &package_cab, &shards);
    let (_d, path) = temp_file("shard.cab", &bytes);
    let r = verify(&path, &["--allow-unsigned"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("package3.cab, folder 0, block 1"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("checksum mismatch"), "{}", r.stderr);
    // check reads only package.cab, so it does not see this damage: the
    // signature (or verify) is what covers the shards.
    let (code, _) = check_json(&path, &["--allow-unsigned"]);
    assert_eq!(code, 0);
}

#[test]
fn verify_rejects_a_broken_index_or_missing_package_cab() {
    let (spec, package_cab) = small_catalog_parts(6, 120, 2);
    // index.xml names a shard that is not there.
    let index = generate::index_xml(&[("package2.cab".into(), 0), ("package9.cab".into(), 5)]);
    let bytes = generate::assemble(&spec, &index, &package_cab, &[]);
    let (_d, p) = temp_file("idx.cab", &bytes);
    let r = verify(&p, &["--allow-unsigned"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("index.xml names package2.cab"),
        "{}",
        r.stderr
    );
    // A shard that is not a cabinet at all.
    let shards = vec![(
        "package2.cab".to_string(),
        b"<html>503 Service Unavailable</html>".to_vec(),
    )];
    let index = generate::index_xml(&[("package2.cab".into(), 0)]);
    let bytes = generate::assemble(&spec, &index, &package_cab, &shards);
    let (_d, p) = temp_file("garbage-shard.cab", &bytes);
    let r = verify(&p, &["--allow-unsigned"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("package2.cab") && r.stderr.contains("not a cabinet"),
        "{}",
        r.stderr
    );
    // index.xml cut short.
    let bytes = generate::assemble(&spec, b"<INDEX><CABLIST>", &package_cab, &[]);
    let (_d, p) = temp_file("idx2.cab", &bytes);
    let r = verify(&p, &["--allow-unsigned"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("index.xml"), "{}", r.stderr);
}

#[test]
fn broken_fixtures_fail_verify_too() {
    let [t, a] = trust();
    for name in [
        "broken-truncated.cab",
        "broken-flipped-byte.cab",
        "broken-not-a-cab.cab",
        "broken-no-package-xml.cab",
        "broken-malformed-xml.cab",
    ] {
        let r = verify(&testdata(name), &[&t, &a]);
        assert_eq!(r.code, 3, "{name}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
    }
}

/// The corpus's signed cabinets, with their own roots: wsuscat's signature
/// verdict equals osslsigncode's.
#[test]
fn corpus_signatures_agree_with_osslsigncode() {
    let Some(dir) = corpus() else { return };
    if !have_tool("osslsigncode") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let der_root = tmp.path().join("test-root-ca.pem");
    let pem = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in"])
        .arg(dir.join("generated/test-root-ca.der"))
        .arg("-out")
        .arg(&der_root)
        .status()
        .expect("openssl");
    assert!(pem.success());
    let jsign_bundle = tmp.path().join("jsign.pem");
    let mut bundle = std::fs::read(dir.join("jsign/jsign-root-ca-2017.pem")).unwrap();
    bundle.extend(std::fs::read(dir.join("jsign/jsign-code-signing-ca-2017.pem")).unwrap());
    std::fs::write(&jsign_bundle, bundle).unwrap();
    let cases = [
        ("generated/signed-sha256-nested.cab", der_root.clone()),
        (
            "generated/signed-sha256-nested-tampered.cab",
            der_root.clone(),
        ),
        ("jsign/cabinet-sample-3-signed.cab", jsign_bundle.clone()),
        ("gcab/test-signed.cab", jsign_bundle.clone()),
        ("jsign/cabinet-sample-3-signed.cab", test_anchor()),
    ];
    for (name, ca) in cases {
        let path = dir.join(name);
        let anchors = wsuscat::trust::signature::TrustAnchors::from_pem_files(&[&ca]).unwrap();
        let pre = wsuscat::trust::integrity::preflight(&path);
        let ours = pre
            .and_then(|pre| {
                wsuscat::trust::integrity::hash_and_verify(
                    &path,
                    &pre,
                    wsuscat::trust::integrity::SignaturePolicy::Require,
                    &anchors,
                )
            })
            .is_ok();
        assert_eq!(
            ours,
            osslsigncode_accepts(&path, &ca),
            "{name} with {}",
            ca.display()
        );
    }
}

#[test]
fn fixtures_sign_reproducibly() {
    if !have_tool("osslsigncode") {
        return;
    }
    let signing = fixtures::signing_dir(&root().join("testdata"));
    let unsigned = std::fs::read(testdata("unsigned-wsusscn2.cab")).unwrap();
    let a = fixtures::sign(&unsigned, &signing).unwrap();
    let b = fixtures::sign(&unsigned, &signing).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, std::fs::read(testdata("sample-wsusscn2.cab")).unwrap());
}

/// Members that overlap in the outer folder (no writer produces them) keep
/// every nested cabinet among them open at once; past the verifiers there
/// are, verify stops with the bound's error instead of waiting for a place
/// that never frees up.
#[test]
fn overlapping_nested_cabinets_past_the_verifier_bound_are_refused() {
    let (_, package_cab) = small_catalog_parts(21, 30, 1);
    let mut b = wsuscat::cab::writer::CabBuilder::new();
    b.add_folder(Compression::MsZip);
    b.add_file("index.xml", &generate::index_xml(&[]));
    b.add_file("package.cab", &package_cab);
    for i in 2..12 {
        b.add_file(&format!("package{i}.cab"), &package_cab);
    }
    let mut bytes = b.finish();
    // Every shard's entry points at package.cab's bytes.
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let mut at = cab.header.files_offset as usize;
    let start = cab.files[1].folder_offset;
    for f in &cab.files {
        if f.name.starts_with("package") && f.name != "package.cab" {
            bytes[at + 4..at + 8].copy_from_slice(&start.to_le_bytes());
        }
        at += 16 + f.raw_name.len() + 1;
    }
    let (_d, path) = temp_file("overlapping.cab", &bytes);
    let r = verify(&path, &["--allow-unsigned"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("nested cabinets open at once (the nested-verifier bound)")
            && r.stderr.contains("members overlap"),
        "{}",
        r.stderr
    );
}

/// index.xml is the one member verify collects to parse whole: an entry
/// claiming more than the bound is refused before a byte of it is held.
#[test]
fn an_index_xml_claiming_more_than_its_bound_is_refused() {
    let (_, package_cab) = small_catalog_parts(22, 30, 1);
    let mut b = wsuscat::cab::writer::CabBuilder::new();
    b.add_folder(Compression::MsZip);
    b.add_file("index.xml", &generate::index_xml(&[]));
    b.add_file("package.cab", &package_cab);
    b.add_file_with("filler.bin", 18 << 20, |buf| buf.fill(b' '));
    let mut bytes = b.finish();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let at = cab.header.files_offset as usize;
    let claim: u32 = (16 << 20) + 1;
    bytes[at..at + 4].copy_from_slice(&claim.to_le_bytes());
    let (_d, path) = temp_file("big-index.cab", &bytes);
    let r = verify(&path, &["--allow-unsigned"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let expected = format!(
        "index.xml: expected at most 16777216 bytes (the index.xml bound), but its entry claims {claim} at byte 0 of folder 0"
    );
    assert!(r.stderr.contains(&expected), "{}", r.stderr);

    // A second index.xml entry over the first one's bytes, claiming
    // exactly the bound: alone it would be collected, beside the first
    // one still being collected it is not.
    let index = generate::index_xml(&[]);
    let mut b = wsuscat::cab::writer::CabBuilder::new();
    b.add_folder(Compression::MsZip);
    b.add_file("index.xml", &index);
    b.add_file("index.xml", &index);
    b.add_file("package.cab", &package_cab);
    b.add_file_with("filler.bin", 18 << 20, |buf| buf.fill(b' '));
    let mut bytes = b.finish();
    let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
    let at = cab.header.files_offset as usize + 16 + cab.files[0].raw_name.len() + 1;
    let claim: u32 = 16 << 20;
    bytes[at..at + 4].copy_from_slice(&claim.to_le_bytes());
    bytes[at + 4..at + 8].copy_from_slice(&0u32.to_le_bytes());
    let (_d, path) = temp_file("two-indexes.cab", &bytes);
    let r = verify(&path, &["--allow-unsigned"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "its entry claims {claim} at byte 0 of folder 0 while other index.xml members overlapping it claim {}",
            index.len()
        )),
        "{}",
        r.stderr
    );
}

/// A report lists at most `MAX_UNSAFE_NAMES` member names that would
/// escape a directory and counts them all: a hostile catalog can hold
/// hundreds of cabinets of 65,535 such names each, and every one was kept
/// until the report was written.
#[test]
fn unsafe_member_names_are_listed_up_to_the_bound_and_all_counted() {
    let (_, package_cab) = small_catalog_parts(21, 30, 1);
    let shard = |tag: &str| {
        let mut b = wsuscat::cab::writer::CabBuilder::new();
        b.add_folder(Compression::MsZip);
        for i in 0..700 {
            b.add_file(&format!("../{tag}{i}"), b"x");
        }
        b.finish()
    };
    let mut b = wsuscat::cab::writer::CabBuilder::new();
    b.add_folder(Compression::MsZip);
    b.add_file("index.xml", &generate::index_xml(&[]));
    b.add_file("package.cab", &package_cab);
    b.add_file("package2.cab", &shard("a"));
    b.add_file("package3.cab", &shard("b"));
    let (_d, path) = temp_file("unsafe.cab", &b.finish());
    let r = verify(&path, &["--allow-unsigned", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let listed = v["unsafe_names"].as_array().expect("a list");
    assert_eq!(listed.len(), wsuscat::commands::verify::MAX_UNSAFE_NAMES);
    assert_eq!(v["unsafe_names_total"], 1400);
    assert_eq!(listed[0], "package2.cab > ../a0");
    assert_eq!(listed[700], "package3.cab > ../b0");
    let human = verify(&path, &["--allow-unsigned"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.contains("… and 376 more member name(s)")
            && human.stdout.contains("(1400 in all)"),
        "{}",
        human.stdout
    );
    let csv = verify(&path, &["--allow-unsigned", "--format", "csv"]);
    assert!(
        csv.stdout
            .lines()
            .nth(1)
            .is_some_and(|row| row.contains(",1400,")),
        "{}",
        csv.stdout
    );
}

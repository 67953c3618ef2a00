//! Every kind of cabinet the generator writes, extracted by cabextract, gives
//! back exactly the bytes the generator put in.

use std::process::Command;

use crate::common::*;
use wsuscat::cab::Compression;
use wsuscat::commands::generate::{self, Spec};

fn extract(cab: &std::path::Path, into: &std::path::Path) {
    let out = Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(into)
        .arg(cab)
        .output()
        .expect("cabextract runs");
    assert!(
        out.status.success(),
        "cabextract {}: {}",
        cab.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cabextract_extracts_generated_catalogs_to_the_same_bytes() {
    if !have_tool("cabextract") {
        return;
    }
    let variants = [
        (
            Compression::Lzx { window_bits: 21 },
            Compression::Lzx { window_bits: 21 },
        ),
        (Compression::Lzx { window_bits: 15 }, Compression::MsZip),
        (Compression::MsZip, Compression::Lzx { window_bits: 18 }),
        (Compression::None, Compression::None),
    ];
    for (i, (outer, inner)) in variants.into_iter().enumerate() {
        let spec = Spec {
            seed: 100 + i as u64,
            updates: 250,
            shards: 3,
            outer,
            inner,
            outer_folders: 1 + i,
            ..Spec::default()
        };
        let g = generate::generate(&spec);
        let dir = tempfile::tempdir().unwrap();
        let cab = dir.path().join("wsusscn2.cab");
        std::fs::write(&cab, &g.cab).unwrap();
        let out = dir.path().join("x");
        extract(&cab, &out);
        assert_eq!(
            std::fs::read(out.join("index.xml")).unwrap(),
            g.index_xml,
            "{outer:?}"
        );
        extract(&out.join("package.cab"), &out.join("p"));
        assert!(
            std::fs::read(out.join("p/package.xml")).unwrap() == g.package_xml,
            "{outer:?}/{inner:?}: package.xml differs"
        );
        for (name, _) in &g.truth.shards {
            let sdir = out.join(format!("s-{name}"));
            extract(&out.join(name), &sdir);
            let u = g
                .truth
                .updates
                .iter()
                .find(|u| g.truth.shard_for(u.revision_id) == Some(name))
                .unwrap();
            let core = std::fs::read_to_string(sdir.join(format!("c/{}", u.revision_id))).unwrap();
            let children: Vec<_> = g
                .truth
                .updates
                .iter()
                .filter(|c| c.bundled_by == Some(u.revision_id))
                .collect();
            assert_eq!(core, generate::xml::core_fragment(u, &children), "{name}");
            let l = std::fs::read_to_string(sdir.join(format!("l/en/{}", u.revision_id))).unwrap();
            assert!(l.contains("<Title>"), "{name}");
        }
    }
}

#[test]
fn committed_fixtures_pass_cabextract_test_mode() {
    if !have_tool("cabextract") {
        return;
    }
    for name in ["sample-wsusscn2.cab", "clean-wsusscn2.cab"] {
        let out = Command::new("cabextract")
            .arg("-t")
            .arg(testdata(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let out = Command::new("cabextract")
        .arg("-t")
        .arg(testdata("broken-flipped-byte.cab"))
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "cabextract must also reject the flipped byte"
    );
}

/// `generate --volume real` at a small size: cabextract extracts the outer
/// cabinet and every shard to what the generator's manifest says it wrote
/// (the check the benchmark makes at full volume), and wsuscat reads the
/// catalog: check passes it and verify decodes all of it.
#[test]
fn a_real_shaped_catalog_extracts_to_its_manifest_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("real.cab");
    let manifest = dir.path().join("real.manifest");
    let r = run([
        "generate",
        "--volume",
        "real",
        "--updates",
        "600",
        "--shards",
        "3",
        "--languages",
        "en,de,ja",
        "--rules-bytes",
        "3000",
        "--threads",
        "2",
        "-o",
        cab.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("2026 catalog") && r.stdout.contains("members per shard"),
        "{}",
        r.stdout
    );
    let check = run([
        "check",
        "--allow-unsigned",
        "--quiet",
        cab.to_str().unwrap(),
    ]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let verify = run([
        "verify",
        "--allow-unsigned",
        "--quiet",
        cab.to_str().unwrap(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    let manifest = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(manifest.lines().count(), 2 + 2 * 3, "{manifest}");
    if !have_tool("cabextract") {
        return;
    }
    let out = dir.path().join("out");
    extract(&cab, &out);
    use sha2::Digest;
    for line in manifest.lines() {
        let (want, name) = line.split_once("  ").unwrap();
        let got = match name.strip_suffix("/*") {
            // A shard's members in order, as cabextract -p prints them.
            Some(shard) => cabextract_p(&out.join(shard)).expect("cabextract -p"),
            None => std::fs::read(out.join(name)).unwrap(),
        };
        assert_eq!(
            wsuscat::trust::hex(&sha2::Sha256::digest(&got)),
            want,
            "{name}"
        );
    }
}

//! `wsuscat check` end to end: the built binary on generated and committed
//! catalogs.

use crate::common::*;

fn trust_args() -> Vec<&'static str> {
    let [t, a] = trust();
    vec![Box::leak(t.into_boxed_str()), Box::leak(a.into_boxed_str())]
}
use wsuscat::cab::Compression;
use wsuscat::commands::generate::{self, fixtures, Spec, XmlStyle};

#[test]
fn clean_catalog_is_compatible_and_counts_match_the_generator() {
    let truth = generate::generate(&fixtures::clean_spec()).truth;
    let (code, report) = check_json(&testdata("clean-wsusscn2.cab"), &trust_args());
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["verdict"], "compatible");
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        report["summary"]["updates_checked"],
        truth.updates.len() as u64
    );
    for kind in wsuscat::catalog::update::Kind::ALL {
        let expected = truth.updates.iter().filter(|u| u.kind == kind).count() as u64;
        assert_eq!(
            report["summary"]["by_kind"][kind.as_str()],
            expected,
            "{kind:?}"
        );
    }
    assert_eq!(report["catalog"]["package_id"], truth.package_id.as_str());
    assert_eq!(
        report["catalog"]["creation_date"],
        truth.creation_date.as_str()
    );
    assert_eq!(report["catalog"]["minimum_client_version"], "5.8.0.2678");
}

#[test]
fn sample_reproduces_the_2008_incident() {
    let (code, report) = check_json(&testdata("sample-wsusscn2.cab"), &trust_args());
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["verdict"], "incompatible");
    assert_eq!(finding_revisions(&report), vec![1_293_995]);
    let f = &report["findings"][0];
    assert_eq!(f["attribute"], "DeploymentAction");
    assert_eq!(f["value"], "PreDeploymentCheck");
    assert_eq!(f["rule"], "deployment-action");
    assert_eq!(f["severity"], "breaks");
}

fn mix_spec() -> Spec {
    Spec {
        seed: 77,
        updates: 600,
        shards: 2,
        outer: Compression::MsZip,
        inner: Compression::Lzx { window_bits: 17 },
        inject: vec![
            (1_000_101, Some("PreDeploymentCheck".into())),
            (1_000_202, Some("OptionalInstall".into())),
            (1_000_303, Some("Block".into())),
            (1_000_404, Some("Uninstall".into())),
            (1_000_505, Some(String::new())),
            (1_000_606, Some("bundle".into())),
            (1_000_707, Some("gar<b>&age\"'".into())),
            (1_000_808, None),
            (1_000_909, Some("Install".into())),
        ],
        ..Spec::default()
    }
}

#[test]
fn injected_mix_is_found_exactly_per_profile() {
    let generated = generate::generate(&mix_spec());
    let (_dir, path) = temp_file("mix.cab", &generated.cab);

    let (code, report) = check_json(&path, &["--allow-unsigned"]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_revisions(&report),
        vec![1_000_101, 1_000_202, 1_000_303, 1_000_404, 1_000_505, 1_000_606, 1_000_707]
    );
    let values: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["value"])
        .collect();
    assert_eq!(values[4], "", "empty string stays distinct from absent");
    assert_eq!(values[6], "gar<b>&age\"'", "entities are unescaped");

    // The protocol's own set accepts five of those.
    let (code, report) = check_json(&path, &["--allow-unsigned", "--profile", "wua"]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_revisions(&report),
        vec![1_000_505, 1_000_606, 1_000_707]
    );
}

#[test]
fn results_do_not_depend_on_threads_or_batch_size() {
    let generated = generate::generate(&mix_spec());
    let (_dir, path) = temp_file("mix.cab", &generated.cab);
    let (_, reference) = check_json(&path, &["--allow-unsigned", "--threads", "1"]);
    for extra in [
        &["--threads", "2"][..],
        &["--threads", "4", "--batch-size", "4096"],
        &["--threads", "1", "--batch-size", "4096"],
        &["--threads", "3", "--batch-size", "5000"],
    ] {
        let mut args = vec!["--allow-unsigned"];
        args.extend_from_slice(extra);
        let (_, report) = check_json(&path, &args);
        assert_eq!(report, reference, "{extra:?}");
    }
}

#[test]
fn layout_variations_do_not_change_the_answer() {
    let base = mix_spec();
    let (_, reference) = {
        let g = generate::generate(&base);
        let (_d, p) = temp_file("a.cab", &g.cab);
        check_json(&p, &["--allow-unsigned", "--batch-size", "8192"])
    };
    let styles = [
        XmlStyle {
            namespace: false,
            ..XmlStyle::default()
        },
        XmlStyle {
            pretty: true,
            ..XmlStyle::default()
        },
        XmlStyle {
            bom: true,
            ..XmlStyle::default()
        },
        XmlStyle {
            shuffle_attributes: true,
            ..XmlStyle::default()
        },
        XmlStyle {
            namespace: false,
            pretty: true,
            bom: true,
            shuffle_attributes: true,
        },
    ];
    for style in styles {
        for (outer, last, folders) in [
            (Compression::None, false, 1),
            (Compression::Lzx { window_bits: 15 }, true, 3),
            (Compression::MsZip, true, 2),
        ] {
            let spec = Spec {
                style,
                outer,
                package_cab_last: last,
                outer_folders: folders,
                ..base.clone()
            };
            let g = generate::generate(&spec);
            let (_d, p) = temp_file("v.cab", &g.cab);
            let (code, report) = check_json(&p, &["--allow-unsigned", "--batch-size", "8192"]);
            assert_eq!(code, 1, "{style:?}");
            let strip = |v: &serde_json::Value| {
                let mut v = v.clone();
                for f in v.as_array_mut().unwrap() {
                    f.as_object_mut().unwrap().remove("offset");
                }
                v
            };
            assert_eq!(
                strip(&report["findings"]),
                strip(&reference["findings"]),
                "{style:?} {outer:?}"
            );
            assert_eq!(
                report["summary"], reference["summary"],
                "{style:?} {outer:?}"
            );
        }
    }
}

fn check_xml(xml: &str) -> (i32, serde_json::Value, String) {
    let cab = generate::catalog_from_package_xml(xml.as_bytes(), Compression::MsZip);
    let (_dir, path) = temp_file("hand.cab", &cab);
    let r = run([
        "check",
        "--allow-unsigned",
        "--format",
        "json",
        "--batch-size",
        "4096",
        path.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or(serde_json::Value::Null);
    (r.code, v, r.stderr)
}

const NS: &str = "http://schemas.microsoft.com/msus/2004/02/OfflineSync";

fn doc(updates: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><OfflineSyncPackage xmlns=\"{NS}\" PackageId=\"{{p}}\" CreationDate=\"2026-05-12T08:51:08Z\"><Updates>{updates}</Updates><FileLocations/></OfflineSyncPackage>"
    )
}

#[test]
fn xml_is_read_as_xml_says() {
    let updates = r#"
        <!-- <Update RevisionId="1" UpdateId="c" DeploymentAction="Block"/> -->
        <?wsus <Update RevisionId="2" DeploymentAction="Block"/> ?>
        <Update UpdateId="u3" RevisionNumber="1" RevisionId="3" DeploymentAction="Inst&#97;ll"/>
        <Update UpdateId="u4" RevisionNumber="1" RevisionId="4" DeploymentAction="&lt;x&gt;&amp;"></Update>
        <Update UpdateId="u5" RevisionNumber="1" RevisionId="5" IsLeaf="true" DeploymentAction="Bundle">
          <Notes><![CDATA[<Update RevisionId="6" DeploymentAction="Block"/>]]></Notes>
          <BundledBy><Revision Id="3"/></BundledBy>
        </Update>
        <Update UpdateId="u8" RevisionId="8" RevisionNumber="x" DeploymentAction="Install&#x9;" Unknown="ignored"/>
    "#;
    let (code, report, stderr) = check_xml(&doc(updates));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["summary"]["updates_checked"], 4);
    assert_eq!(finding_revisions(&report), vec![4, 8]);
    assert_eq!(report["findings"][0]["value"], "<x>&");
    assert_eq!(report["findings"][1]["value"], "Install\t");
    assert_eq!(
        report["findings"][1]["revision_number"],
        serde_json::Value::Null
    );
    assert_eq!(report["summary"]["by_kind"]["child"], 1);
}

#[test]
fn prefixed_and_unprefixed_names_match_by_local_name() {
    let xml = format!(
        "<w:OfflineSyncPackage xmlns:w=\"{NS}\"><w:Updates><w:Update RevisionId=\"10\" DeploymentAction=\"Block\"/></w:Updates></w:OfflineSyncPackage>"
    );
    let (code, report, stderr) = check_xml(&xml);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(finding_revisions(&report), vec![10]);
}

/// A prefix the root declares is bound in every batch, however the
/// document is cut; one an `<Update>` declares ends with it.
#[test]
fn namespace_bindings_cross_batch_boundaries() {
    let updates: String = (1..=300)
        .map(|r| format!("<w:Update RevisionId=\"{r}\" w:x=\"1\" DeploymentAction=\"Block\"><w:Languages><w:Language Name=\"en\"/></w:Languages></w:Update>"))
        .collect();
    let xml = format!(
        "<w:OfflineSyncPackage xmlns:w=\"{NS}\"><w:Updates>{updates}</w:Updates><w:FileLocations/></w:OfflineSyncPackage>"
    );
    let (code, report, stderr) = check_xml(&xml);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["summary"]["updates_checked"], 300);
    let scoped = doc("<Update RevisionId=\"1\" xmlns:q=\"urn:q\" q:a=\"1\"/><Update RevisionId=\"2\" q:a=\"1\"/>");
    let (code, _, stderr) = check_xml(&scoped);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("expected a declared prefix, found q:"),
        "{stderr}"
    );
}

#[test]
fn malformed_or_empty_package_xml_is_an_unusable_catalog() {
    let cases: &[(&str, String)] = &[
        ("no updates", doc("")),
        (
            "cut short",
            doc("<Update RevisionId=\"1\"/>")
                .replace("</Updates><FileLocations/></OfflineSyncPackage>", ""),
        ),
        ("mismatched", doc("<Update RevisionId=\"1\"></Updat>")),
        (
            "doctype",
            format!(
                "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
                doc("<Update RevisionId=\"1\"/>")
            ),
        ),
        (
            "undefined entity",
            doc("<Update RevisionId=\"1\" DeploymentAction=\"&bogus;\"/>"),
        ),
        (
            "second root",
            format!("{}<OfflineSyncPackage/>", doc("<Update RevisionId=\"1\"/>")),
        ),
        (
            "text after root",
            format!("{}junk", doc("<Update RevisionId=\"1\"/>")),
        ),
        ("no revision id", doc("<Update UpdateId=\"x\"/>")),
        (
            "wrong root",
            "<Other><Updates><Update RevisionId=\"1\"/></Updates></Other>".to_string(),
        ),
        (
            "duplicate attribute",
            doc("<Update RevisionId=\"1\" RevisionId=\"2\"/>"),
        ),
        // An <Update> anywhere but under <Updates> is an error, not skipped.
        (
            "nested update",
            doc("<Update RevisionId=\"5\"><Nested><Update RevisionId=\"7\" DeploymentAction=\"Block\"/></Nested></Update>"),
        ),
    ];
    for (what, xml) in cases {
        let (code, report, stderr) = check_xml(xml);
        assert_eq!(code, 3, "{what}: {stderr}");
        assert!(report["error"]["kind"].is_string(), "{what}: {report}");
        assert!(
            stderr.contains("package.cab > package.xml"),
            "{what}: {stderr}"
        );
    }
    let mut bad = doc("<Update RevisionId=\"1\"/>").into_bytes();
    bad.push(0xFF);
    let cab = generate::catalog_from_package_xml(&bad, Compression::MsZip);
    let (_d, p) = temp_file("bad.cab", &cab);
    let r = run(["check", "--allow-unsigned", p.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
}

#[test]
fn broken_fixtures_exit_3_naming_the_place() {
    // The truncated fixture is the clean one cut short: the message names
    // both sizes (they change whenever the generator's output does).
    let size = |name: &str| std::fs::metadata(testdata(name)).unwrap().len();
    let truncated = format!(
        "truncated or padded download: expected {} bytes, the file has {}",
        size("clean-wsusscn2.cab"),
        size("broken-truncated.cab")
    );
    let cases = [
        ("broken-truncated.cab", truncated.as_str()),
        ("broken-flipped-byte.cab", "digest mismatch"),
        ("broken-not-a-cab.cab", "not a cabinet"),
        ("broken-no-package-xml.cab", "no package.xml in package.cab"),
        (
            "broken-malformed-xml.cab",
            "package.cab > package.xml, byte",
        ),
        ("unsigned-wsusscn2.cab", "unsigned"),
    ];
    let [t, a] = trust();
    for (name, needle) in cases {
        let path = testdata(name);
        let r = run(["check", &t, &a, path.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{name}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: no report on failure");
        let line = r.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{name}: one line: {line}");
        assert!(line.contains(name), "{name}: names the file: {line}");
        assert!(line.contains(needle), "{name}: {line}");
    }
    // Without the signature check, the damaged block itself is named.
    let r = run([
        "check",
        "--no-verify",
        testdata("broken-flipped-byte.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("folder 1, block 1") && r.stderr.contains("checksum"),
        "{}",
        r.stderr
    );
    let r = run([
        "check",
        &t,
        &a,
        testdata("broken-malformed-xml.cab").to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("update RevisionId"), "{}", r.stderr);
}

#[test]
fn environment_errors_exit_2() {
    let r = run(["check", "/no/such/wsusscn2.cab"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/no/such/wsusscn2.cab"), "{}", r.stderr);
    let (code, report) = check_json(std::path::Path::new("/no/such/wsusscn2.cab"), &[]);
    assert_eq!(code, 2);
    assert_eq!(report["error"]["kind"], "io");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot open"));
    let clean = testdata("clean-wsusscn2.cab");
    let clean = clean.to_str().unwrap();
    for args in [
        &["check", "--profile", "no-such-profile", clean][..],
        &["check", "--trust-anchor", "/no/such/root.pem", clean],
        &["check", "--threads", "0", clean],
        &["check", "--no-verify", "--allow-unsigned", clean],
        &["frobnicate"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
}

#[test]
fn a_profile_file_works_like_a_built_in() {
    let (_d, path) = temp_file(
        "strict.toml",
        br#"
name = "bundles-only"
description = "test profile"
evidence = "test"
[[rule]]
name = "only-bundle"
attribute = "DeploymentAction"
allow_absent = true
allowed = ["Bundle"]
severity = "warn"
"#,
    );
    let profile = path.to_str().unwrap();
    let mut args = trust_args();
    args.extend(["--profile", profile]);
    let (code, report) = check_json(&testdata("sample-wsusscn2.cab"), &args);
    // Warnings never change the verdict: Evaluate and PreDeploymentCheck are
    // flagged, but nothing breaks.
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["verdict"], "compatible");
    assert!(report["summary"]["warnings"].as_u64().unwrap() > 1);
    assert_eq!(report["profile"]["name"], "bundles-only");

    let mut args = trust_args();
    args.extend(["--profile", "configmgr2007-legacy", "--profile", profile]);
    let (code, report) = check_json(&testdata("sample-wsusscn2.cab"), &args);
    assert_eq!(code, 1);
    assert_eq!(
        report["profile"]["name"],
        "configmgr2007-legacy + bundles-only"
    );
}

#[test]
fn committed_fixtures_match_the_generator() {
    if !have_tool("osslsigncode") {
        return;
    }
    for (name, bytes, _) in fixtures::all(&fixtures::signing_dir(&root().join("testdata"))).unwrap()
    {
        let committed = std::fs::read(testdata(name)).unwrap_or_default();
        assert!(
            committed == bytes,
            "testdata/{name} is stale: run `cargo run --release -- generate --fixtures testdata`"
        );
    }
}

/// Hash once (docs/design.md): a signed catalog is named by the digest its
/// signature covers, which osslsigncode computes independently; the file's
/// own SHA-256 is there with --sha256, or when no signature is checked.
#[test]
fn the_file_is_hashed_once_unless_its_sha256_is_asked_for() {
    let cab = testdata("sample-wsusscn2.cab");
    let file_sha256 = {
        use sha2::Digest;
        let bytes = std::fs::read(&cab).unwrap();
        wsuscat::trust::hex(&sha2::Sha256::digest(&bytes))
    };
    let [t, a] = trust();
    let (_, default) = check_json(&cab, &[&t, &a]);
    assert_eq!(default["catalog"]["sha256"], serde_json::Value::Null);
    let signed = default["catalog"]["signed_digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(signed.starts_with("sha256:"), "{signed}");
    let (_, asked) = check_json(&cab, &[&t, &a, "--sha256"]);
    assert_eq!(asked["catalog"]["sha256"], file_sha256.as_str());
    assert_eq!(asked["catalog"]["signed_digest"], signed.as_str());
    let (_, unchecked) = check_json(&cab, &["--no-verify"]);
    assert_eq!(unchecked["catalog"]["sha256"], file_sha256.as_str());
    assert_eq!(
        unchecked["catalog"]["signed_digest"],
        serde_json::Value::Null
    );
    if !have_tool("osslsigncode") {
        return;
    }
    let out = std::process::Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(test_anchor())
        .arg("-in")
        .arg(&cab)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let calculated = text
        .lines()
        .find_map(|l| l.strip_prefix("Calculated message digest :"))
        .map(|d| d.trim().to_ascii_lowercase())
        .expect("osslsigncode prints the calculated digest");
    assert_eq!(signed, format!("sha256:{calculated}"));
}

#[test]
fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let [t, a] = trust();
    let r = run([
        "check",
        "--quiet",
        &t,
        &a,
        testdata("sample-wsusscn2.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty() && r.stderr.is_empty());
    let r = run([
        "check",
        "-q",
        testdata("broken-truncated.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("truncated"));
}

#[test]
fn profiles_command_lists_the_built_ins() {
    let r = run(["profiles"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("configmgr2007-legacy (default)"));
    assert!(r.stdout.contains("wua"));
    let r = run(["profiles", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

//! One test per shape read in real catalogs, each on a short literal of
//! that shape written by hand here.
//!
//! The generator and the parser were once written from the same guess, and
//! agreed with each other while disagreeing with Microsoft: every generated
//! `x\` fragment carried `<MsrcSeverity>` as a child element, the parser read
//! it there, and every real update's severity came out empty (real fragments
//! carry it as an attribute). So the inputs here are not generator output.
//! They are invented values (GUIDs, KB numbers, titles, digests) laid out in
//! the shapes read in public copies of real catalogs; each test's comment
//! names the files it follows. No third-party bytes are copied.
//!
//! The main source is a slice of the 2026-07-14 catalog (package.xml
//! `CreationDate="2026-07-14T13:54:06Z"`, 20 revisions of the first shard,
//! with their `c\`, `x\` and `l\en\` fragments), in the public repository
//! HexMystic/patchmanagement at commit
//! 1c0681f959196713de9dcd4641fd36a14a7c6b8e, under
//! `tests/PatchManagement.Content.Tests/Samples/wsusscn2/` (described in
//! `Samples/PROVENANCE.md` and `docs/phases/phase-5.md` there, which also
//! give counts measured across the whole cab: in the first shard 523
//! Software, 93 Detectoid and 10 Category revisions, KBArticleID in 256 of
//! 626 `x/` fragments and MsrcSeverity in 251; 37 languages in `l/`). Paths
//! below are relative to that folder and that commit.

use std::path::PathBuf;

use crate::common::*;
use serde_json::Value;
use wsuscat::cab::writer::CabBuilder;
use wsuscat::cab::Compression;
use wsuscat::catalog::fragment::{self, Facts, FragmentKind};
use wsuscat::commands::generate::rng::base64;

// Invented identities. The category GUIDs are lower case in package.xml,
// as there; the `c\` fragments of categories and detectoids spell the same
// GUIDs in upper or mixed case, as real ones do.
const COMPANY: &str = "5a0e3d4c-7b21-4f6e-9c3a-2d8b1e0f4a61";
const FAMILY: &str = "8c2f7e91-3d4a-4b5c-a6e7-f0129384b5c6";
const PRODUCT: &str = "3e9b4a12-6c7d-4e8f-9a0b-1c2d3e4f5a6b";
const CLASSIFICATION: &str = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f";
const DETECTOID: &str = "9f8e7d6c-5b4a-4a92-8170-fedcba987654";
const BUNDLE: &str = "2b7c9d1e-4f3a-4c5b-8d6e-7f8091a2b3c4";
const CHILD: &str = "6d5e4f3a-2b1c-4d0e-9f8a-7b6c5d4e3f2a";
const BUNDLE_2: &str = "a4b3c2d1-e0f9-4a8b-9c7d-6e5f4a3b2c1d";
const CHILD_2: &str = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";

const TITLE: &str =
    "2026-05 Cumulative Update for Windows 11, version 24H2 for x64-based Systems (KB5090001)";
const TITLE_DE: &str =
    "2026-05 Kumulatives Update für Windows 11, Version 24H2 für x64-basierte Systeme (KB5090001)";
const TITLE_2: &str = "2026-06 Security Update for .NET Framework 4.8.1 for Windows 11 (KB5090107)";

/// A payload digest: base64 of 20 bytes, as `File/@Id` and `File/@Digest`
/// are written.
fn digest(i: u8) -> String {
    base64(&[i; 20])
}

fn hex(i: u8) -> String {
    format!("{i:02x}").repeat(20)
}

/// index.xml as real catalogs write it: package.cab without RANGESTART, the
/// first shard from 0 (with FILESDIR), the second from `second` (627 in
/// the 2026-07-14 catalog: its first shard covers 0-626, per
/// docs/phases/phase-5.md's "all 626 c/ and x/ blobs in the shard").
fn index_xml(second: u64) -> String {
    format!(
        r#"<INDEX VERSION="1"><CABLIST XOR="0"><CAB NAME="package.cab" /><CAB NAME="package2.cab" RANGESTART="0" FILESDIR="1" /><CAB NAME="package3.cab" RANGESTART="{second}" /></CABLIST></INDEX>"#
    )
}

/// The RevisionIds of the literal catalog's updates.
struct Revs {
    bundle: u64,
    child: u64,
    detectoid: u64,
    classification: u64,
    product: u64,
    /// The last revision of the first shard: a child of `bundle_2`.
    child_2: u64,
    /// The first revision of the second shard.
    bundle_2: u64,
    /// A bundle's kind attributes: `IsBundle="true"` in 2026.
    bundle_flags: &'static str,
}

/// 2026: small RevisionIds, the first shard 0-626.
const REVS_2026: Revs = Revs {
    bundle: 1,
    child: 2,
    detectoid: 3,
    classification: 5,
    product: 7,
    child_2: 626,
    bundle_2: 627,
    bundle_flags: r#"IsBundle="true""#,
};

/// package.xml in the 2026 shape (package.xml at the commit above): the
/// root's attributes in that order with bare GUIDs; bundles `IsBundle="true"`
/// WITHOUT `IsLeaf`, Prerequisites before SupersededBy before Categories,
/// UpdateClassification listed first; children `IsLeaf="true"
/// DeploymentAction="Bundle"` with PayloadFiles first and one BundledBy
/// (children have lower RevisionIds than their bundles: revision 2 is
/// bundled by 436 there); categories and detectoids empty elements with
/// `DeploymentAction="Evaluate" IsSoftware="false"`.
fn package_xml_2026(r: &Revs) -> String {
    let flags = r.bundle_flags;
    let bundle = |rev: u64, id: &str, superseded_by: &str| {
        format!(
            r#"<Update CreationDate="2026-05-12T17:00:01Z" DefaultLanguage="en" UpdateId="{id}" RevisionNumber="100" RevisionId="{rev}" {flags}><Prerequisites><UpdateId Id="{PRODUCT}" /><UpdateId Id="{CLASSIFICATION}" /><UpdateId Id="{DETECTOID}" /></Prerequisites>{superseded_by}<Categories><Category Type="UpdateClassification" Id="{CLASSIFICATION}" /><Category Type="Company" Id="{COMPANY}" /><Category Type="ProductFamily" Id="{FAMILY}" /><Category Type="Product" Id="{PRODUCT}" /></Categories></Update>"#
        )
    };
    let child = |rev: u64, id: &str, files: &[u8], bundled_by: u64| {
        let files: String = files
            .iter()
            .map(|&i| format!(r#"<File Id="{}" />"#, digest(i)))
            .collect();
        format!(
            r#"<Update CreationDate="2026-05-12T17:00:02Z" DefaultLanguage="en" UpdateId="{id}" RevisionNumber="100" RevisionId="{rev}" IsLeaf="true" DeploymentAction="Bundle"><PayloadFiles>{files}</PayloadFiles><Prerequisites><UpdateId Id="{PRODUCT}" /><UpdateId Id="{CLASSIFICATION}" /></Prerequisites><BundledBy><Revision Id="{bundled_by}" /></BundledBy></Update>"#
        )
    };
    let category = |rev: u64, id: &str| {
        format!(
            r#"<Update CreationDate="2017-05-30T19:45:24Z" DefaultLanguage="en" UpdateId="{id}" RevisionNumber="100" RevisionId="{rev}" DeploymentAction="Evaluate" IsSoftware="false" />"#
        )
    };
    let locations: String = (1..=15)
        .map(|i| {
            format!(
                r#"<FileLocation Id="{}" Url="http://download.windowsupdate.com/d/msdownload/update/software/secu/2026/05/windows11.0-kb5090001-x64_{}.cab" />"#,
                digest(i),
                hex(i)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><OfflineSyncPackage MinimumClientVersion="5.8.0.2678" PackageId="0d6c1f7a-93e2-4b8e-a0f4-51c7d2e8b9a3" PackageVersion="1.1" ProtocolVersion="1.0" CreationDate="2026-07-14T12:00:00Z" SourceId="4e2a9b71-c8d3-4f05-b6e1-7a3c9d0f2e84" xmlns="http://schemas.microsoft.com/msus/2004/02/OfflineSync"><Updates>{}{}{}{}{}{}{}</Updates><FileLocations>{locations}</FileLocations></OfflineSyncPackage>"#,
        bundle(
            r.bundle,
            BUNDLE,
            &format!(
                r#"<SupersededBy><Revision Id="{}" /></SupersededBy>"#,
                r.bundle_2 + 300
            )
        ),
        child(r.child, CHILD, &(1..=14).collect::<Vec<u8>>(), r.bundle),
        category(r.detectoid, DETECTOID),
        category(r.classification, CLASSIFICATION),
        category(r.product, PRODUCT),
        child(r.child_2, CHILD_2, &[15], r.bundle_2),
        bundle(r.bundle_2, BUNDLE_2, ""),
    )
}

/// `c\` of a bundle (c/1): Properties with `UpdateType="Software"` and more
/// attributes; Relationships with SupersededUpdates, Prerequisites in
/// `AtLeastOne` groups, and BundledUpdates whose UpdateIdentity writes
/// RevisionNumber BEFORE UpdateID. No ApplicabilityRules.
fn core_bundle(id: &str, child: &str) -> String {
    format!(
        r#"<UpdateIdentity UpdateID="{id}" RevisionNumber="100" /><Properties UpdateType="Software" ExplicitlyDeployable="true" AutoSelectOnWebSites="true" /><Relationships><SupersededUpdates><UpdateIdentity UpdateID="7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" /></SupersededUpdates><Prerequisites><AtLeastOne IsCategory="true"><UpdateIdentity UpdateID="{PRODUCT}" /></AtLeastOne><AtLeastOne IsCategory="true"><UpdateIdentity UpdateID="{CLASSIFICATION}" /></AtLeastOne><AtLeastOne><UpdateIdentity UpdateID="{DETECTOID}" /></AtLeastOne></Prerequisites><BundledUpdates><AtLeastOne><UpdateIdentity RevisionNumber="100" UpdateID="{child}" /></AtLeastOne></BundledUpdates></Relationships>"#
    )
}

/// `c\` of a bundled child (c/2, c/12): a bare `Properties
/// UpdateType="Software"`, Prerequisites mixing AtLeastOne groups and plain
/// identities, ApplicabilityRules on ProductReleaseInstalled and
/// DeviceAttribute.
fn core_child(id: &str) -> String {
    format!(
        r#"<UpdateIdentity UpdateID="{id}" RevisionNumber="100" /><Properties UpdateType="Software" /><Relationships><Prerequisites><AtLeastOne IsCategory="true"><UpdateIdentity UpdateID="{PRODUCT}" /></AtLeastOne><UpdateIdentity UpdateID="{DETECTOID}" /></Prerequisites></Relationships><ApplicabilityRules><IsInstalled><ProductReleaseInstalled Name="Windows.Client.amd64" Version="10.0.26100.9001" /></IsInstalled><IsInstallable><And><Not><DeviceAttribute Name="OSSkuId" Type="String" Comparison="EqualTo" Value="7" /></Not><DeviceAttribute Name="OSVersion" Type="Version" Comparison="GreaterThanOrEqualTo" Value="10.0.26100.1" /></And></IsInstallable></ApplicabilityRules>"#
    )
}

/// `c\` of a detectoid (c/3): its UpdateID in mixed case where package.xml
/// has it in lower case, `UpdateType="Detectoid"`, a dotted element name.
fn core_detectoid() -> String {
    r#"<UpdateIdentity UpdateID="9F8E7D6C-5B4A-4a92-8170-FEDCBA987654" RevisionNumber="100" /><Properties UpdateType="Detectoid" /><ApplicabilityRules><IsInstalled><b.Processor Architecture="9" /></IsInstalled></ApplicabilityRules>"#.to_string()
}

/// `c\` of a category (c/5): its UpdateID in upper case,
/// `UpdateType="Category"`, an empty `<True />`.
fn core_category(id: &str) -> String {
    format!(
        r#"<UpdateIdentity UpdateID="{}" RevisionNumber="100" /><Properties UpdateType="Category" /><ApplicabilityRules><IsInstalled><True /></IsInstalled></ApplicabilityRules>"#,
        id.to_ascii_uppercase()
    )
}

/// `x\` of a bundle (x/1, x/13, x/616): ProductName, ReleaseVersion,
/// ReleaseRevision, DefaultPropertiesLanguage, BrowseOnly and MsrcSeverity
/// are attributes of `<ExtendedProperties>`; MoreInfoUrl, SupportUrl,
/// `Language` (`all`) and KBArticleID are child elements. No Files.
fn extended_bundle(kb: u32, severity: &str) -> String {
    format!(
        r#"<ExtendedProperties ProductName="Windows.Client.amd64" ReleaseVersion="10.0.26100.9001" ReleaseRevision="1" DefaultPropertiesLanguage="en" BrowseOnly="false" MsrcSeverity="{severity}"><MoreInfoUrl>http://go.microsoft.com/fwlink/?LinkID=100001</MoreInfoUrl><SupportUrl>http://go.microsoft.com/fwlink/?LinkId=100002</SupportUrl><Language>all</Language><KBArticleID>{kb}</KBArticleID></ExtendedProperties>"#
    )
}

/// `x\` of a bundled child (x/2, x/12): a Handler and download sizes but no
/// KBArticleID and no MsrcSeverity; InstallationBehavior and `Language`
/// children; then Files with one `<File>` per payload file (16 and 19 in
/// those two), each with attributes in the order PatchingType (or
/// PatchingTypePreferred), Modified, Size, FileName, DigestAlgorithm,
/// Digest, and an `<AdditionalDigest Algorithm="SHA256">` child; then
/// HandlerSpecificData.
fn extended_child(files: &[u8]) -> String {
    let files: String = files
        .iter()
        .map(|&i| {
            let patching = if i == 1 {
                r#"PatchingTypePreferred="ServicingStack""#
            } else {
                r#"PatchingType="SelfContained""#
            };
            format!(
                r#"<File {patching} Modified="2026-05-12T17:00:02Z" Size="{}" FileName="Windows11.0-KB5090001-x64-part{i}.cab" DigestAlgorithm="SHA1" Digest="{}"><AdditionalDigest Algorithm="SHA256">{}</AdditionalDigest></File>"#,
                1000 * u32::from(i),
                digest(i),
                base64(&[i; 32])
            )
        })
        .collect();
    format!(
        r#"<ExtendedProperties ProductName="Windows.Client.amd64" ReleaseVersion="10.0.26100.9001" ReleaseRevision="1" DefaultPropertiesLanguage="en" Handler="http://schemas.microsoft.com/msus/2016/01/UpdateHandlers/OSInstaller" MaxDownloadSize="9000000000" MinDownloadSize="0"><InstallationBehavior RebootBehavior="CanRequestReboot" /><Language>all</Language></ExtendedProperties><Files>{files}</Files><HandlerSpecificData type="OSInstallerMetadata"><OSInstallData InitialModule="UpdateAgent.dll" /></HandlerSpecificData>"#
    )
}

/// `l\<lang>\` (l/en/1, l/en/616): Language, Title, Description,
/// MoreInfoUrl, SupportUrl.
fn localized(lang: &str, title: &str) -> String {
    format!(
        r#"<LocalizedProperties><Language>{lang}</Language><Title>{title}</Title><Description>A security issue has been identified. Install this update to protect your system.</Description><MoreInfoUrl>https://support.microsoft.com/help/5090001</MoreInfoUrl><SupportUrl>https://support.microsoft.com/help/5090001</SupportUrl></LocalizedProperties>"#
    )
}

/// A category's `l\en\`: its name as Title.
fn localized_category(title: &str) -> String {
    format!(
        r#"<LocalizedProperties><Language>en</Language><Title>{title}</Title></LocalizedProperties>"#
    )
}

fn shard(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = CabBuilder::new();
    b.add_folder(Compression::MsZip);
    for (name, data) in members {
        b.add_file(name, data);
    }
    b.finish()
}

fn outer(index: &str, package_xml: &str, shards: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut package_cab = CabBuilder::new();
    package_cab
        .add_folder(Compression::MsZip)
        .add_file("package.xml", package_xml.as_bytes());
    let package_cab = package_cab.finish();
    let mut b = CabBuilder::new();
    b.add_folder(Compression::MsZip);
    b.add_file("index.xml", index.as_bytes());
    b.add_file("package.cab", &package_cab);
    for (name, data) in shards {
        b.add_file(name, data);
    }
    b.finish()
}

fn member(name: String, text: String) -> (String, Vec<u8>) {
    (name, text.into_bytes())
}

/// The literal 2026-shaped catalog, with RevisionIds `r`.
///
/// Only bundles have `l\` fragments: in the slice, l/en exists for the
/// bundles (1, 13, 20, 21, 31, 33, 108, 350, 389, 616) and for none of the
/// bundled children (2, 12, 15, 26, 29, 36, 38, 42). The categories' own
/// `l\en\` fragments name products and classifications.
fn catalog_2026(r: &Revs) -> (tempfile::TempDir, PathBuf) {
    let first = shard(&[
        member(format!("c\\{}", r.bundle), core_bundle(BUNDLE, CHILD)),
        member(
            format!("x\\{}", r.bundle),
            extended_bundle(5090001, "Critical"),
        ),
        member(format!("l\\en\\{}", r.bundle), localized("en", TITLE)),
        member(format!("l\\de\\{}", r.bundle), localized("de", TITLE_DE)),
        member(
            format!("e\\en\\{}", r.bundle),
            "<EulaProperties><Language>en</Language></EulaProperties>".into(),
        ),
        member(format!("c\\{}", r.child), core_child(CHILD)),
        member(
            format!("x\\{}", r.child),
            extended_child(&(1..=14).collect::<Vec<u8>>()),
        ),
        member(format!("c\\{}", r.detectoid), core_detectoid()),
        member(
            format!("c\\{}", r.classification),
            core_category(CLASSIFICATION),
        ),
        member(
            format!("l\\en\\{}", r.classification),
            localized_category("Security Updates"),
        ),
        member(format!("c\\{}", r.product), core_category(PRODUCT)),
        member(
            format!("l\\en\\{}", r.product),
            localized_category("Windows 11"),
        ),
        member(format!("c\\{}", r.child_2), core_child(CHILD_2)),
        member(format!("x\\{}", r.child_2), extended_child(&[15])),
        // Members wsuscat does not read: EULA texts in `files\` (UTF-16)
        // and the `i\` folder, whose contents are not known.
        (
            "files\\eula-text-en.txt".to_string(),
            vec![0xFF, 0xFE, b'E', 0, b'U', 0, b'L', 0, b'A', 0],
        ),
        ("i\\1".to_string(), b"\x00\x01\x02".to_vec()),
    ]);
    let second = shard(&[
        member(format!("c\\{}", r.bundle_2), core_bundle(BUNDLE_2, CHILD_2)),
        member(
            format!("x\\{}", r.bundle_2),
            extended_bundle(5090107, "Important"),
        ),
        member(format!("l\\en\\{}", r.bundle_2), localized("en", TITLE_2)),
    ]);
    let cab = outer(
        &index_xml(r.bundle_2),
        &package_xml_2026(r),
        &[("package2.cab", first), ("package3.cab", second)],
    );
    temp_file("wsusscn2.cab", &cab)
}

fn json_of(args: &[&str]) -> Value {
    let r = run(args);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

fn show_json(path: &std::path::Path, rev: u64, extra: &[&str]) -> Value {
    let path = path.to_str().unwrap();
    let rev = rev.to_string();
    let mut args = vec!["show", "--allow-unsigned", "--format", "json"];
    args.extend_from_slice(extra);
    args.extend([path, rev.as_str()]);
    let v = json_of(&args);
    let updates = v["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 1, "{v}");
    updates[0].clone()
}

fn list_rows(path: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["list", "--allow-unsigned", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    json_of(&args)["updates"]
        .as_array()
        .expect("updates")
        .clone()
}

fn row(rows: &[Value], rev: u64) -> &Value {
    rows.iter()
        .find(|r| r["revision_id"] == rev)
        .unwrap_or_else(|| panic!("no row for {rev}"))
}

/// The bug this file exists for. Real `x\` fragments of bundles carry the
/// severity as an attribute, `<ExtendedProperties … MsrcSeverity="Critical">`
/// (x/1, x/13, x/20, x/108, x/616 at the commit above), and `show` and
/// `list` reported it as empty. Children's fragments carry none (x/2,
/// x/12).
#[test]
fn msrc_severity_is_an_attribute_of_extended_properties() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    for (rev, kb, severity) in [
        (r.bundle, "5090001", "Critical"),
        (r.bundle_2, "5090107", "Important"),
    ] {
        let shown = show_json(&path, rev, &[]);
        assert_eq!(shown["names"]["msrc_severity"], severity, "{shown}");
        assert_eq!(shown["names"]["kb"], kb);
    }
    let child = show_json(&path, r.child, &[]);
    assert_eq!(child["names"]["msrc_severity"], Value::Null);
    assert_eq!(child["names"]["kb"], Value::Null);

    let human = run([
        "show",
        "--allow-unsigned",
        path.to_str().unwrap(),
        &r.bundle.to_string(),
    ]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stdout.contains("Critical"), "{}", human.stdout);

    let rows = list_rows(&path, &[]);
    assert_eq!(row(&rows, r.bundle)["names"]["msrc_severity"], "Critical");
    assert_eq!(
        row(&rows, r.bundle_2)["names"]["msrc_severity"],
        "Important"
    );
    assert_eq!(row(&rows, r.child)["names"]["msrc_severity"], Value::Null);
    let csv = run([
        "list",
        "--allow-unsigned",
        "--format",
        "csv",
        path.to_str().unwrap(),
    ]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let bundle_line = csv
        .stdout
        .lines()
        .find(|l| l.contains("5090107"))
        .unwrap_or_else(|| panic!("{}", csv.stdout));
    assert!(bundle_line.contains("Important"), "{bundle_line}");
}

/// The extended fragment of a bundle in detail (x/1): the severity is the
/// root's attribute among ProductName, ReleaseVersion, ReleaseRevision and
/// BrowseOnly; KBArticleID is a child beside MoreInfoUrl, SupportUrl and a
/// `Language` of `all`. A bundle's fragment lists no files.
#[test]
fn bundle_extended_fragments_carry_product_and_release_attributes() {
    let x = extended_bundle(5090001, "Critical");
    let Facts::Extended(e) = fragment::parse(&FragmentKind::Extended, x.as_bytes()).unwrap() else {
        panic!("extended facts expected")
    };
    assert_eq!(e.msrc_severity.as_deref(), Some("Critical"));
    assert_eq!(e.kb.as_deref(), Some("5090001"));
    assert_eq!(e.security_bulletin, None);
    assert!(e.files.is_empty());
}

/// The extended fragment of a bundled child (x/2, x/12): 16 and 19 `<File>`
/// entries there, each with an `<AdditionalDigest>` child; every file is
/// read with its name, digest and size, and the nested digest is not taken
/// for a file. No KB and no severity.
#[test]
fn child_extended_fragments_list_many_files_with_additional_digests() {
    let x = extended_child(&(1..=14).collect::<Vec<u8>>());
    let Facts::Extended(e) = fragment::parse(&FragmentKind::Extended, x.as_bytes()).unwrap() else {
        panic!("extended facts expected")
    };
    assert_eq!(e.files.len(), 14);
    for (i, f) in (1u8..).zip(&e.files) {
        assert_eq!(
            f.file_name.as_deref(),
            Some(format!("Windows11.0-KB5090001-x64-part{i}.cab").as_str())
        );
        assert_eq!(f.digest.as_deref(), Some(digest(i).as_str()));
        assert_eq!(
            f.size.as_deref(),
            Some((1000 * u32::from(i)).to_string().as_str())
        );
    }
    assert_eq!(e.kb, None);
    assert_eq!(e.msrc_severity, None);
}

/// Bundles of 2026 carry `IsBundle="true"` without `IsLeaf` (every bundle in
/// package.xml at the commit above: revisions 1, 13, 20, 21, 31, 33, 108,
/// 350, 389, 616); children `IsLeaf="true" DeploymentAction="Bundle"`;
/// categories and detectoids `DeploymentAction="Evaluate"
/// IsSoftware="false"`. Each is the kind it is, and the default check finds
/// nothing to report.
#[test]
fn bundles_carry_is_bundle_without_is_leaf() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    let rows = list_rows(&path, &[]);
    assert_eq!(rows.len(), 7);
    for (rev, kind) in [
        (r.bundle, "bundle"),
        (r.bundle_2, "bundle"),
        (r.child, "child"),
        (r.child_2, "child"),
        (r.detectoid, "category"),
        (r.classification, "category"),
        (r.product, "category"),
    ] {
        assert_eq!(row(&rows, rev)["kind"], kind, "{rev}");
    }
    let bundles: Vec<u64> = list_rows(&path, &["--kind", "bundle"])
        .iter()
        .map(|r| r["revision_id"].as_u64().unwrap())
        .collect();
    assert_eq!(bundles, [r.bundle, r.bundle_2]);
    assert_eq!(row(&rows, r.bundle)["names"]["title"], TITLE);
    assert_eq!(
        row(&rows, r.bundle)["names"]["classification"],
        "Security Updates"
    );
    assert_eq!(row(&rows, r.bundle)["names"]["products"][0], "Windows 11");

    let (code, report) = check_json(&path, &["--allow-unsigned"]);
    assert_eq!(code, 0, "{report}");
    assert!(finding_revisions(&report).is_empty(), "{report}");
}

/// Bundled children have no `l\` fragment: none of 2, 12, 15, 26, 29, 36,
/// 38 and 42 has one in the slice ("eight of these revisions genuinely have
/// no English title", Samples/PROVENANCE.md). A child is named by its
/// bundle, and the missing fragment is a note, not an error.
#[test]
fn bundled_children_have_no_localized_fragment() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    let child = show_json(&path, r.child, &[]);
    let names = &child["names"];
    assert_eq!(names["title"], Value::Null);
    assert_eq!(names["bundled_by"]["revision_id"], r.bundle);
    assert_eq!(names["bundled_by"]["title"], TITLE);
    let notes = names["notes"].to_string();
    assert!(
        notes.contains(&format!("l\\\\en\\\\{}", r.child)),
        "{notes}"
    );
    // A child at the end of the first shard is named by its bundle at the
    // start of the second.
    let child_2 = show_json(&path, r.child_2, &[]);
    assert_eq!(child_2["shard"], "package2.cab");
    assert_eq!(child_2["names"]["bundled_by"]["title"], TITLE_2);
}

/// 2026 RevisionIds are small: the slice's package.xml holds revisions 1
/// to 616, and its first shard covers 0-626 (docs/phases/phase-5.md: "all
/// 626 c/ and x/ blobs in the shard"). The revisions either side of the
/// boundary are read from their own shard.
#[test]
fn revision_ids_of_2026_are_small_and_the_second_shard_starts_at_627() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    let last = show_json(&path, 626, &[]);
    assert_eq!(last["shard"], "package2.cab", "{last}");
    let first = show_json(&path, 627, &[]);
    assert_eq!(first["shard"], "package3.cab", "{first}");
    assert_eq!(first["names"]["title"], TITLE_2);
    assert_eq!(show_json(&path, 1, &[])["names"]["title"], TITLE);
}

/// 2025 RevisionIds were tens of millions, and bundles carried
/// `IsLeaf="true" IsBundle="true"` (the project's format notes,
/// ../shared/wsusscn2-format.md §3, from third parties who opened 2025
/// catalogs: RevisionIds about 43 million, RANGESTARTs such as 44562114;
/// no public slice of a 2025 catalog was found to cite). Those magnitudes
/// and that bundle shape read the same.
#[test]
fn revision_ids_of_2025_are_tens_of_millions() {
    let r = Revs {
        bundle: 43_268_251,
        child: 43_268_252,
        detectoid: 43_100_003,
        classification: 43_100_005,
        product: 43_100_007,
        child_2: 44_562_113,
        bundle_2: 44_562_114,
        bundle_flags: r#"IsLeaf="true" IsBundle="true""#,
    };
    let (_dir, path) = catalog_2026(&r);
    let rows = list_rows(&path, &[]);
    assert_eq!(rows.len(), 7);
    assert_eq!(row(&rows, r.bundle)["names"]["msrc_severity"], "Critical");
    assert_eq!(row(&rows, r.bundle)["kind"], "bundle");
    assert_eq!(row(&rows, r.child)["kind"], "child");
    assert_eq!(row(&rows, r.bundle_2)["names"]["title"], TITLE_2);
    assert_eq!(show_json(&path, r.child_2, &[])["shard"], "package2.cab");
    assert_eq!(show_json(&path, r.bundle_2, &[])["shard"], "package3.cab");
}

/// Core fragments (c/1, c/2, c/3, c/5): `Properties UpdateType` is
/// Software, Detectoid or Category; detectoids and categories spell their
/// UpdateID in upper or mixed case (package.xml spells the same GUIDs in
/// lower case); element names have dots (`<b.Processor>`); `<True />` is
/// empty; a bundle's BundledUpdates write RevisionNumber before UpdateID.
/// The facts are the fragment's own identity, as written.
#[test]
fn core_fragments_have_update_types_mixed_case_guids_and_dotted_names() {
    let core = |text: String| match fragment::parse(&FragmentKind::Core, text.as_bytes()) {
        Ok(Facts::Core(c)) => c,
        other => panic!("{other:?}"),
    };
    let d = core(core_detectoid());
    assert_eq!(d.update_type.as_deref(), Some("Detectoid"));
    assert_eq!(
        d.update_id.as_deref(),
        Some("9F8E7D6C-5B4A-4a92-8170-FEDCBA987654")
    );
    assert!(d.update_id.unwrap().eq_ignore_ascii_case(DETECTOID));
    let c = core(core_category(CLASSIFICATION));
    assert_eq!(c.update_type.as_deref(), Some("Category"));
    assert_eq!(c.revision_number.as_deref(), Some("100"));
    // The bundle's own identity, not the bundled child's that comes later.
    let b = core(core_bundle(BUNDLE, CHILD));
    assert_eq!(b.update_id.as_deref(), Some(BUNDLE));
    assert_eq!(b.update_type.as_deref(), Some("Software"));
    assert_eq!(core(core_child(CHILD)).update_id.as_deref(), Some(CHILD));

    // And `show` on the detectoid and the category reads them.
    let (_dir, path) = catalog_2026(&REVS_2026);
    for rev in [REVS_2026.detectoid, REVS_2026.classification] {
        let shown = show_json(&path, rev, &[]);
        assert_eq!(shown["entry"]["kind"], "category");
        let texts = shown["fragments"].to_string();
        assert!(texts.contains("UpdateType"), "{texts}");
    }
}

/// `l\` holds one folder per language: "`l/` carries 37 languages"
/// (Samples/PROVENANCE.md at the commit above, measured across the whole
/// cab; the slice itself holds only `l/en/`, so the German fragment here
/// follows the English one's shape). `--lang` picks the title in that
/// language, and a language without a fragment falls back to English.
#[test]
fn localized_fragments_come_in_several_languages() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    let de = show_json(&path, r.bundle, &["--lang", "de"]);
    assert_eq!(de["names"]["title"], TITLE_DE);
    assert_eq!(de["names"]["title_language"], "de");
    let fr = show_json(&path, r.bundle, &["--lang", "fr"]);
    assert_eq!(fr["names"]["title"], TITLE);
    assert_eq!(fr["names"]["title_language"], "en");
}

/// Shards also hold `e\<lang>\` (EULA fragments), `files\` (EULA texts,
/// UTF-16, in the FILESDIR shard) and `i\` folders (the project's format
/// notes; not in the public slice, which holds only c/, x/ and l/en/).
/// They change nothing wsuscat reports; `e\` is shown with an update's own
/// fragments.
#[test]
fn shards_also_hold_e_files_and_i_folders() {
    let r = &REVS_2026;
    let (_dir, path) = catalog_2026(r);
    let shown = show_json(&path, r.bundle, &[]);
    let members: Vec<&str> = shown["fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["member"].as_str().unwrap())
        .collect();
    assert!(members.contains(&"e\\en\\1"), "{members:?}");
    assert!(members.contains(&"x\\1"), "{members:?}");
    let info = run(["info", "--allow-unsigned", path.to_str().unwrap()]);
    assert_eq!(info.code, 0, "{}", info.stderr);
}

//! Writes package.xml and the shard fragments from the ground truth.

use super::model::{CategoryType, Truth, TruthUpdate};
use super::rng::{base64, Rng};
use crate::catalog::update::Kind;
use crate::trust::hex;

/// How package.xml is laid out. The real file is one line with the
/// OfflineSync namespace; tests vary every knob a parser must not care about.
#[derive(Debug, Clone, Copy)]
pub struct XmlStyle {
    /// Declare the OfflineSync namespace ([`NAMESPACE`]) on the root, as
    /// real catalogs do.
    pub namespace: bool,
    /// Indent with newlines and spaces instead of writing one line.
    pub pretty: bool,
    /// Start with a UTF-8 byte order mark.
    pub bom: bool,
    /// Write the root's and each `<Update>`'s attributes in a random order
    /// (drawn from the generator's [`Rng`]).
    pub shuffle_attributes: bool,
}

impl Default for XmlStyle {
    fn default() -> Self {
        XmlStyle {
            namespace: true,
            pretty: false,
            bom: false,
            shuffle_attributes: false,
        }
    }
}

/// The default namespace of package.xml's `<OfflineSyncPackage>` root.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/msus/2004/02/OfflineSync";

/// Escapes text for an attribute value or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn attrs(out: &mut String, rng: &mut Rng, style: &XmlStyle, mut list: Vec<(&str, String)>) {
    if style.shuffle_attributes {
        rng.shuffle(&mut list);
    }
    for (name, value) in list {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape(&value));
        out.push('"');
    }
}

fn update_xml(out: &mut String, rng: &mut Rng, style: &XmlStyle, truth: &Truth, u: &TruthUpdate) {
    let nl = if style.pretty { "\n    " } else { "" };
    let nl2 = if style.pretty { "\n      " } else { "" };
    out.push_str(nl);
    out.push_str("<Update");
    let mut list = vec![
        ("CreationDate", u.creation_date.clone()),
        ("DefaultLanguage", "en".to_string()),
        ("UpdateId", u.update_id.clone()),
        ("RevisionNumber", u.revision_number.to_string()),
        ("RevisionId", u.revision_id.to_string()),
    ];
    // As the 2026 catalog writes them: a bundle `IsBundle="true"` without
    // IsLeaf; a child `IsLeaf="true" DeploymentAction="Bundle"`; a category
    // `DeploymentAction="Evaluate" IsSoftware="false"`, in that order.
    match u.kind {
        Kind::Bundle => list.push(("IsBundle", "true".into())),
        Kind::Child | Kind::Other => list.push(("IsLeaf", "true".into())),
        Kind::Category => {}
    }
    if let Some(action) = &u.deployment_action {
        list.push(("DeploymentAction", action.clone()));
    }
    if u.kind == Kind::Category {
        list.push(("IsSoftware", "false".into()));
    }
    for (name, value) in &u.extra_attributes {
        list.push((name.as_str(), value.clone()));
    }
    attrs(out, rng, style, list);
    out.push('>');
    for child in &u.extra_children {
        out.push_str(nl2);
        out.push_str(&format!("<{child}/>"));
    }
    if !u.prerequisites.is_empty() {
        out.push_str(nl2);
        out.push_str("<Prerequisites>");
        if u.prerequisites.len() > 1 && u.kind == Kind::Bundle {
            out.push_str(&format!("<UpdateId Id=\"{}\"/>", u.prerequisites[0]));
            out.push_str("<Or>");
            for p in &u.prerequisites[1..] {
                out.push_str(&format!("<UpdateId Id=\"{p}\"/>"));
            }
            out.push_str("</Or>");
        } else {
            for p in &u.prerequisites {
                out.push_str(&format!("<UpdateId Id=\"{p}\"/>"));
            }
        }
        out.push_str("</Prerequisites>");
    }
    if !u.categories.is_empty() {
        out.push_str(nl2);
        out.push_str("<Categories>");
        for &c in &u.categories {
            let cat = &truth.updates[c];
            let ty = cat
                .category_type
                .map(CategoryType::as_str)
                .unwrap_or("Product");
            out.push_str(&format!(
                "<Category Type=\"{ty}\" Id=\"{}\"/>",
                cat.update_id
            ));
        }
        out.push_str("</Categories>");
    }
    if matches!(u.kind, Kind::Bundle | Kind::Child) {
        out.push_str(nl2);
        out.push_str("<Languages><Language Name=\"en\"/></Languages>");
    }
    if !u.payload.is_empty() {
        out.push_str(nl2);
        out.push_str("<PayloadFiles>");
        for p in &u.payload {
            out.push_str(&format!("<File Id=\"{}\"/>", base64(p)));
        }
        out.push_str("</PayloadFiles>");
    }
    if let Some(b) = u.bundled_by {
        out.push_str(nl2);
        out.push_str(&format!("<BundledBy><Revision Id=\"{b}\"/></BundledBy>"));
    }
    if !u.superseded_by.is_empty() {
        out.push_str(nl2);
        out.push_str("<SupersededBy>");
        for r in &u.superseded_by {
            out.push_str(&format!("<Revision Id=\"{r}\"/>"));
        }
        out.push_str("</SupersededBy>");
    }
    out.push_str(nl);
    out.push_str("</Update>");
}

/// The whole package.xml.
pub fn package_xml(truth: &Truth, rng: &mut Rng, style: &XmlStyle) -> Vec<u8> {
    let mut out = String::with_capacity(truth.updates.len() * 900);
    if style.bom {
        out.push('\u{feff}');
    }
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    if style.pretty {
        out.push('\n');
    }
    out.push_str("<OfflineSyncPackage");
    let mut root = Vec::new();
    if style.namespace {
        root.push(("xmlns", NAMESPACE.to_string()));
    }
    root.extend([
        ("MinimumClientVersion", truth.minimum_client_version.clone()),
        ("PackageId", truth.package_id.clone()),
        ("PackageVersion", "1.1".to_string()),
        ("ProtocolVersion", "1.0".to_string()),
        ("CreationDate", truth.creation_date.clone()),
        ("SourceId", truth.source_id.clone()),
    ]);
    attrs(&mut out, rng, style, root);
    out.push('>');
    if style.pretty {
        out.push_str("\n  ");
    }
    out.push_str("<Updates>");
    for &i in &truth.document_order {
        update_xml(&mut out, rng, style, truth, &truth.updates[i]);
    }
    if style.pretty {
        out.push_str("\n  ");
    }
    out.push_str("</Updates>");
    if style.pretty {
        out.push_str("\n  ");
    }
    out.push_str("<FileLocations>");
    for digest in &truth.file_locations {
        if style.pretty {
            out.push_str("\n    ");
        }
        out.push_str(&format!(
            "<FileLocation Id=\"{}\" Url=\"http://download.windowsupdate.com/c/msdownload/update/software/secu/2026/05/windows10.0-kb5058379-x64_{}.cab\"/>",
            base64(digest),
            hex(digest)
        ));
    }
    if style.pretty {
        out.push_str("\n  ");
    }
    out.push_str("</FileLocations></OfflineSyncPackage>");
    if style.pretty {
        out.push('\n');
    }
    out.into_bytes()
}

/// A GUID as the `c\` fragments of categories and detectoids spell it:
/// upper case, but for the third group of a detectoid's (`AABD43AD-A183-4f0b-
/// 8EEE-…`), where package.xml spells the same GUIDs in lower case.
fn fragment_guid(u: &TruthUpdate) -> String {
    match (u.kind, u.category_type) {
        (Kind::Category, Some(CategoryType::Detectoid)) => u
            .update_id
            .split('-')
            .enumerate()
            .map(|(i, g)| {
                if i == 2 {
                    g.to_ascii_lowercase()
                } else {
                    g.to_ascii_uppercase()
                }
            })
            .collect::<Vec<_>>()
            .join("-"),
        (Kind::Category, _) => u.update_id.to_ascii_uppercase(),
        _ => u.update_id.clone(),
    }
}

/// `c\<rev>`: the core fragment, in the shapes of the 2026 catalog.
/// `Properties/@UpdateType` is `Software`, `Detectoid` or `Category`; a
/// category's or detectoid's UpdateID is in upper or mixed case
/// ([`fragment_guid`]); detectoids test dotted elements (`<b.Processor>`),
/// categories an empty `<True />`; a bundle lists its children in
/// `BundledUpdates`, each identity with RevisionNumber before UpdateID.
/// `children` are the bundle's children (empty for other kinds).
pub fn core_fragment(u: &TruthUpdate, children: &[&TruthUpdate]) -> String {
    let identity = format!(
        "<UpdateIdentity UpdateID=\"{}\" RevisionNumber=\"{}\" />",
        fragment_guid(u),
        u.revision_number
    );
    let prerequisites = || {
        let mut p = String::new();
        for (i, id) in u.prerequisites.iter().enumerate() {
            if i == 0 {
                p.push_str(&format!(
                    "<AtLeastOne IsCategory=\"true\"><UpdateIdentity UpdateID=\"{id}\" /></AtLeastOne>"
                ));
            } else {
                p.push_str(&format!("<UpdateIdentity UpdateID=\"{id}\" />"));
            }
        }
        format!("<Prerequisites>{p}</Prerequisites>")
    };
    match (u.kind, u.category_type) {
        (Kind::Category, Some(CategoryType::Detectoid)) => format!(
            "{identity}<Properties UpdateType=\"Detectoid\" /><ApplicabilityRules><IsInstalled><b.Processor Architecture=\"{}\" /></IsInstalled></ApplicabilityRules>",
            [0, 5, 6, 9, 12][(u.revision_id % 5) as usize]
        ),
        (Kind::Category, _) => format!(
            "{identity}<Properties UpdateType=\"Category\" /><ApplicabilityRules><IsInstalled><True /></IsInstalled></ApplicabilityRules>"
        ),
        (Kind::Bundle, _) => format!(
            "{identity}<Properties UpdateType=\"Software\" ExplicitlyDeployable=\"true\" AutoSelectOnWebSites=\"true\" /><Relationships>{}<BundledUpdates>{}</BundledUpdates></Relationships>",
            prerequisites(),
            children
                .iter()
                .map(|c| format!(
                    "<AtLeastOne><UpdateIdentity RevisionNumber=\"{}\" UpdateID=\"{}\" /></AtLeastOne>",
                    c.revision_number, c.update_id
                ))
                .collect::<String>()
        ),
        _ => format!(
            "{identity}<Properties UpdateType=\"Software\" /><Relationships>{}</Relationships><ApplicabilityRules><IsInstalled><b.WindowsVersion Comparison=\"GreaterThanOrEqualTo\" MajorVersion=\"10\" MinorVersion=\"0\" BuildNumber=\"19041\" /></IsInstalled><IsInstallable><True /></IsInstallable></ApplicabilityRules>",
            prerequisites()
        ),
    }
}

/// The `ProductName` of an installable's `x\` fragment (`Client.OS.…`,
/// `Microsoft.NetFX.amd64` in real ones): a fixed name per revision.
fn product_name(rev: u32) -> &'static str {
    [
        "Windows.Client.amd64",
        "Windows.Server.amd64",
        "Microsoft.NetFX.amd64",
    ][(rev % 3) as usize]
}

/// `x\<rev>`: the extended fragment, in the shapes of the 2026 catalog.
/// A bundle's root carries ProductName, ReleaseVersion, ReleaseRevision,
/// DefaultPropertiesLanguage, BrowseOnly and (for a security update)
/// MsrcSeverity as ATTRIBUTES, then MoreInfoUrl, SupportUrl, Language and
/// KBArticleID as children, and no files. A bundled child's carries a
/// Handler and no KB or severity, then one `<File>` per payload file with
/// an `<AdditionalDigest>`, then HandlerSpecificData. `kb` names the files
/// (a child's is its bundle's).
pub fn extended_fragment(u: &TruthUpdate, kb: Option<u32>) -> String {
    let release = format!(
        "ProductName=\"{}\" ReleaseVersion=\"10.0.26100.{}\" ReleaseRevision=\"1\" DefaultPropertiesLanguage=\"en\"",
        product_name(u.revision_id),
        u.revision_id % 10_000
    );
    if u.kind == Kind::Category {
        return "<ExtendedProperties DefaultPropertiesLanguage=\"en\" />".to_string();
    }
    if u.payload.is_empty() {
        let mut s = format!("<ExtendedProperties {release} BrowseOnly=\"false\"");
        if let Some(sev) = u.severity {
            s.push_str(&format!(" MsrcSeverity=\"{sev}\""));
        }
        s.push_str("><MoreInfoUrl>http://go.microsoft.com/fwlink/?LinkID=100001</MoreInfoUrl><SupportUrl>http://go.microsoft.com/fwlink/?LinkId=100002</SupportUrl><Language>all</Language>");
        if let Some(kb) = u.kb {
            s.push_str(&format!("<KBArticleID>{kb}</KBArticleID>"));
        }
        s.push_str("</ExtendedProperties>");
        return s;
    }
    let mut s = format!("<ExtendedProperties {release} Handler=\"http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs\" MaxDownloadSize=\"{}\" MinDownloadSize=\"0\"><InstallationBehavior RebootBehavior=\"CanRequestReboot\" /><Language>all</Language>", 1_048_576 * u.payload.len());
    // Stand-alone installables have a KB of their own, in the same place
    // as a bundle's.
    if let Some(kb) = u.kb {
        s.push_str(&format!("<KBArticleID>{kb}</KBArticleID>"));
    }
    s.push_str("</ExtendedProperties><Files>");
    for p in &u.payload {
        s.push_str(&format!(
            "<File PatchingType=\"SelfContained\" Modified=\"2026-05-01T00:00:00Z\" Size=\"1048576\" FileName=\"windows10.0-kb{}-x64_{}.cab\" DigestAlgorithm=\"SHA1\" Digest=\"{}\"><AdditionalDigest Algorithm=\"SHA256\">{}</AdditionalDigest></File>",
            kb.unwrap_or(0),
            hex(p),
            base64(p),
            base64(&sha256_like(p))
        ));
    }
    s.push_str("</Files><HandlerSpecificData type=\"cbs:CbsPackage\"><cbs:CbsPackage xmlns:cbs=\"http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs\" PackageID=\"Package_for_RollupFix\" /></HandlerSpecificData>");
    s
}

/// 32 bytes standing for a payload's SHA-256 (the generator has no
/// payload to hash): the SHA-1 stand-in repeated.
fn sha256_like(p: &[u8; 20]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(p.iter().cycle()) {
        *o = *b;
    }
    out
}

/// `l\<lang>\<rev>`: the localized fragment. Titles in languages other
/// than English are the English one tagged with the language (`… [de]`),
/// so that a test can tell which language it was given, and for some
/// languages followed by that language's word for an update, so that
/// titles carry non-ASCII text (accents, Cyrillic, CJK) as real ones do.
pub fn localized_fragment(u: &TruthUpdate, lang: &str) -> String {
    let title = localized_title(u, lang);
    format!(
        "<LocalizedProperties><Language>{lang}</Language><Title>{}</Title><Description>{}</Description><MoreInfoUrl>https://support.microsoft.com/help/{}</MoreInfoUrl><SupportUrl>https://support.microsoft.com/help/{}</SupportUrl></LocalizedProperties>",
        escape(&title),
        escape(&format!("Install this update to resolve issues in {}. After you install this item, you may have to restart your computer.", u.title)),
        u.kb.unwrap_or(0),
        u.kb.unwrap_or(0)
    )
}

/// The title `l\<lang>\` gives `u`.
pub fn localized_title(u: &TruthUpdate, lang: &str) -> String {
    let word = match lang {
        "en" => return u.title.clone(),
        "de" => " Aktualisierung für Windows",
        "fr" => " Mise à jour de sécurité",
        "ja" => " 更新プログラム",
        "ru" => " Обновление",
        "zh-cn" => " 更新",
        _ => "",
    };
    format!("{} [{lang}]{word}", u.title)
}

#[cfg(test)]
mod tests {
    //! The generator writes the shapes of real catalogs. The real shapes
    //! and their public sources are pinned by hand-written literals in
    //! tests/it/real_shapes.rs; these check that the generator's output
    //! has the same shapes, and that wsuscat's parser reads from it what
    //! the ground truth says.

    use super::*;
    use crate::catalog::fragment::{self, Facts, FragmentKind};
    use crate::commands::generate::model::build_from;

    fn truth() -> Truth {
        // Enough updates for detectoids (past the named categories), and
        // the small RevisionIds of the 2026 catalog.
        build_from(&mut Rng::new(7), 1500, &[], "2026-07-14T12:00:00Z", 0)
    }

    #[test]
    fn revision_ids_start_from_the_base() {
        let t = truth();
        assert!(t.updates[0].revision_id < 4, "{}", t.updates[0].revision_id);
        let t = build_from(
            &mut Rng::new(7),
            10,
            &[],
            "2026-07-14T12:00:00Z",
            43_000_000,
        );
        assert!(t.updates.iter().all(|u| u.revision_id > 43_000_000));
    }

    #[test]
    fn package_xml_writes_bundles_without_is_leaf() {
        let t = truth();
        let xml =
            String::from_utf8(package_xml(&t, &mut Rng::new(1), &XmlStyle::default())).unwrap();
        for u in t.updates.iter().take(400) {
            let at = xml
                .find(&format!("RevisionId=\"{}\"", u.revision_id))
                .unwrap();
            let tag = &xml[at..at + xml[at..].find('>').unwrap()];
            match u.kind {
                Kind::Bundle => assert_eq!(
                    tag,
                    format!("RevisionId=\"{}\" IsBundle=\"true\"", u.revision_id)
                ),
                Kind::Child => assert!(
                    tag.ends_with("IsLeaf=\"true\" DeploymentAction=\"Bundle\""),
                    "{tag}"
                ),
                Kind::Category => assert!(
                    tag.ends_with("DeploymentAction=\"Evaluate\" IsSoftware=\"false\""),
                    "{tag}"
                ),
                Kind::Other => assert!(tag.contains("IsLeaf=\"true\""), "{tag}"),
            }
        }
    }

    #[test]
    fn extended_fragments_carry_the_severity_as_an_attribute_and_files_with_digests() {
        let t = truth();
        let mut severities = 0;
        for u in &t.updates {
            let x = extended_fragment(u, Some(5_000_001));
            let Facts::Extended(e) =
                fragment::parse(&FragmentKind::Extended, x.as_bytes()).unwrap()
            else {
                panic!("extended facts expected")
            };
            assert_eq!(e.msrc_severity.as_deref(), u.severity, "{x}");
            assert_eq!(e.kb, u.kb.map(|k| k.to_string()), "{x}");
            assert_eq!(e.files.len(), u.payload.len(), "{x}");
            assert_eq!(
                x.matches("<AdditionalDigest Algorithm=\"SHA256\">").count(),
                u.payload.len()
            );
            assert!(!x.contains("<MsrcSeverity>"), "{x}");
            if u.kind == Kind::Bundle {
                for attr in ["ProductName=", "ReleaseVersion=", "BrowseOnly=\"false\""] {
                    assert!(
                        x.starts_with("<ExtendedProperties ") && x.contains(attr),
                        "{x}"
                    );
                }
            }
            if u.kind == Kind::Child {
                assert_eq!((e.kb, e.msrc_severity), (None, None), "{x}");
            }
            severities += usize::from(u.severity.is_some());
        }
        assert!(severities > 0);
    }

    #[test]
    fn core_fragments_have_update_types_and_the_case_of_real_ones() {
        let t = truth();
        let mut seen = std::collections::BTreeSet::new();
        for u in &t.updates {
            let c = core_fragment(u, &[]);
            let Facts::Core(core) = fragment::parse(&FragmentKind::Core, c.as_bytes()).unwrap()
            else {
                panic!("core facts expected")
            };
            let id = core.update_id.unwrap();
            assert!(id.eq_ignore_ascii_case(&u.update_id));
            let ty = core.update_type.unwrap();
            match u.category_type {
                Some(CategoryType::Detectoid) => {
                    assert_eq!(ty, "Detectoid");
                    // Upper case but for the third group (`…-4f0b-…`).
                    let groups: Vec<&str> = id.split('-').collect();
                    assert_eq!(groups[2], groups[2].to_ascii_lowercase(), "{id}");
                    assert_eq!(groups[0], groups[0].to_ascii_uppercase(), "{id}");
                    assert_ne!(id, u.update_id, "{id}");
                    assert!(c.contains("<b.Processor "), "{c}");
                }
                Some(_) => {
                    assert_eq!(ty, "Category");
                    assert_eq!(id, u.update_id.to_ascii_uppercase());
                    assert!(c.contains("<True />"), "{c}");
                }
                None => assert_eq!(
                    (ty.as_str(), id.as_str()),
                    ("Software", u.update_id.as_str())
                ),
            }
            seen.insert(ty);
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
    }

    #[test]
    fn localized_fragments_are_written_in_each_language() {
        let t = truth();
        let u = t.updates.iter().find(|u| u.kind == Kind::Bundle).unwrap();
        for (lang, title) in [
            ("en", u.title.clone()),
            ("de", format!("{} [de] Aktualisierung für Windows", u.title)),
        ] {
            let l = localized_fragment(u, lang);
            let Facts::Localized(loc) =
                fragment::parse(&FragmentKind::Localized(lang.into()), l.as_bytes()).unwrap()
            else {
                panic!("localized facts expected")
            };
            assert_eq!(loc.title, Some(title));
            assert_eq!(loc.language.as_deref(), Some(lang));
        }
    }
}

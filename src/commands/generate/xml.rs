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
    match u.kind {
        Kind::Bundle => {
            list.push(("IsLeaf", "true".into()));
            list.push(("IsBundle", "true".into()));
        }
        Kind::Child | Kind::Other => list.push(("IsLeaf", "true".into())),
        Kind::Category => list.push(("IsSoftware", "false".into())),
    }
    if let Some(action) = &u.deployment_action {
        list.push(("DeploymentAction", action.clone()));
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

/// `c\<rev>`: the core fragment.
pub fn core_fragment(u: &TruthUpdate) -> String {
    let update_type = match u.kind {
        Kind::Category => match u.category_type {
            Some(CategoryType::Detectoid) => "Detector",
            _ => "Category",
        },
        _ => "Software",
    };
    format!(
        "<UpdateIdentity UpdateID=\"{}\" RevisionNumber=\"{}\" /><Properties UpdateType=\"{update_type}\" ExplicitlyDeployable=\"{}\" PerUser=\"false\" /><Relationships><Prerequisites>{}</Prerequisites></Relationships><ApplicabilityRules><IsInstalled><b.WindowsVersion Comparison=\"GreaterThanOrEqualTo\" MajorVersion=\"10\" MinorVersion=\"0\" BuildNumber=\"19041\" /></IsInstalled><IsInstallable><b.True /></IsInstallable></ApplicabilityRules>",
        u.update_id,
        u.revision_number,
        u.kind == Kind::Bundle,
        u.prerequisites
            .iter()
            .map(|p| format!("<UpdateIdentity UpdateID=\"{p}\" />"))
            .collect::<String>()
    )
}

/// `x\<rev>`: the extended fragment (KB, bulletin, severity, files). The
/// severity is an attribute of `<ExtendedProperties>`, as in real
/// fragments (tests/it/real_shapes.rs cites them); KB and bulletin are
/// child elements.
pub fn extended_fragment(u: &TruthUpdate) -> String {
    let mut s = String::from("<ExtendedProperties DefaultPropertiesLanguage=\"en\" Handler=\"http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs\" MaxDownloadSize=\"123456789\" MinDownloadSize=\"0\"");
    if let Some(sev) = u.severity {
        s.push_str(&format!(" MsrcSeverity=\"{sev}\""));
    }
    s.push('>');
    if let Some(kb) = u.kb {
        s.push_str(&format!("<KBArticleID>{kb}</KBArticleID>"));
    }
    if u.severity.is_some() {
        s.push_str(&format!(
            "<SecurityBulletinID>MS26-{:03}</SecurityBulletinID>",
            u.revision_id % 1000
        ));
    }
    s.push_str("</ExtendedProperties>");
    if !u.payload.is_empty() {
        s.push_str("<Files>");
        for p in &u.payload {
            s.push_str(&format!(
                "<File Digest=\"{}\" DigestAlgorithm=\"SHA1\" FileName=\"windows10.0-kb{}-x64_{}.cab\" Size=\"1048576\" Modified=\"2026-05-01T00:00:00Z\" />",
                base64(p),
                u.kb.unwrap_or(0),
                hex(p)
            ));
        }
        s.push_str("</Files><HandlerSpecificData type=\"cbs:CbsPackage\"><cbs:CbsPackage xmlns:cbs=\"http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs\" PackageID=\"Package_for_RollupFix\" /></HandlerSpecificData>");
    }
    s
}

/// `l\en\<rev>`: the localized fragment.
pub fn localized_fragment(u: &TruthUpdate) -> String {
    format!(
        "<LocalizedProperties><Language>en</Language><Title>{}</Title><Description>{}</Description><MoreInfoUrl>https://support.microsoft.com/help/{}</MoreInfoUrl></LocalizedProperties>",
        escape(&u.title),
        escape(&format!("Install this update to resolve issues in {}. After you install this item, you may have to restart your computer.", u.title)),
        u.kb.unwrap_or(0)
    )
}

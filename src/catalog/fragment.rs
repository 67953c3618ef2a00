//! The per-update fragments in the shards: `c\<rev>`, `x\<rev>`,
//! `l\<lang>\<rev>` (and `e\<lang>\<rev>`, `s\<rev>`).
//!
//! Titles, KB numbers and severities live here, not in package.xml.
//! Fragments are not documents: they have several top-level elements, no
//! namespace, and element names with dots (`b.WindowsVersion`). They are read
//! as the event stream they are, without wrapping or renaming, and only the
//! few facts wsuscat reports are kept; the raw text is kept too when a caller
//! wants to show it. The XML itself is held to XML 1.0 and Namespaces as
//! package.xml is ([`crate::catalog::xml`]).
//!
//! Fragments come from the same untrusted download as package.xml, so the
//! same lints hold: no index, `unwrap` or `panic` that their bytes can reach.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use quick_xml::events::{BytesEnd, BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::Serialize;

use crate::catalog::xml::{self, Namespaces, TagChecker};
use crate::error::{Error, ErrorKind, Result};

/// Which fragment a shard member is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "language", rename_all = "snake_case")]
pub enum FragmentKind {
    /// `c\<rev>`: identity, properties, relationships, applicability rules.
    Core,
    /// `x\<rev>`: KB article, bulletin, MSRC severity, files.
    Extended,
    /// `l\<lang>\<rev>`: title, description, links, in one language.
    Localized(String),
    /// `e\<lang>\<rev>`: EULA.
    Eula(String),
    /// `s\<rev>`: the whole update's XML (catalogs up to 2019).
    Full,
}

impl FragmentKind {
    /// Parses a member name such as `l\en\1293995` into the kind and the
    /// RevisionId. `None` for anything else (`files\…`, unknown prefixes).
    pub fn from_member_name(name: &str) -> Option<(FragmentKind, u64)> {
        let mut parts = name.split(['\\', '/']);
        let first = parts.next()?;
        let second = parts.next()?;
        let third = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let rev = |s: &str| s.parse::<u64>().ok();
        match (first.to_ascii_lowercase().as_str(), third) {
            ("c", None) => Some((FragmentKind::Core, rev(second)?)),
            ("x", None) => Some((FragmentKind::Extended, rev(second)?)),
            ("s", None) => Some((FragmentKind::Full, rev(second)?)),
            ("l", Some(r)) => Some((FragmentKind::Localized(second.to_string()), rev(r)?)),
            ("e", Some(r)) => Some((FragmentKind::Eula(second.to_string()), rev(r)?)),
            _ => None,
        }
    }

    /// The member name for `rev`.
    pub fn member_name(&self, rev: u64) -> String {
        match self {
            FragmentKind::Core => format!("c\\{rev}"),
            FragmentKind::Extended => format!("x\\{rev}"),
            FragmentKind::Full => format!("s\\{rev}"),
            FragmentKind::Localized(l) => format!("l\\{l}\\{rev}"),
            FragmentKind::Eula(l) => format!("e\\{l}\\{rev}"),
        }
    }
}

/// What a core fragment says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Core {
    /// `UpdateIdentity/@UpdateID`, as written; `None` when absent.
    pub update_id: Option<String>,
    /// `UpdateIdentity/@RevisionNumber`, as written (not checked to be a
    /// number); `None` when absent.
    pub revision_number: Option<String>,
    /// `Properties/@UpdateType`: `Software`, `Detectoid` or `Category` in
    /// the 2026 catalog.
    pub update_type: Option<String>,
}

/// A payload file as the extended fragment describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// `File/@FileName`: the name the file is downloaded as; `None` when
    /// absent.
    pub file_name: Option<String>,
    /// `File/@Digest`: base64 of the file's digest (SHA-1 in the catalogs
    /// seen, as `DigestAlgorithm` says); `None` when absent.
    pub digest: Option<String>,
    /// `File/@Size` in bytes, as written; `None` when absent.
    pub size: Option<String>,
}

/// What an extended fragment says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extended {
    /// `KBArticleID`, as written (digits, without "KB").
    pub kb: Option<String>,
    /// `SecurityBulletinID` (`MS16-087`); `None` when absent, as for
    /// updates published since bulletins ended in 2017.
    pub security_bulletin: Option<String>,
    /// The `MsrcSeverity` attribute of `<ExtendedProperties>`
    /// (`Critical`, `Important`, `Moderate`, `Low`); `None` when absent, as
    /// for bundled children and every update that is not a security update.
    pub msrc_severity: Option<String>,
    /// Every `Files/File`, in document order; always empty from
    /// [`parse_brief`].
    pub files: Vec<FileInfo>,
}

/// What a localized fragment says: each field is the text of a child of
/// `<LocalizedProperties>`, trimmed, the first one when it is repeated, and
/// `None` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Localized {
    /// `Language`: the language the text is in (`en`), as the fragment
    /// says it.
    pub language: Option<String>,
    /// `Title`: what consoles show as the update's name.
    pub title: Option<String>,
    /// `Description`; always `None` from [`parse_brief`].
    pub description: Option<String>,
    /// `MoreInfoUrl`: the support article; always `None` from
    /// [`parse_brief`].
    pub more_info_url: Option<String>,
}

/// The facts of one fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Facts {
    /// From a `c\<rev>` fragment.
    Core(Core),
    /// From an `x\<rev>` fragment.
    Extended(Extended),
    /// From an `l\<lang>\<rev>` fragment.
    Localized(Localized),
    /// EULA and full-update fragments: only their raw text is of interest.
    Other,
}

fn xml_error(msg: impl Into<String>, offset: u64) -> Error {
    Error::new(ErrorKind::Xml, msg).at_offset(offset)
}

/// Reads the facts out of a fragment's bytes.
pub fn parse(kind: &FragmentKind, bytes: &[u8]) -> Result<Facts> {
    parse_fields(kind, bytes, false)
}

/// Like [`parse`], keeping only what names an update (title, KB, severity,
/// bulletin): descriptions, links and file lists are checked but not kept.
/// Naming a whole catalog reads 270k fragments; their descriptions alone
/// would be 35 MB of short-lived strings.
pub fn parse_brief(kind: &FragmentKind, bytes: &[u8]) -> Result<Facts> {
    parse_fields(kind, bytes, true)
}

fn parse_fields(kind: &FragmentKind, bytes: &[u8], brief: bool) -> Result<Facts> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| xml_error("the fragment is not valid UTF-8", e.valid_up_to() as u64))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = (bytes.len() - text.len()) as u64;
    let malformed = |m: xml::Malformed, base: u64| {
        xml_error(
            format!("the fragment is not well-formed: {}", m.what),
            bom + base + m.at as u64,
        )
    };
    xml::check_chars(text).map_err(|m| malformed(m, 0))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut fields = Fields::new(kind, brief);
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            xml_error(
                format!("the fragment is not well-formed: {e}"),
                reader.error_position(),
            )
            .with_source(e)
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let depth = fields.stack.len();
                fields
                    .tags
                    .check(e, depth, &mut fields.ns)
                    .map_err(|m| malformed(m, at + 1))?;
                if empty {
                    fields.ns.leave(depth);
                }
                fields.start(e, empty, at)?;
            }
            Event::End(ref e) => {
                fields.end(e, at)?;
                fields.ns.leave(fields.stack.len());
            }
            Event::Text(t) => {
                xml::check_text(&t).map_err(|m| malformed(m, at))?;
                fields
                    .text
                    .push_str(&t.xml_content(XmlVersion::Implicit1_0));
            }
            Event::PI(ref p) => xml::check_pi(p).map_err(|m| malformed(m, at + 2))?,
            Event::CData(c) => fields.text.push_str(c.as_ref()),
            Event::GeneralRef(r) => fields.text.push(reference(&r, at)?),
            Event::DocType(_) => return Err(xml_error("a DOCTYPE in a fragment", at)),
            Event::Eof => break,
            Event::Decl(_) if at > 0 => {
                return Err(xml_error(
                    "expected an XML declaration only at the start of the fragment",
                    at,
                ))
            }
            Event::Decl(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = fields.stack.last() {
        return Err(xml_error(
            format!("the fragment ends with <{open}> still open"),
            text.len() as u64,
        ));
    }
    Ok(fields.into_facts())
}

/// What a fragment's events have said so far.
struct Fields<'k> {
    kind: &'k FragmentKind,
    /// Keep only what names an update (see [`parse_brief`]).
    brief: bool,
    core: Core,
    ext: Extended,
    loc: Localized,
    /// Open elements (names as written).
    stack: Vec<String>,
    /// The text of the innermost element.
    text: String,
    /// Namespace bindings in scope.
    ns: Namespaces,
    /// Checks start tags as XML 1.0 and Namespaces ask.
    tags: TagChecker,
}

impl<'k> Fields<'k> {
    fn new(kind: &'k FragmentKind, brief: bool) -> Self {
        Fields {
            kind,
            brief,
            core: Core::default(),
            ext: Extended::default(),
            loc: Localized::default(),
            stack: Vec::new(),
            text: String::new(),
            ns: Namespaces::default(),
            tags: TagChecker::default(),
        }
    }

    /// A start tag, or an empty-element tag when `empty`: the facts that
    /// are attributes.
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) -> Result<()> {
        let name = e.name().as_ref().to_string();
        let get = |wanted: &str| attribute(e, wanted, at);
        match (self.kind, self.stack.len(), name.as_str()) {
            (FragmentKind::Core, 0, "UpdateIdentity") => {
                self.core.update_id = get("UpdateID")?;
                self.core.revision_number = get("RevisionNumber")?;
            }
            (FragmentKind::Core, 0, "Properties") => self.core.update_type = get("UpdateType")?,
            // Real `x\` fragments carry the severity as an attribute of
            // the root element, beside ProductName and ReleaseVersion
            // (`<ExtendedProperties … MsrcSeverity="Critical">`), while
            // KBArticleID is a child element. No real fragment seen writes
            // it as a child element, so that shape is not read.
            (FragmentKind::Extended, 0, "ExtendedProperties") => {
                self.ext.msrc_severity = get("MsrcSeverity")?;
            }
            (FragmentKind::Extended, 1, "File")
                if !self.brief && self.stack.last().map(String::as_str) == Some("Files") =>
            {
                self.ext.files.push(FileInfo {
                    file_name: get("FileName")?,
                    digest: get("Digest")?,
                    size: get("Size")?,
                });
            }
            _ => {}
        }
        self.text.clear();
        if !empty {
            self.stack.push(name);
        }
        Ok(())
    }

    /// An end tag: it must close the innermost open element; the facts
    /// that are element text are complete here.
    fn end(&mut self, e: &BytesEnd<'_>, at: u64) -> Result<()> {
        let name = e.name();
        let name = name.as_ref();
        match self.stack.pop() {
            Some(open) if open == name => {}
            Some(open) => {
                return Err(xml_error(
                    format!("expected </{open}>, found </{name}>"),
                    at,
                ))
            }
            None => {
                return Err(xml_error(
                    format!("</{name}> closes an element that is not open"),
                    at,
                ))
            }
        }
        let value = || Some(self.text.trim().to_string());
        let parent = self.stack.last().map(String::as_str);
        match (self.kind, parent, name) {
            (FragmentKind::Extended, Some("ExtendedProperties"), "KBArticleID") => {
                self.ext.kb = value();
            }
            (FragmentKind::Extended, Some("ExtendedProperties"), "SecurityBulletinID") => {
                self.ext.security_bulletin = value();
            }
            (FragmentKind::Localized(_), Some("LocalizedProperties"), field) => {
                let loc = &mut self.loc;
                let slot = match field {
                    "Language" => &mut loc.language,
                    "Title" => &mut loc.title,
                    "Description" if !self.brief => &mut loc.description,
                    "MoreInfoUrl" if !self.brief => &mut loc.more_info_url,
                    _ => &mut None,
                };
                // The first one wins: a fragment repeating a field
                // does not silently change the title shown.
                if slot.is_none() {
                    *slot = value();
                }
            }
            _ => {}
        }
        self.text.clear();
        Ok(())
    }

    fn into_facts(self) -> Facts {
        match self.kind {
            FragmentKind::Core => Facts::Core(self.core),
            FragmentKind::Extended => Facts::Extended(self.ext),
            FragmentKind::Localized(_) => Facts::Localized(self.loc),
            FragmentKind::Eula(_) | FragmentKind::Full => Facts::Other,
        }
    }
}

/// The value of the attribute named `wanted`, normalized as XML says.
fn attribute(e: &BytesStart<'_>, wanted: &str, at: u64) -> Result<Option<String>> {
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| xml_error(format!("bad attribute: {err}"), at).with_source(err))?;
        if attr.key.as_ref() == wanted {
            let v = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(format!("bad attribute: {err}"), at).with_source(err))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The character `&…;` stands for: fragments have no DTD, so only
/// character references and XML's five predefined entities exist.
fn reference(r: &BytesRef<'_>, at: u64) -> Result<char> {
    xml::reference(&format!("&{};", r.as_ref()), 0)
        .map(|(_, c)| c)
        .map_err(|m| {
            xml_error(
                format!("the fragment is not well-formed: {}", m.what),
                at + m.at as u64,
            )
        })
}

/// `KB5058379`, `kb5058379` and `5058379` are the same article.
pub fn strip_kb(s: &str) -> &str {
    let s = s.trim();
    match s.split_at_checked(2) {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("kb") => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_round_trip() {
        for (name, kind, rev) in [
            ("c\\12", FragmentKind::Core, 12),
            ("x\\1293995", FragmentKind::Extended, 1293995),
            ("l\\en\\7", FragmentKind::Localized("en".into()), 7),
            ("l\\zh-tw\\7", FragmentKind::Localized("zh-tw".into()), 7),
            ("e\\de\\9", FragmentKind::Eula("de".into()), 9),
        ] {
            assert_eq!(
                FragmentKind::from_member_name(name),
                Some((kind.clone(), rev))
            );
            assert_eq!(kind.member_name(rev), name);
        }
        for other in ["files\\eula.txt", "c\\x", "l\\en", "c\\1\\2", "q\\1"] {
            assert_eq!(FragmentKind::from_member_name(other), None, "{other}");
        }
    }

    #[test]
    fn several_roots_and_dotted_names_parse_as_they_are() {
        let core = br#"<UpdateIdentity UpdateID="abc" RevisionNumber="201" /><Properties UpdateType="Software" /><ApplicabilityRules><IsInstalled><b.WindowsVersion Comparison="EqualTo" /></IsInstalled></ApplicabilityRules>"#;
        assert_eq!(
            parse(&FragmentKind::Core, core).unwrap(),
            Facts::Core(Core {
                update_id: Some("abc".into()),
                revision_number: Some("201".into()),
                update_type: Some("Software".into()),
            })
        );
        // The severity is an attribute of the root, the KB a child (the
        // shape of real `x\` fragments; tests/it/real_shapes.rs cites them).
        let ext = br#"<ExtendedProperties DefaultPropertiesLanguage="en" MsrcSeverity="Critical"><KBArticleID>5058379</KBArticleID></ExtendedProperties><Files><File FileName="a.cab" Digest="AA==" Size="5"><AdditionalDigest Algorithm="SHA256">AA==</AdditionalDigest></File></Files>"#;
        let Facts::Extended(e) = parse(&FragmentKind::Extended, ext).unwrap() else {
            panic!("extended facts expected")
        };
        assert_eq!(e.kb.as_deref(), Some("5058379"));
        assert_eq!(e.msrc_severity.as_deref(), Some("Critical"));
        assert_eq!(e.files.len(), 1);
        assert_eq!(e.files[0].file_name.as_deref(), Some("a.cab"));
        let loc = "<LocalizedProperties><Language>en</Language><Title>A &amp; B &#x2013; C</Title></LocalizedProperties>";
        let Facts::Localized(l) =
            parse(&FragmentKind::Localized("en".into()), loc.as_bytes()).unwrap()
        else {
            panic!("localized facts expected")
        };
        assert_eq!(l.title.as_deref(), Some("A & B \u{2013} C"));
        assert_eq!(l.language.as_deref(), Some("en"));
    }

    /// The severity is `<ExtendedProperties>`'s attribute, read by the brief
    /// parse that naming uses as by the full one; a bundled child's fragment
    /// (a handler, files, no severity) has none. The real shapes and their
    /// sources are in tests/it/real_shapes.rs.
    #[test]
    fn msrc_severity_is_the_root_elements_attribute() {
        let bundle = br#"<ExtendedProperties ProductName="P.amd64" ReleaseVersion="1.2.3.4" ReleaseRevision="1" DefaultPropertiesLanguage="en" BrowseOnly="false" MsrcSeverity="Important"><Language>all</Language><KBArticleID>5000001</KBArticleID></ExtendedProperties>"#;
        let child = br#"<ExtendedProperties ProductName="P.amd64" DefaultPropertiesLanguage="en" Handler="h"><InstallationBehavior RebootBehavior="CanRequestReboot" /></ExtendedProperties><Files><File MsrcSeverity="Low" FileName="a.cab" /></Files>"#;
        for parse in [parse, parse_brief] {
            let Facts::Extended(b) = parse(&FragmentKind::Extended, bundle).unwrap() else {
                panic!("extended facts expected")
            };
            assert_eq!(b.msrc_severity.as_deref(), Some("Important"));
            assert_eq!(b.kb.as_deref(), Some("5000001"));
            let Facts::Extended(c) = parse(&FragmentKind::Extended, child).unwrap() else {
                panic!("extended facts expected")
            };
            // Only the root's attribute counts, not one further down.
            assert_eq!(c.msrc_severity, None);
            assert_eq!(c.kb, None);
        }
    }

    #[test]
    fn malformed_fragments_are_errors() {
        for bad in [
            &b"<LocalizedProperties><Title>x</LocalizedProperties>"[..],
            b"<LocalizedProperties><Title>x</Title>",
            b"<a>&bogus;</a>",
            b"<!DOCTYPE a><a/>",
            b"\xff\xfe<\0a\0/\0>\0",
            // XML 1.0 and Namespaces, as for package.xml.
            b"<Title x=\"<\">t</Title>",
            b"<q:Title>t</q:Title>",
            b"<Title>\x01</Title>",
            b"<Title>]]></Title>",
            b"<a/><?xml version=\"1.0\"?>",
            b"<a><?XML x?></a>",
            b"<.a/>",
        ] {
            assert!(
                parse(&FragmentKind::Localized("en".into()), bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

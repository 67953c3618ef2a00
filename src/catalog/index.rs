//! index.xml: which shard holds which revisions.
//!
//! `<INDEX><CABLIST><CAB NAME="package2.cab" RANGESTART="0" FILESDIR="1"/>…`.
//! A revision's fragments live in the shard with the greatest RANGESTART not
//! above its RevisionId, compared as integers (sorting them as strings, or
//! using `>` at the boundary, are known bugs elsewhere). Element and
//! attribute names are matched case-insensitively and whitespace is allowed
//! anywhere XML allows it. The XML itself is held to XML 1.0 and
//! Namespaces as package.xml is ([`crate::catalog::xml`]).
//!
//! index.xml comes from the same untrusted download as package.xml, so the
//! same lints hold: no index, `unwrap` or `panic` that its bytes can reach.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde::Serialize;

use crate::cab::Cabinet;
use crate::catalog::xml::{self, Namespaces, TagChecker};
use crate::error::{Error, ErrorKind, Result};

/// Members of the outer cabinet every catalog has besides its shards.
pub const KNOWN_MEMBERS: [&str; 2] = ["index.xml", "package.cab"];

/// One `<CAB>` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    /// The cabinet's member name in the outer cabinet (`NAME`, trimmed):
    /// `package.cab`, `package2.cab` ….
    pub name: String,
    /// `None` for package.cab, which has no RANGESTART.
    pub range_start: Option<u64>,
    /// FILESDIR="1": the shard also holds `files\` (EULA texts).
    pub files_dir: bool,
}

/// The parsed index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Index {
    /// Every `<CAB>`, in index.xml's order (not sorted by RANGESTART).
    pub cabs: Vec<IndexEntry>,
}

fn xml_error(msg: impl Into<String>, offset: u64) -> Error {
    Error::new(ErrorKind::Xml, msg)
        .at_offset(offset)
        .inside("index.xml")
}

/// One `<CAB>`'s attributes, the element starting at byte `at`.
fn cab_entry(e: &quick_xml::events::BytesStart<'_>, at: u64) -> Result<IndexEntry> {
    let mut entry = IndexEntry {
        name: String::new(),
        range_start: None,
        files_dir: false,
    };
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| xml_error(format!("bad attribute: {err}"), at).with_source(err))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| xml_error(format!("bad attribute value: {err}"), at).with_source(err))?;
        let key = attr.key.local_name();
        let key = key.as_ref();
        if key.eq_ignore_ascii_case("NAME") {
            entry.name = value.trim().to_string();
        } else if key.eq_ignore_ascii_case("RANGESTART") {
            let n = value.trim().parse::<u64>().map_err(|_| {
                xml_error(
                    format!("RANGESTART {value:?} is not a non-negative integer"),
                    at,
                )
            })?;
            entry.range_start = Some(n);
        } else if key.eq_ignore_ascii_case("FILESDIR") {
            entry.files_dir = value.trim() == "1";
        }
    }
    if entry.name.is_empty() {
        return Err(xml_error("a <CAB> without a NAME", at));
    }
    Ok(entry)
}

impl Index {
    /// Parses index.xml.
    pub fn parse(bytes: &[u8]) -> Result<Index> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| xml_error("index.xml is not valid UTF-8", e.valid_up_to() as u64))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let bom = (bytes.len() - text.len()) as u64;
        let malformed = |m: xml::Malformed, base: u64| malformed(m, bom + base);
        xml::check_chars(text).map_err(|m| malformed(m, 0))?;
        let mut tags = TagChecker::default();
        let mut ns = Namespaces::default();
        let mut reader = Reader::from_str(text);
        let mut cabs = Vec::new();
        let mut saw_root = false;
        let mut depth = 0usize;
        // Depth of the open <CABLIST> directly under the root, if any.
        let mut cablist: Option<usize> = None;
        loop {
            let at = reader.buffer_position();
            let event = reader.read_event().map_err(|e| {
                xml_error(
                    format!("index.xml is not well-formed: {e}"),
                    reader.error_position(),
                )
                .with_source(e)
            })?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    tags.check(e, depth, &mut ns)
                        .map_err(|m| malformed(m, at + 1))?;
                    if matches!(event, Event::Empty(_)) {
                        ns.leave(depth);
                    }
                    let name = e.local_name();
                    let name = name.as_ref();
                    if depth == 0 && saw_root {
                        return Err(xml_error(
                            format!("expected one root element, found a second one <{name}>"),
                            at,
                        ));
                    }
                    if depth == 0 {
                        if !name.eq_ignore_ascii_case("INDEX") {
                            return Err(xml_error(
                                format!("the root element is <{name}>, expected <INDEX>"),
                                at,
                            ));
                        }
                        saw_root = true;
                    }
                    if depth == 1
                        && name.eq_ignore_ascii_case("CABLIST")
                        && matches!(event, Event::Start(_))
                    {
                        cablist = Some(depth + 1);
                    }
                    if name.eq_ignore_ascii_case("CAB") {
                        if cablist != Some(depth) {
                            return Err(xml_error("a <CAB> outside <INDEX><CABLIST>", at));
                        }
                        cabs.push(cab_entry(e, at)?);
                    }
                    if matches!(event, Event::Start(_)) {
                        depth += 1;
                    }
                }
                Event::End(_) => {
                    if cablist == Some(depth) {
                        cablist = None;
                    }
                    depth = depth.saturating_sub(1);
                    ns.leave(depth);
                }
                Event::DocType(_) => return Err(xml_error("a DOCTYPE in index.xml", at)),
                Event::Eof => break,
                ref other => outside_tags(other, depth, at, bom)?,
            }
        }
        if !saw_root {
            return Err(xml_error("index.xml has no <INDEX> element", 0));
        }
        if depth != 0 {
            return Err(xml_error(
                "index.xml ends with elements still open: it is cut short",
                text.len() as u64,
            ));
        }
        Ok(Index { cabs })
    }

    /// Reconciles index.xml with the outer cabinet's members: every cabinet
    /// it names must be a member, and the shards' RANGESTARTs must increase
    /// strictly in document order. Returns the members that are neither
    /// named by index.xml nor one of [`KNOWN_MEMBERS`], in the cabinet's
    /// order: a new kind of file in a genuine catalog, which callers report
    /// without failing.
    pub fn reconcile(&self, outer: &Cabinet) -> Result<Vec<String>> {
        for entry in &self.cabs {
            if outer.find(&entry.name).is_none() {
                return Err(Error::new(
                    ErrorKind::MissingMember,
                    format!(
                        "index.xml names {}, which the catalog does not contain",
                        entry.name
                    ),
                )
                .inside("index.xml"));
            }
        }
        let mut previous: Option<&IndexEntry> = None;
        for shard in self.shards() {
            if let (Some(p), Some(start)) = (previous, shard.range_start) {
                if p.range_start.is_some_and(|before| start <= before) {
                    return Err(Error::new(
                        ErrorKind::Xml,
                        format!(
                            "RANGESTART {start} of {} is not above {} of {}: the shards' ranges must increase",
                            shard.name,
                            p.range_start.unwrap_or_default(),
                            p.name
                        ),
                    )
                    .inside("index.xml"));
                }
            }
            previous = Some(shard);
        }
        Ok(outer
            .files
            .iter()
            .filter(|f| {
                !KNOWN_MEMBERS.iter().any(|k| f.name_matches(k))
                    && !self.cabs.iter().any(|c| f.name_matches(&c.name))
            })
            .map(|f| f.name.clone())
            .collect())
    }

    /// The shards: entries with a RANGESTART.
    pub fn shards(&self) -> impl Iterator<Item = &IndexEntry> {
        self.cabs.iter().filter(|c| c.range_start.is_some())
    }

    /// The shard holding `revision_id`: the greatest RANGESTART ≤ it,
    /// compared as integers. `None` when it is below every RANGESTART.
    pub fn shard_for(&self, revision_id: u64) -> Option<&IndexEntry> {
        self.shards()
            .filter(|c| c.range_start.is_some_and(|s| s <= revision_id))
            .max_by_key(|c| c.range_start)
    }
}

/// What [`crate::catalog::xml`] found, at `base` + its offset.
fn malformed(m: xml::Malformed, base: u64) -> Error {
    xml_error(
        format!("index.xml is not well-formed: {}", m.what),
        base + m.at as u64,
    )
}

/// Text, references, processing instructions, declarations and CDATA:
/// each as XML 1.0 says, and outside the root only whitespace, comments and
/// processing instructions.
fn outside_tags(event: &Event<'_>, depth: usize, at: u64, bom: u64) -> Result<()> {
    let outside = |what: &str| {
        Err(xml_error(
            format!("expected only whitespace outside the root element, found {what}"),
            at,
        ))
    };
    match event {
        Event::Text(t) => {
            xml::check_text(t).map_err(|m| malformed(m, bom + at))?;
            if depth == 0 && !t.trim_ascii().is_empty() {
                return outside("text");
            }
        }
        Event::GeneralRef(r) => {
            xml::reference(&format!("&{};", r.as_ref()), 0).map_err(|m| malformed(m, bom + at))?;
            if depth == 0 {
                return outside("a reference");
            }
        }
        Event::PI(p) => xml::check_pi(p).map_err(|m| malformed(m, bom + at + 2))?,
        Event::Decl(_) if at > 0 => {
            return Err(xml_error(
                "expected an XML declaration only at the start of index.xml",
                at,
            ));
        }
        Event::CData(_) if depth == 0 => return outside("CDATA"),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_compare_as_integers_and_include_the_boundary() {
        let xml = br#"<index version="1"><cablist>
            <cab name="package.cab"/>
            <CAB NAME="package2.cab" RANGESTART="0" FILESDIR="1"/>
            <CAB NAME="package3.cab" RANGESTART="627"/>
            <CAB NAME="package4.cab" RANGESTART="10000"/>
            <CAB NAME="package5.cab" RANGESTART="9000"/>
        </cablist></index>"#;
        let index = Index::parse(xml).unwrap();
        assert_eq!(index.cabs.len(), 5);
        assert!(index.cabs[1].files_dir);
        let shard = |r| index.shard_for(r).map(|c| c.name.as_str());
        assert_eq!(shard(626), Some("package2.cab"));
        assert_eq!(shard(627), Some("package3.cab"));
        // "10000" < "9000" as strings; as integers it is the last shard.
        assert_eq!(shard(9999), Some("package5.cab"));
        assert_eq!(shard(10000), Some("package4.cab"));
        assert_eq!(shard(u64::MAX), Some("package4.cab"));
    }

    #[test]
    fn malformed_indexes_are_errors() {
        for bad in [
            &b"<INDEX><CAB RANGESTART=\"x\" NAME=\"a\"/></INDEX>"[..],
            b"<OTHER/>",
            b"<INDEX><CAB/></INDEX>",
            b"<INDEX>",
            // XML 1.0 and Namespaces, as for package.xml.
            b"<INDEX><CAB NAME=\"a\" 1x=\"\"/></INDEX>",
            b"<INDEX><CAB NAME=\"a\" q:x=\"1\"/></INDEX>",
            b"<INDEX><CAB NAME=\"a<b\"/></INDEX>",
            b"<INDEX>\0</INDEX>",
            b"<INDEX/><INDEX/>",
            b"<INDEX/>text",
            b"<INDEX>A & B</INDEX>",
            b"<INDEX/><?xml version=\"1.0\"?>",
            b"<INDEX/><![CDATA[x]]>",
        ] {
            assert!(
                Index::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn outer(names: &[&str]) -> Cabinet {
        let mut b = crate::cab::writer::CabBuilder::new();
        let folder = b.add_folder(crate::cab::Compression::None);
        for n in names {
            folder.add_file(n, b"x");
        }
        Cabinet::parse(&mut std::io::Cursor::new(b.finish())).unwrap()
    }

    #[test]
    fn reconcile_names_members_ranges_and_unlisted_files() {
        let cab = outer(&[
            "index.xml",
            "package.cab",
            "package2.cab",
            "package3.cab",
            "new.bin",
        ]);
        let ok = br#"<INDEX><CABLIST><CAB NAME="package.cab"/>
            <CAB NAME="package2.cab" RANGESTART="0"/><CAB NAME="PACKAGE3.CAB" RANGESTART="627"/>
            </CABLIST></INDEX>"#;
        assert_eq!(
            Index::parse(ok).unwrap().reconcile(&cab).unwrap(),
            ["new.bin"]
        );
        let missing =
            br#"<INDEX><CABLIST><CAB NAME="package4.cab" RANGESTART="0"/></CABLIST></INDEX>"#;
        let e = Index::parse(missing).unwrap().reconcile(&cab).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingMember);
        for starts in [("627", "0"), ("5", "5")] {
            let xml = format!(
                r#"<INDEX><CABLIST><CAB NAME="package2.cab" RANGESTART="{}"/><CAB NAME="package3.cab" RANGESTART="{}"/></CABLIST></INDEX>"#,
                starts.0, starts.1
            );
            let e = Index::parse(xml.as_bytes())
                .unwrap()
                .reconcile(&cab)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Xml, "{starts:?}");
        }
    }

    #[test]
    fn a_cab_outside_index_cablist_is_refused() {
        for bad in [
            &br#"<CABLIST><CAB NAME="package.cab"/></CABLIST>"#[..],
            br#"<INDEX><CAB NAME="package.cab"/></INDEX>"#,
            br#"<INDEX><OTHER><CABLIST><CAB NAME="a"/></CABLIST></OTHER></INDEX>"#,
        ] {
            assert!(
                Index::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

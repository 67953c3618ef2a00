//! Parses one batch with quick-xml and turns each `<Update>` into a record.
//!
//! This is the one module that reads XML into meaning, and the floor of a
//! check's time: it sees every byte of package.xml. The [`Visitor`] it calls
//! is defined here because it is the parser's output interface; the scan
//! only passes it through.
//!
//! Only `<Update>` elements that are children of `<Updates>` under the root
//! become records; elements are matched by local name so the OfflineSync
//! namespace may be present, absent or prefixed. Unknown attributes and
//! children are kept or ignored, never rejected. Comments, CDATA and
//! processing instructions never reach a record.

use std::borrow::Cow;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{local_name, Batch, Limits, Outcome, RootInfo, ROOT};
use crate::catalog::update::{RefKind, Update};
use crate::error::{Error, ErrorKind, Result};

/// Collects what one batch's updates say.
pub trait Visitor: Send {
    fn update(&mut self, update: &Update);
    /// Asked once the `<Update>` start tag is read (attributes only):
    /// whether to collect the references its children make
    /// ([`Update::refs`]). Child flags are always set. Declining saves most
    /// of the parse cost of the children for updates the visitor will not
    /// look into.
    fn wants_refs(&mut self, _update: &Update) -> bool {
        true
    }
    /// A `<FileLocation>` under the root (most visitors have no use for them).
    fn file_location(&mut self, _id: &str, _url: &str) {}
    /// Whether [`Visitor::element`] should be called. Asked once per batch,
    /// so a visitor that has no use for element paths costs the parse
    /// nothing.
    fn wants_elements(&self) -> bool {
        false
    }
    /// Every element start (the root's included), in document order. An
    /// element inside an `<Update>` arrives after that `<Update>`'s own start
    /// and before its [`Visitor::update`].
    fn element(&mut self, _element: &Element<'_>) {}
}

/// Element names on a stack, kept in one string to avoid an allocation per
/// element.
#[derive(Default)]
struct NameStack {
    text: String,
    ends: Vec<usize>,
}

impl NameStack {
    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len());
    }

    fn depth(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn top(&self) -> Option<&str> {
        self.depth().checked_sub(1).map(|i| self.get(i))
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    fn to_vec(&self) -> Vec<String> {
        (0..self.depth()).map(|i| self.get(i).to_string()).collect()
    }
}

fn xml_error(msg: impl Into<String>, offset: u64) -> Error {
    Error::new(ErrorKind::Xml, msg).at_offset(offset)
}

/// An element start, as a visitor that asked for elements sees it.
pub struct Element<'a> {
    stack: &'a NameStack,
    name: &'a str,
    start: &'a BytesStart<'a>,
}

impl Element<'_> {
    /// 0 for the root.
    pub fn depth(&self) -> usize {
        self.stack.depth()
    }

    pub fn local_name(&self) -> &str {
        local_name(self.name)
    }

    /// Appends the local names from the root down to this element, joined
    /// by `/`, so that callers can reuse one buffer.
    pub fn write_path(&self, buf: &mut String) {
        for i in 0..self.stack.depth() {
            buf.push_str(local_name(self.stack.get(i)));
            buf.push('/');
        }
        buf.push_str(local_name(self.name));
    }

    /// Calls `f` with each attribute's name, namespace declarations left
    /// out: they say how names are spelt, not what the catalog says.
    pub fn for_each_attribute_name(&self, mut f: impl FnMut(&str)) {
        for attr in self.start.attributes().flatten() {
            let key = attr.key.0;
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            f(key);
        }
    }
}

const PREDEFINED: [&str; 5] = ["lt", "gt", "amp", "apos", "quot"];

/// Parses `batch`, telling `visitor` about each complete `<Update>` record
/// and each `<FileLocation>`.
pub fn parse_batch(batch: &Batch, limits: &Limits, visitor: &mut dyn Visitor) -> Outcome {
    let mut outcome = Outcome {
        index: batch.index,
        context_in: batch.context.clone(),
        len: batch.bytes.len() as u64,
        ..Outcome::default()
    };
    if let Err(e) = parse_into(batch, limits, visitor, &mut outcome) {
        outcome.error = Some(e);
    }
    outcome
}

fn parse_into(
    batch: &Batch,
    limits: &Limits,
    visitor: &mut dyn Visitor,
    outcome: &mut Outcome,
) -> Result<()> {
    let text = std::str::from_utf8(&batch.bytes).map_err(|e| {
        xml_error(
            "package.xml is not valid UTF-8",
            batch.offset + e.valid_up_to() as u64,
        )
    })?;
    let (text, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) if batch.index == 0 => (rest, batch.offset + 3),
        _ => (text, batch.offset),
    };
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut stack = NameStack::default();
    for name in &batch.context {
        stack.push(name);
    }
    let root_already_seen = !batch.context.is_empty() || batch.index > 0;
    let mut root_seen = root_already_seen;
    let mut record = Update::default();
    // Depth of the `<Update>` being filled, if any.
    let mut in_update: Option<usize> = None;
    // The number of `<Or>` prerequisite groups seen in the current update.
    let mut or_group = 0u32;
    // Whether the visitor wants the current update's references (reading
    // them is most of the cost of its children).
    let mut want_refs = true;
    let mut first = true;
    let wants_elements = visitor.wants_elements();
    loop {
        let start = base + reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let mut err = xml_error(
                format!("package.xml is not well-formed: {e}"),
                base + reader.error_position(),
            )
            .with_source(e);
            if in_update.is_some() {
                if let Some(rev) = record.get("RevisionId") {
                    err = err.at_update(rev);
                }
            }
            err
        })?;
        let was_first = std::mem::replace(&mut first, false);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name();
                let name = name.as_ref();
                let depth = stack.depth();
                if depth == 0 {
                    if root_seen {
                        return Err(xml_error(
                            format!("a second root element <{name}> after the first one closed"),
                            start,
                        ));
                    }
                    root_seen = true;
                    if local_name(name) != ROOT {
                        return Err(xml_error(
                            format!("the root element is <{name}>, expected <{ROOT}>: this is not a catalog's package.xml"),
                            start,
                        ));
                    }
                    outcome.root = Some(RootInfo {
                        name: name.to_string(),
                        attributes: read_attributes(e, start)?,
                    });
                }
                if depth + 1 > limits.max_depth {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        format!("elements nest deeper than {} levels", limits.max_depth),
                    )
                    .at_offset(start));
                }
                if wants_elements {
                    visitor.element(&Element {
                        stack: &stack,
                        name,
                        start: e,
                    });
                }
                if let Some(d) = in_update {
                    if depth == d + 1 {
                        let c = &mut record.children;
                        match local_name(name) {
                            "BundledBy" => c.bundled_by = true,
                            "PayloadFiles" => c.payload_files = true,
                            "SupersededBy" => c.superseded_by = true,
                            "Prerequisites" => c.prerequisites = true,
                            "Categories" => c.categories = true,
                            "Languages" => c.languages = true,
                            "EulaFiles" => c.eula_files = true,
                            other => record.push_other_child(other),
                        }
                    } else if want_refs {
                        let child = local_name(stack.get(d + 1));
                        let leaf = local_name(name);
                        let kind = if depth == d + 2 {
                            match (child, leaf) {
                                ("Prerequisites", "Or") => {
                                    or_group += 1;
                                    None
                                }
                                ("Prerequisites", "UpdateId") => Some((RefKind::Prerequisite, 0)),
                                ("Categories", "Category") => Some((RefKind::Category, 0)),
                                ("Languages", "Language") => Some((RefKind::Language, 0)),
                                ("PayloadFiles", "File") => Some((RefKind::PayloadFile, 0)),
                                ("EulaFiles", "File") => Some((RefKind::EulaFile, 0)),
                                ("BundledBy", "Revision") => Some((RefKind::BundledBy, 0)),
                                ("SupersededBy", "Revision") => Some((RefKind::SupersededBy, 0)),
                                _ => None,
                            }
                        } else if depth == d + 3
                            && child == "Prerequisites"
                            && local_name(stack.get(d + 2)) == "Or"
                            && leaf == "UpdateId"
                        {
                            Some((RefKind::Prerequisite, or_group))
                        } else {
                            None
                        };
                        if let Some((kind, group)) = kind {
                            push_ref(&mut record, kind, group, e, start)?;
                        }
                    }
                } else if depth == 2
                    && local_name(name) == "FileLocation"
                    && stack.top().map(local_name) == Some("FileLocations")
                    && local_name(stack.get(0)) == ROOT
                {
                    let (id, url) = file_location(e, start)?;
                    visitor.file_location(&id, &url);
                } else if depth == 2
                    && local_name(name) == "Update"
                    && stack.top().map(local_name) == Some("Updates")
                    && local_name(stack.get(0)) == ROOT
                {
                    record.clear();
                    or_group = 0;
                    record.offset = start;
                    fill_record(&mut record, e, start)?;
                    want_refs = visitor.wants_refs(&record);
                    if empty {
                        finish(&record, visitor, start)?;
                        outcome.updates += 1;
                    } else {
                        in_update = Some(depth);
                    }
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::End(ref e) => {
                let name = e.name();
                let name = name.as_ref();
                match stack.top() {
                    None => {
                        return Err(xml_error(
                            format!("</{name}> closes an element that is not open"),
                            start,
                        ));
                    }
                    Some(top) if top != name => {
                        return Err(xml_error(
                            format!("expected </{top}>, found </{name}>"),
                            start,
                        ))
                        .map_err(|err| match in_update {
                            Some(_) => match record.get("RevisionId") {
                                Some(rev) => err.at_update(rev),
                                None => err,
                            },
                            None => err,
                        });
                    }
                    Some(_) => stack.pop(),
                }
                if in_update == Some(stack.depth()) {
                    in_update = None;
                    finish(&record, visitor, record.offset)?;
                    outcome.updates += 1;
                }
            }
            Event::Text(ref t) => {
                if stack.depth() == 0
                    && !t
                        .as_ref()
                        .chars()
                        .all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                {
                    return Err(xml_error("text outside the root element", start));
                }
            }
            Event::CData(_) => {
                if stack.depth() == 0 {
                    return Err(xml_error("CDATA outside the root element", start));
                }
            }
            Event::GeneralRef(ref r) => {
                if stack.depth() == 0 {
                    return Err(xml_error("a reference outside the root element", start));
                }
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(_)) => {}
                        _ => {
                            return Err(xml_error(
                                format!("&{}; is not a valid character reference", r.as_ref()),
                                start,
                            ))
                        }
                    }
                } else if !PREDEFINED.contains(&r.as_ref()) {
                    return Err(xml_error(
                        format!(
                            "&{}; is not one of XML's predefined entities (package.xml has no DTD)",
                            r.as_ref()
                        ),
                        start,
                    ));
                }
            }
            Event::Decl(ref d) => {
                if !(was_first && batch.index == 0) {
                    return Err(xml_error(
                        "an XML declaration that is not at the start of the document",
                        start,
                    ));
                }
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| {
                        xml_error(format!("bad XML declaration: {e}"), start).with_source(e)
                    })?;
                    if !enc.eq_ignore_ascii_case("utf-8") {
                        return Err(xml_error(
                            format!("package.xml declares encoding {enc:?}; catalogs are UTF-8"),
                            start,
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(xml_error(
                    "a DOCTYPE declaration: catalogs have none, and entity definitions could expand without bound",
                    start,
                ));
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    outcome.context_out = stack.to_vec();
    Ok(())
}

/// An attribute's value after XML's normalization (entities resolved, tabs
/// and line breaks as spaces). Nearly every value in a catalog has nothing to
/// normalize, and is then borrowed from the input as it is: normalizing
/// costs an allocation, and package.xml has millions of attributes.
fn value<'a>(attr: &Attribute<'a>, offset: u64) -> Result<Cow<'a, str>> {
    if attr.value.contains(['&', '\t', '\n', '\r']) {
        attr.normalized_value(XmlVersion::Implicit1_0)
            .map(|v| Cow::Owned(v.into_owned()))
            .map_err(|err| {
                xml_error(format!("bad attribute value: {err}"), offset).with_source(err)
            })
    } else {
        Ok(attr.value.clone())
    }
}

fn read_attributes(e: &BytesStart<'_>, offset: u64) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr
            .map_err(|err| xml_error(format!("bad attribute: {err}"), offset).with_source(err))?;
        let value = value(&attr, offset)?;
        out.push((attr.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(out)
}

fn fill_record(record: &mut Update, e: &BytesStart<'_>, offset: u64) -> Result<()> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| {
            xml_error(format!("bad attribute in <Update>: {err}"), offset).with_source(err)
        })?;
        let value = value(&attr, offset)?;
        record.push_attribute(attr.key.as_ref(), &value);
    }
    Ok(())
}

/// Records the reference an element inside an `<Update>` makes.
fn push_ref(
    record: &mut Update,
    kind: RefKind,
    group: u32,
    e: &BytesStart<'_>,
    offset: u64,
) -> Result<()> {
    let (id_name, detail_name) = match kind {
        RefKind::Language => ("Name", None),
        RefKind::Category => ("Id", Some("Type")),
        _ => ("Id", None),
    };
    let mut id = None;
    let mut detail = None;
    for attr in e.attributes() {
        let attr = attr
            .map_err(|err| xml_error(format!("bad attribute: {err}"), offset).with_source(err))?;
        let key = attr.key.as_ref();
        let slot = if key == id_name {
            &mut id
        } else if Some(key) == detail_name {
            &mut detail
        } else {
            continue;
        };
        *slot = Some(value(&attr, offset)?);
    }
    record.push_ref(
        kind,
        group,
        id.as_deref().unwrap_or(""),
        detail.as_deref().unwrap_or(""),
    );
    Ok(())
}

/// A `<FileLocation>`'s Id and Url (empty when absent).
fn file_location<'a>(e: &'a BytesStart<'_>, offset: u64) -> Result<(Cow<'a, str>, Cow<'a, str>)> {
    let mut id = Cow::Borrowed("");
    let mut url = Cow::Borrowed("");
    for attr in e.attributes() {
        let attr = attr
            .map_err(|err| xml_error(format!("bad attribute: {err}"), offset).with_source(err))?;
        let slot = match attr.key.as_ref() {
            "Id" => &mut id,
            "Url" => &mut url,
            _ => continue,
        };
        *slot = value(&attr, offset)?;
    }
    Ok((id, url))
}

fn finish(record: &Update, visitor: &mut dyn Visitor, offset: u64) -> Result<()> {
    if record.revision_id().is_none() {
        let what = match record.get("RevisionId") {
            Some(raw) => format!("RevisionId {raw:?} is not a number"),
            None => "it has no RevisionId".to_string(),
        };
        return Err(xml_error(
            format!("an <Update> cannot be identified: {what}"),
            offset,
        ));
    }
    visitor.update(record);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::update::Kind;

    type Refs = Vec<(RefKind, u32, String, String)>;

    #[derive(Default)]
    struct Collect {
        updates: Vec<(u64, Kind, Refs, Vec<String>)>,
        locations: Vec<(String, String)>,
    }

    impl Visitor for Collect {
        fn update(&mut self, u: &Update) {
            self.updates.push((
                u.revision_id().unwrap(),
                u.kind(),
                u.all_refs()
                    .map(|(k, g, id, d)| (k, g, id.to_string(), d.to_string()))
                    .collect(),
                u.other_children().map(str::to_string).collect(),
            ));
        }
        fn file_location(&mut self, id: &str, url: &str) {
            self.locations.push((id.to_string(), url.to_string()));
        }
    }

    #[test]
    fn children_become_references_in_document_order() {
        let xml = r#"<OfflineSyncPackage xmlns="x"><Updates>
            <Update RevisionId="7" IsBundle="true"><Prerequisites><UpdateId Id="p0"/><Or><UpdateId Id="a"/><UpdateId Id="b"/></Or><Or><UpdateId Id="c"/></Or></Prerequisites>
              <Categories><Category Type="Product" Id="g1"/></Categories><Languages><Language Name="en"/></Languages>
              <SupersededBy><Revision Id="9"/><Revision Id="11"/></SupersededBy><Future><Revision Id="1"/></Future></Update>
            <Update RevisionId="8" DeploymentAction="Bundle"><PayloadFiles><File Id="AAA="/></PayloadFiles><BundledBy><Revision Id="7"/></BundledBy><EulaFiles><File Id="e1"><Language Name="en"/></File></EulaFiles></Update>
            </Updates><FileLocations><FileLocation Id="AAA=" Url="http://h/a_00.cab"/></FileLocations></OfflineSyncPackage>"#;
        let batch = Batch {
            index: 0,
            offset: 0,
            context: Vec::new(),
            bytes: xml.as_bytes().to_vec(),
        };
        let mut c = Collect::default();
        let outcome = parse_batch(&batch, &Limits::default(), &mut c);
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        let r = |k, g, id: &str, d: &str| (k, g, id.to_string(), d.to_string());
        assert_eq!(
            c.updates[0].2,
            vec![
                r(RefKind::Prerequisite, 0, "p0", ""),
                r(RefKind::Prerequisite, 1, "a", ""),
                r(RefKind::Prerequisite, 1, "b", ""),
                r(RefKind::Prerequisite, 2, "c", ""),
                r(RefKind::Category, 0, "g1", "Product"),
                r(RefKind::Language, 0, "en", ""),
                r(RefKind::SupersededBy, 0, "9", ""),
                r(RefKind::SupersededBy, 0, "11", ""),
            ]
        );
        assert_eq!(c.updates[0].3, vec!["Future".to_string()]);
        assert_eq!(c.updates[1].1, Kind::Child);
        assert_eq!(
            c.updates[1].2,
            vec![
                r(RefKind::PayloadFile, 0, "AAA=", ""),
                r(RefKind::BundledBy, 0, "7", ""),
                r(RefKind::EulaFile, 0, "e1", ""),
            ]
        );
        assert_eq!(
            c.locations,
            vec![("AAA=".to_string(), "http://h/a_00.cab".to_string())]
        );
    }
}

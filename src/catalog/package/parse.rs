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
//! processing instructions never reach a record. An element named `Update`
//! anywhere else is an error, not something to skip: a consumer that reads
//! it as an update would see a catalog that wsuscat did not check.
//!
//! quick-xml checks less than XML 1.0 asks; every start tag, text, reference
//! and processing instruction also goes through [`crate::catalog::xml`], and
//! the whole batch through its Char scan, so that a document a strict
//! parser refuses is refused here too.

use std::borrow::Cow;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::{Reader, XmlVersion};

use super::{local_name, Batch, Limits, Outcome, RootInfo, ROOT};
use crate::catalog::update::{RefKind, Update};
use crate::catalog::xml::{self, Namespaces, TagChecker};
use crate::error::{Error, ErrorKind, Result};

/// Collects what one batch's updates say.
pub trait Visitor: Send {
    /// Called with each `<Update>` the batch completes (at its end tag, or
    /// its empty-element tag), in document order. The record is reused for
    /// the next update: copy what must outlive the call.
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
    /// Asked after each [`Visitor::update`]: an error that ends the scan
    /// there, or `None` to go on. A visitor that keeps something of every
    /// update refuses once it holds as much as its bound allows, so that no
    /// catalog, however many updates it claims, makes it grow past it.
    fn refusal(&mut self) -> Option<Error> {
        None
    }
    /// Called once the batch has been parsed. A visitor kept until the
    /// scan ends gives back here what it allocated to grow but does not
    /// use: every batch's spare capacity would otherwise add up.
    fn batch_done(&mut self) {}
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

    /// The name at depth `i` (0 for the root).
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The local name at depth `i`; empty when nothing is open that deep.
    fn local(&self, i: usize) -> &str {
        self.get(i).map_or("", local_name)
    }

    fn top(&self) -> Option<&str> {
        self.depth().checked_sub(1).and_then(|i| self.get(i))
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    /// The names from the root down.
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.ends.iter().scan(0, |start, &end| {
            let name = self.text.get(*start..end);
            *start = end;
            name
        })
    }

    fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
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

    /// Its name without a namespace prefix (`Update` for `ns:Update`).
    pub fn local_name(&self) -> &str {
        local_name(self.name)
    }

    /// Appends the local names from the root down to this element, joined
    /// by `/`, so that callers can reuse one buffer.
    pub fn write_path(&self, buf: &mut String) {
        for name in self.stack.iter() {
            buf.push_str(local_name(name));
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
        bindings_in: batch.bindings.clone(),
        len: batch.bytes.len() as u64,
        ..Outcome::default()
    };
    if let Err(e) = parse_into(batch, limits, visitor, &mut outcome) {
        outcome.error = Some(e);
    }
    outcome
}

/// The batch as text, without the byte order mark that may open the
/// document, and the offset in package.xml where that text starts.
fn batch_text(batch: &Batch) -> Result<(&str, u64)> {
    let text = std::str::from_utf8(&batch.bytes).map_err(|e| {
        xml_error(
            "package.xml is not valid UTF-8",
            batch.offset + e.valid_up_to() as u64,
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) if batch.index == 0 => (rest, batch.offset + 3),
        _ => (text, batch.offset),
    })
}

fn parse_into(
    batch: &Batch,
    limits: &Limits,
    visitor: &mut dyn Visitor,
    outcome: &mut Outcome,
) -> Result<()> {
    let (text, base) = batch_text(batch)?;
    let mut reader = Reader::from_str(text);
    {
        // Names are matched by the parser itself (a batch may close elements
        // it did not open), so quick-xml must not.
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut parser = BatchParser::new(batch, limits, visitor, outcome);
    // A character outside XML's Char production, anywhere in the batch:
    // one scan up front, reported once the parse reaches it, so that the
    // error can say which update it is in.
    let bad_char = xml::check_chars(text).err();
    let bad_at = bad_char.as_ref().map_or(u64::MAX, |m| m.at as u64);
    let mut first = true;
    loop {
        let start = base + reader.buffer_position();
        let event = reader.read_event().map_err(|e| match &bad_char {
            Some(m) if bad_at <= reader.error_position() => parser.malformed(m.clone(), base),
            _ => parser.syntax_error(e, base + reader.error_position()),
        })?;
        if let Some(m) = bad_char
            .as_ref()
            .filter(|_| reader.buffer_position() > bad_at)
        {
            let err = parser.malformed(m.clone(), base);
            return Err(match &event {
                Event::Start(e) | Event::Empty(e) => named_if_update(err, e),
                _ => err,
            });
        }
        let was_first = std::mem::replace(&mut first, false);
        match event {
            Event::Start(ref e) => parser.start(e, false, start)?,
            Event::Empty(ref e) => parser.start(e, true, start)?,
            Event::End(ref e) => parser.end(e, start)?,
            Event::Text(ref t) => parser.text(t, start)?,
            Event::CData(_) => parser.cdata(start)?,
            Event::GeneralRef(ref r) => parser.general_ref(r, start)?,
            Event::Decl(ref d) => declaration(d, was_first && batch.index == 0, start)?,
            Event::DocType(_) => {
                return Err(xml_error(
                    "a DOCTYPE declaration: catalogs have none, and entity definitions could expand without bound",
                    start,
                ));
            }
            Event::PI(ref p) => xml::check_pi(p).map_err(|m| parser.malformed(m, start + 2))?,
            Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    parser.outcome.context_out = parser.stack.to_vec();
    parser.outcome.bindings_out = parser.ns.bindings().to_vec();
    Ok(())
}

/// What the parser knows between two events of one batch.
struct BatchParser<'a> {
    max_depth: usize,
    visitor: &'a mut dyn Visitor,
    outcome: &'a mut Outcome,
    /// Open elements, the batch's context first.
    stack: NameStack,
    root_seen: bool,
    record: Update,
    /// Depth of the `<Update>` being filled, if any.
    in_update: Option<usize>,
    /// The number of `<Or>` prerequisite groups seen in the current update.
    or_group: u32,
    /// Whether the visitor wants the current update's references (reading
    /// them is most of the cost of its children).
    want_refs: bool,
    /// Asked once per batch, so a visitor without use for elements costs
    /// the loop one test per element.
    wants_elements: bool,
    /// The namespace bindings in scope (the batch's context's first).
    ns: Namespaces,
    /// Checks each start tag as XML 1.0 and Namespaces ask.
    tags: TagChecker,
}

impl<'a> BatchParser<'a> {
    fn new(
        batch: &Batch,
        limits: &Limits,
        visitor: &'a mut dyn Visitor,
        outcome: &'a mut Outcome,
    ) -> Self {
        let mut stack = NameStack::default();
        for name in &batch.context {
            stack.push(name);
        }
        BatchParser {
            max_depth: limits.max_depth,
            wants_elements: visitor.wants_elements(),
            visitor,
            outcome,
            stack,
            root_seen: !batch.context.is_empty() || batch.index > 0,
            record: Update::default(),
            in_update: None,
            or_group: 0,
            want_refs: true,
            ns: Namespaces::with(batch.bindings.clone()),
            tags: TagChecker::default(),
        }
    }

    /// What [`crate::catalog::xml`] found, at `base` + its offset.
    fn malformed(&self, m: xml::Malformed, base: u64) -> Error {
        self.in_record(xml_error(
            format!("package.xml is not well-formed: {}", m.what),
            base + m.at as u64,
        ))
    }

    /// Says which update an error is in, when it is inside one.
    fn in_record(&self, err: Error) -> Error {
        match self.in_update.and(self.record.get("RevisionId")) {
            Some(rev) => err.at_update(rev),
            None => err,
        }
    }

    fn syntax_error(&self, e: quick_xml::Error, offset: u64) -> Error {
        self.in_record(
            xml_error(format!("package.xml is not well-formed: {e}"), offset).with_source(e),
        )
    }

    /// A start tag, or an empty-element tag when `empty`.
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) -> Result<()> {
        let name = e.name();
        let name = name.as_ref();
        let depth = self.stack.depth();
        self.tags
            .check(e, depth, &mut self.ns)
            .map_err(|m| named_if_update(self.malformed(m, at + 1), e))?;
        if empty {
            self.ns.leave(depth);
        }
        if depth == 0 {
            self.root(e, name, at)?;
        }
        if name.ends_with("Update") && local_name(name) == "Update" {
            self.check_update_place(name, at)
                .map_err(|err| named_if_update(err, e))?;
        }
        if depth + 1 > self.max_depth {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("elements nest deeper than {} levels", self.max_depth),
            )
            .at_offset(at));
        }
        if self.wants_elements {
            self.visitor.element(&Element {
                stack: &self.stack,
                name,
                start: e,
            });
        }
        if let Some(d) = self.in_update {
            if depth == d + 1 {
                self.update_child(name);
            } else if self.want_refs {
                if let Some((kind, group)) = self.reference(name, d, depth) {
                    push_ref(&mut self.record, kind, group, e, at)?;
                }
            }
        } else if depth == 2 {
            self.grandchild(e, name, empty, at)?;
        }
        if !empty {
            self.stack.push(name);
        }
        Ok(())
    }

    /// `<Update>` is a record only as a child of `<Updates>` under the
    /// root; anywhere else it is an error, not something to skip.
    fn check_update_place(&self, name: &str, at: u64) -> Result<()> {
        let depth = self.stack.depth();
        if depth == 2 && self.stack.local(0) == ROOT && self.stack.local(1) == "Updates" {
            return Ok(());
        }
        let path: Vec<&str> = self.stack.iter().collect();
        Err(self.in_record(xml_error(
            format!(
                "expected <{name}> only as a child of <{ROOT}><Updates>, found it in <{}>",
                path.join("><")
            ),
            at,
        )))
    }

    /// The document's first element: it must be the catalog's root, and
    /// the only one.
    fn root(&mut self, e: &BytesStart<'_>, name: &str, at: u64) -> Result<()> {
        if self.root_seen {
            return Err(xml_error(
                format!("a second root element <{name}> after the first one closed"),
                at,
            ));
        }
        self.root_seen = true;
        if local_name(name) != ROOT {
            return Err(xml_error(
                format!("the root element is <{name}>, expected <{ROOT}>: this is not a catalog's package.xml"),
                at,
            ));
        }
        self.outcome.root = Some(RootInfo {
            name: name.to_string(),
            attributes: read_attributes(e, at)?,
        });
        Ok(())
    }

    /// An element two levels down, outside any update: an `<Update>`
    /// under `<Updates>` starts a record, a `<FileLocation>` under
    /// `<FileLocations>` goes to the visitor.
    fn grandchild(&mut self, e: &BytesStart<'_>, name: &str, empty: bool, at: u64) -> Result<()> {
        if self.stack.local(0) != ROOT {
            return Ok(());
        }
        match (self.stack.top().map_or("", local_name), local_name(name)) {
            ("Updates", "Update") => self.update_start(e, empty, at),
            ("FileLocations", "FileLocation") => {
                let (id, url) = file_location(&self.tags, e);
                self.visitor.file_location(&id, &url);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// An `<Update>` start tag: its attributes start a new record.
    fn update_start(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) -> Result<()> {
        self.record.clear();
        self.or_group = 0;
        self.record.offset = at;
        fill_record(&mut self.record, &self.tags, e);
        self.want_refs = self.visitor.wants_refs(&self.record);
        if empty {
            finish(&self.record, self.visitor, at)?;
            self.outcome.updates += 1;
        } else {
            self.in_update = Some(self.stack.depth());
        }
        Ok(())
    }

    /// A direct child of the current `<Update>`.
    fn update_child(&mut self, name: &str) {
        let c = &mut self.record.children;
        match local_name(name) {
            "BundledBy" => c.bundled_by = true,
            "PayloadFiles" => c.payload_files = true,
            "SupersededBy" => c.superseded_by = true,
            "Prerequisites" => c.prerequisites = true,
            "Categories" => c.categories = true,
            "Languages" => c.languages = true,
            "EulaFiles" => c.eula_files = true,
            other => self.record.push_other_child(other),
        }
    }

    /// The reference (and its `<Or>` group) that an element `depth` deep,
    /// inside the `<Update>` at `update_depth`, makes; counts `<Or>` groups.
    fn reference(
        &mut self,
        name: &str,
        update_depth: usize,
        depth: usize,
    ) -> Option<(RefKind, u32)> {
        let child = self.stack.local(update_depth + 1);
        let leaf = local_name(name);
        if depth == update_depth + 2 {
            match (child, leaf) {
                ("Prerequisites", "Or") => {
                    self.or_group += 1;
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
        } else if depth == update_depth + 3
            && child == "Prerequisites"
            && self.stack.local(update_depth + 2) == "Or"
            && leaf == "UpdateId"
        {
            Some((RefKind::Prerequisite, self.or_group))
        } else {
            None
        }
    }

    /// An end tag: it must close the innermost open element, and may
    /// complete an `<Update>`.
    fn end(&mut self, e: &BytesEnd<'_>, at: u64) -> Result<()> {
        let name = e.name();
        let name = name.as_ref();
        match self.stack.top() {
            None => {
                return Err(xml_error(
                    format!("</{name}> closes an element that is not open"),
                    at,
                ));
            }
            Some(top) if top != name => {
                let err = xml_error(format!("expected </{top}>, found </{name}>"), at);
                return Err(self.in_record(err));
            }
            Some(_) => self.stack.pop(),
        }
        self.ns.leave(self.stack.depth());
        if self.in_update == Some(self.stack.depth()) {
            self.in_update = None;
            finish(&self.record, self.visitor, self.record.offset)?;
            self.outcome.updates += 1;
        }
        Ok(())
    }

    /// Text is only read for where it is: outside the root, only
    /// whitespace may appear.
    fn text(&self, t: &BytesText<'_>, at: u64) -> Result<()> {
        xml::check_text(t).map_err(|m| self.malformed(m, at))?;
        if self.stack.depth() == 0
            && !t
                .as_ref()
                .chars()
                .all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            return Err(xml_error("text outside the root element", at));
        }
        Ok(())
    }

    fn cdata(&self, at: u64) -> Result<()> {
        if self.stack.depth() == 0 {
            return Err(xml_error("CDATA outside the root element", at));
        }
        Ok(())
    }

    /// `&…;` in text: only character references and XML's five predefined
    /// entities exist without a DTD.
    fn general_ref(&self, r: &BytesRef<'_>, at: u64) -> Result<()> {
        if self.stack.depth() == 0 {
            return Err(xml_error("a reference outside the root element", at));
        }
        if r.is_char_ref() {
            match r.resolve_char_ref() {
                Ok(Some(c)) if xml::is_xml_char(c) => Ok(()),
                _ => Err(xml_error(
                    format!("&{}; is not a valid character reference", r.as_ref()),
                    at,
                )),
            }
        } else if PREDEFINED.contains(&r.as_ref()) {
            Ok(())
        } else if let Err(m) = xml::reference(&format!("&{};", r.as_ref()), 0) {
            Err(self.malformed(m, at))
        } else {
            Err(xml_error(
                format!(
                    "&{}; is not one of XML's predefined entities (package.xml has no DTD)",
                    r.as_ref()
                ),
                at,
            ))
        }
    }
}

/// An error in an `<Update>` start tag names the update when its
/// RevisionId can be read (the record does not exist yet).
fn named_if_update(err: Error, e: &BytesStart<'_>) -> Error {
    if local_name(e.name().as_ref()) != "Update" {
        return err;
    }
    let tag: &str = e;
    let revision = tag
        .split_once("RevisionId=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(id, _)| id)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    match revision {
        Some(id) => err.at_update(id),
        None => err,
    }
}

/// `<?xml …?>`: only at the very start of the document, and only UTF-8.
fn declaration(d: &BytesDecl<'_>, at_document_start: bool, at: u64) -> Result<()> {
    if !at_document_start {
        return Err(xml_error(
            "an XML declaration that is not at the start of the document",
            at,
        ));
    }
    if let Some(enc) = d.encoding() {
        let enc =
            enc.map_err(|e| xml_error(format!("bad XML declaration: {e}"), at).with_source(e))?;
        if !enc.eq_ignore_ascii_case("utf-8") {
            return Err(xml_error(
                format!("package.xml declares encoding {enc:?}; catalogs are UTF-8"),
                at,
            ));
        }
    }
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

/// The `<Update>` start tag's attributes into `record`, from where the tag
/// check found them (quick-xml would tokenize the tag a second time).
fn fill_record(record: &mut Update, tags: &TagChecker, tag: &str) {
    for (name, raw) in tags.attributes(tag) {
        record.push_attribute(name, &xml::normalize(raw));
    }
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

/// A `<FileLocation>`'s Id and Url (empty when absent), from where the tag
/// check found them.
fn file_location<'a>(tags: &'a TagChecker, tag: &'a str) -> (Cow<'a, str>, Cow<'a, str>) {
    let mut id = Cow::Borrowed("");
    let mut url = Cow::Borrowed("");
    for (name, raw) in tags.attributes(tag) {
        match name {
            "Id" => id = xml::normalize(raw),
            "Url" => url = xml::normalize(raw),
            _ => {}
        }
    }
    (id, url)
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
    match visitor.refusal() {
        Some(e) => Err(e.at_offset(offset)),
        None => Ok(()),
    }
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
            bindings: Vec::new(),
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

//! The XML 1.0 well-formedness rules quick-xml does not enforce.
//!
//! quick-xml is fast because it checks little: it takes any bytes up to a
//! space as an element name, reads attributes only when asked, and does not
//! look at characters. A catalog that a strict consumer (MSXML, XmlLite,
//! expat) refuses must not get a verdict here, so package.xml, index.xml and
//! the fragments all pass through this one module as well:
//!
//! - characters by the Char production, over the whole text in one scan
//!   ([`check_chars`]): every byte of a document is part of some Char, so
//!   one pass covers text, attribute values, comments, CDATA and processing
//!   instructions alike;
//! - names by the Name production of XML 1.0 **5th edition** (names are
//!   not where wsuscat should be stricter than the current Recommendation;
//!   earlier editions' narrower tables, which expat still uses, differ only
//!   outside ASCII, where no catalog has a name; see docs/design.md), and by
//!   the QName production of Namespaces in XML 1.0;
//! - start tags ([`TagChecker`]): whitespace between attributes, `=` and a
//!   quoted value, no `<` in a value, only defined references, no duplicate
//!   attribute (also after namespace expansion);
//! - namespaces ([`Namespaces`]): prefixes must be bound; `xml` and `xmlns`
//!   as expat enforces them;
//! - processing instruction targets and references in text.
//!
//! Catalogs are ASCII in their names, so every check has an ASCII fast path
//! through a table, and nothing allocates unless a namespace is declared.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use std::borrow::Cow;

use memchr::{memchr, memchr2};

/// The namespace the `xml` prefix is bound to, and no other prefix may be.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` itself, which nothing may be bound to.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// What is wrong, and where: `at` is a byte offset in the text that was
/// checked (a tag, a whole document: the caller knows which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Byte offset of the problem in the checked text.
    pub at: usize,
    /// What was expected and what was found there.
    pub what: String,
}

fn malformed(at: usize, what: impl Into<String>) -> Malformed {
    Malformed {
        at,
        what: what.into(),
    }
}

/// ASCII name characters: 1 start char (NCName), 2 other name char.
// Built at compile time: `c` stays below 128, and `get_mut` is not const.
#[allow(clippy::indexing_slicing)]
const ASCII_NAME: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' {
            1
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            2
        } else {
            0
        };
        c += 1;
    }
    t
};

/// NameStartChar of XML 1.0 5th edition, without `:` (namespaces give it
/// its own role).
pub fn is_name_start_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_NAME.get(c as usize) == Some(&1);
    }
    matches!(c as u32,
        0xC0..=0xD6
        | 0xD8..=0xF6
        | 0xF8..=0x2FF
        | 0x370..=0x37D
        | 0x37F..=0x1FFF
        | 0x200C..=0x200D
        | 0x2070..=0x218F
        | 0x2C00..=0x2FEF
        | 0x3001..=0xD7FF
        | 0xF900..=0xFDCF
        | 0xFDF0..=0xFFFD
        | 0x10000..=0xEFFFF)
}

/// NameChar of XML 1.0 5th edition, without `:`.
pub fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_NAME.get(c as usize).is_some_and(|&k| k != 0);
    }
    is_name_start_char(c) || matches!(c as u32, 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

fn describe(c: Option<char>) -> String {
    match c {
        None => "the end".to_string(),
        Some(c) if c.is_ascii_graphic() => format!("'{c}'"),
        Some(c) => format!("U+{:04X}", c as u32),
    }
}

/// The end of the NCName at `s[i..]`, or what is wrong there.
fn ncname(s: &str, i: usize, what: &str) -> Result<usize, Malformed> {
    let bytes = s.as_bytes();
    let mut j = i;
    // ASCII fast path: catalogs' names are ASCII.
    while let Some(&b) = bytes.get(j) {
        if b >= 0x80 {
            break;
        }
        let k = ASCII_NAME.get(b as usize).copied().unwrap_or(0);
        if k == 0 || (j == i && k != 1) {
            break;
        }
        j += 1;
    }
    let rest = s.get(j..).unwrap_or_default();
    for c in rest.chars() {
        let ok = if j == i {
            is_name_start_char(c)
        } else {
            is_name_char(c)
        };
        if !ok {
            break;
        }
        j += c.len_utf8();
    }
    if j == i {
        let found = s.get(i..).and_then(|r| r.chars().next());
        return Err(malformed(
            i,
            format!(
                "expected a name start character at the start of {what}, found {}",
                describe(found)
            ),
        ));
    }
    Ok(j)
}

/// A qualified name at `s[i..]` (NCName, or NCName `:` NCName): its end
/// and where its colon is.
fn qname(s: &str, i: usize, what: &str) -> Result<(usize, Option<usize>), Malformed> {
    let end = ncname(s, i, what)?;
    if s.as_bytes().get(end) != Some(&b':') {
        return Ok((end, None));
    }
    let local_end = ncname(s, end + 1, &format!("the local part of {what}"))?;
    if s.as_bytes().get(local_end) == Some(&b':') {
        return Err(malformed(
            local_end,
            format!("expected at most one ':' in {what}"),
        ));
    }
    Ok((local_end, Some(end)))
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_space(s: &str, mut i: usize) -> usize {
    while s.as_bytes().get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    i
}

/// Checks that `text` (valid UTF-8) holds only characters of XML 1.0's
/// Char production: no control character other than tab, line feed and
/// carriage return, and neither U+FFFE nor U+FFFF (UTF-8 excludes the
/// surrogates already). Returns the offset of the first one that is not.
pub fn check_chars(text: &str) -> Result<(), Malformed> {
    let bytes = text.as_bytes();
    let suspect = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF;
    let mut base = 0;
    // 64 bytes at a time without branches (the loop vectorises); only a
    // chunk holding a control byte or 0xEF (the lead byte of U+F000 to
    // U+FFFF) is looked at byte by byte.
    for chunk in bytes.chunks(64) {
        if chunk.iter().fold(false, |acc, &b| acc | suspect(b)) {
            for (k, &b) in chunk.iter().enumerate() {
                let at = base + k;
                if b == 0xEF {
                    if let Some([0xBF, last @ (0xBE | 0xBF)]) = bytes.get(at + 1..at + 3) {
                        let c = if *last == 0xBE { 0xFFFE } else { 0xFFFF };
                        return Err(malformed(
                            at,
                            format!("expected an XML character, found U+{c:04X}"),
                        ));
                    }
                } else if suspect(b) {
                    return Err(malformed(
                        at,
                        format!("expected an XML character, found U+{b:04X}"),
                    ));
                }
            }
        }
        base += chunk.len();
    }
    Ok(())
}

/// Checks a reference that starts at `s[i] == '&'` (in text or in an
/// attribute value) and returns where it ends (after its `;`) and the
/// character it stands for. Without a DTD only character references and
/// the five predefined entities exist.
pub fn reference(s: &str, i: usize) -> Result<(usize, char), Malformed> {
    let bytes = s.as_bytes();
    if bytes.get(i + 1) == Some(&b'#') {
        let (digits_at, radix) = if bytes.get(i + 2) == Some(&b'x') {
            (i + 3, 16)
        } else {
            (i + 2, 10)
        };
        let mut j = digits_at;
        while bytes.get(j).is_some_and(|b| (*b as char).is_digit(radix)) {
            j += 1;
        }
        if j == digits_at || bytes.get(j) != Some(&b';') {
            return Err(malformed(
                j,
                "expected the digits of a character reference and ';'",
            ));
        }
        let digits = s.get(digits_at..j).unwrap_or_default();
        let c = u32::from_str_radix(digits, radix)
            .ok()
            .and_then(char::from_u32)
            .filter(|&c| is_xml_char(c));
        return match c {
            Some(c) => Ok((j + 1, c)),
            None => Err(malformed(
                i,
                format!(
                    "expected a reference to an XML character, found &{};",
                    s.get(i + 1..j).unwrap_or_default()
                ),
            )),
        };
    }
    let end = ncname(s, i + 1, "an entity reference")?;
    if bytes.get(end) != Some(&b';') {
        return Err(malformed(
            end,
            format!(
                "expected ';' to end the reference &{}",
                s.get(i + 1..end).unwrap_or_default()
            ),
        ));
    }
    let c = match s.get(i + 1..end).unwrap_or_default() {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        name => {
            return Err(malformed(
                i,
                format!(
                    "expected one of XML's predefined entities, found &{name}; (there is no DTD)"
                ),
            ))
        }
    };
    Ok((end + 1, c))
}

/// XML 1.0's Char production.
pub fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// An attribute value as XML normalizes it (references resolved, tab and
/// line breaks as spaces), borrowed when there is nothing to normalize.
/// `raw` must have passed [`TagChecker::check`].
pub fn normalize(raw: &str) -> Cow<'_, str> {
    // A byte loop: much cheaper than a search for a set of chars, and
    // nearly every value has nothing to normalize.
    if !raw
        .bytes()
        .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
    {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(c) = raw.get(i..).and_then(|r| r.chars().next()) {
        if c == '&' {
            if let Ok((end, c)) = reference(raw, i) {
                out.push(c);
                i = end;
                continue;
            }
        }
        if c == '\r' && raw.as_bytes().get(i + 1) == Some(&b'\n') {
            // A line break is one character once line ends are normalized.
            i += 1;
        }
        out.push(if matches!(c, '\t' | '\n' | '\r') {
            ' '
        } else {
            c
        });
        i += c.len_utf8();
    }
    Cow::Owned(out)
}

/// Checks text content: no `]]>`, and every `&` starts a reference that
/// exists. (Characters are checked over the whole document by
/// [`check_chars`].)
pub fn check_text(text: &str) -> Result<(), Malformed> {
    let bytes = text.as_bytes();
    // Text in a catalog is short whitespace, if any: a byte loop first.
    if !bytes.iter().any(|&b| b == b']' || b == b'&') {
        return Ok(());
    }
    let mut from = 0;
    while let Some(rel) = bytes.get(from..).and_then(|r| memchr2(b']', b'&', r)) {
        let at = from + rel;
        if bytes.get(at) == Some(&b'&') {
            from = reference(text, at)?.0;
        } else if bytes.get(at..at + 3) == Some(b"]]>") {
            return Err(malformed(
                at,
                "expected ']]>' only to end a CDATA section, found it in text",
            ));
        } else {
            from = at + 1;
        }
    }
    Ok(())
}

/// Checks a processing instruction (`content` is what lies between `<?`
/// and `?>`): its target is a name without a colon, not `xml` in any case,
/// and whitespace separates it from the rest.
pub fn check_pi(content: &str) -> Result<(), Malformed> {
    let end = ncname(content, 0, "a processing instruction's target")?;
    if content.as_bytes().get(end) == Some(&b':') {
        return Err(malformed(
            end,
            "expected no ':' in a processing instruction's target (namespaces)",
        ));
    }
    let target = content.get(..end).unwrap_or_default();
    if target.eq_ignore_ascii_case("xml") {
        return Err(malformed(
            0,
            format!(
                "expected a processing instruction's target other than the reserved {target:?}"
            ),
        ));
    }
    match content.as_bytes().get(end) {
        None => Ok(()),
        Some(&b) if is_space(b) => Ok(()),
        Some(_) => Err(malformed(
            end,
            "expected whitespace after a processing instruction's target",
        )),
    }
}

/// One namespace binding: `prefix` (empty for the default namespace) bound
/// to `uri` by the element at `depth` (0 for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Depth of the element that declares it.
    pub depth: usize,
    /// The prefix, empty for `xmlns="…"`.
    pub prefix: String,
    /// The namespace name, normalized.
    pub uri: String,
}

/// The namespace bindings in scope. Catalogs declare one default namespace
/// on the root and nothing else, so this is a short list, searched from the
/// innermost binding out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    bindings: Vec<Binding>,
}

impl Namespaces {
    /// Scope holding `bindings` (those of the open elements, outermost
    /// first).
    pub fn with(bindings: Vec<Binding>) -> Namespaces {
        Namespaces { bindings }
    }

    /// The bindings in scope, outermost first.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The namespace `prefix` is bound to; `xml` always is.
    pub fn lookup(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NAMESPACE);
        }
        self.bindings
            .iter()
            .rev()
            .find(|b| b.prefix == prefix)
            .map(|b| b.uri.as_str())
    }

    /// The element at `depth` has closed: its declarations go out of scope.
    #[inline]
    pub fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.depth >= depth) {
            self.bindings.pop();
        }
    }

    /// Checks a declaration (`prefix` empty for `xmlns=`) and brings it into
    /// scope.
    fn declare(
        &mut self,
        depth: usize,
        prefix: &str,
        raw: &str,
        at: usize,
    ) -> Result<(), Malformed> {
        let uri = normalize(raw);
        let bad = |what: &str| Err(malformed(at, what.to_string()));
        if prefix == "xmlns" {
            return bad("expected no declaration of the reserved prefix xmlns");
        }
        if prefix == "xml" {
            if uri != XML_NAMESPACE {
                return bad(
                    "expected the reserved prefix xml to be bound only to its own namespace",
                );
            }
        } else if uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE {
            return bad("expected no binding to a reserved namespace name");
        } else if uri.is_empty() && !prefix.is_empty() {
            return bad("expected a namespace name: a prefix cannot be undeclared in XML 1.0");
        }
        self.bindings.push(Binding {
            depth,
            prefix: prefix.to_string(),
            uri: uri.into_owned(),
        });
        Ok(())
    }
}

/// Byte classes for the fast path of [`TagChecker::check`].
const START: u8 = 1;
const NAME: u8 = 2;
const SPACE: u8 = 4;
/// Ends the fast scan of a value: a quote, `<` or `&`.
const VALUE_STOP: u8 = 8;

// Built at compile time: `c` stays below 256, and `get_mut` is not const.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = match ASCII_NAME[c] {
            1 => START | NAME,
            2 => NAME,
            _ => 0,
        };
        c += 1;
    }
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'"' as usize] = VALUE_STOP;
    t[b'\'' as usize] = VALUE_STOP;
    t[b'<' as usize] = VALUE_STOP;
    t[b'&' as usize] = VALUE_STOP;
    t
};

fn class(b: Option<&u8>) -> u8 {
    b.and_then(|&b| CLASS.get(b as usize)).copied().unwrap_or(0)
}

/// The end of the ASCII name (no colon) starting at `bytes[i]`, or `None`
/// when no such name starts there.
#[inline]
fn ascii_name(bytes: &[u8], mut i: usize) -> Option<usize> {
    if class(bytes.get(i)) & START == 0 {
        return None;
    }
    i += 1;
    while class(bytes.get(i)) & NAME != 0 {
        i += 1;
    }
    Some(i)
}

/// The index of the first quote, `<` or `&` at or after `bytes[i]`, or the
/// length. Eight bytes at a time (values are GUIDs, dates and URLs: too
/// short for memchr's setup to pay, too long for a byte loop to be cheap).
#[inline]
fn value_stop(bytes: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `v` equal to `b`; the lowest one is
    // exact (higher ones may be false after a match, and are not used).
    let has = |v: u64, b: u8| {
        let x = v ^ (LO * u64::from(b));
        x.wrapping_sub(LO) & !x & HI
    };
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let v = u64::from_le_bytes(word);
        let m = has(v, b'"') | has(v, b'\'') | has(v, b'<') | has(v, b'&');
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && class(bytes.get(i)) & VALUE_STOP == 0 {
        i += 1;
    }
    i
}

/// A cheap key for comparing attribute names: the first eight bytes and the
/// length (equal keys are compared in full).
#[inline]
fn name_key(name: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(name) {
        *w = *b;
    }
    u64::from_le_bytes(word) ^ ((name.len() as u64) << 56)
}

/// Where one attribute's name and raw value are in its tag.
#[derive(Debug, Clone, Copy)]
struct Span {
    key: u64,
    name: (usize, usize),
    value: (usize, usize),
}

/// Checks start tags, reusing its buffer from one tag to the next. After a
/// successful check it also knows where the tag's attributes are, so the
/// parser need not tokenize them a second time.
#[derive(Debug, Default)]
pub struct TagChecker {
    /// The current tag's attributes: (name start, colon, name end).
    attrs: Vec<(usize, Option<usize>, usize)>,
    /// The current tag's attributes as spans, for [`TagChecker::attributes`]
    /// (and the fast path's duplicate check).
    spans: Vec<Span>,
}

impl TagChecker {
    /// Whether `tag` is certainly well-formed by a quick scan: ASCII names
    /// without prefixes, `name="value"` without spaces around `=`, no `<`
    /// or `&` in a value, no namespace declaration, no attribute twice.
    /// That is every tag of a real catalog but the root's; anything else
    /// takes the full check, which also says what is wrong.
    fn plain(&mut self, tag: &str) -> bool {
        let bytes = tag.as_bytes();
        let Some(mut i) = ascii_name(bytes, 0) else {
            return false;
        };
        self.spans.clear();
        loop {
            match bytes.get(i) {
                None => return true,
                Some(&b) if is_space(b) => {}
                Some(_) => return false,
            }
            while class(bytes.get(i)) & SPACE != 0 {
                i += 1;
            }
            if i == bytes.len() {
                return true;
            }
            let start = i;
            let Some(end) = ascii_name(bytes, i) else {
                return false;
            };
            let name = bytes.get(start..end).unwrap_or_default();
            let key = name_key(name);
            if name.starts_with(b"xmlns")
                || self
                    .spans
                    .iter()
                    .any(|a| a.key == key && bytes.get(a.name.0..a.name.1) == Some(name))
            {
                return false;
            }
            let quote = match bytes.get(end..end + 2) {
                Some([b'=', q @ (b'"' | b'\'')]) => *q,
                _ => return false,
            };
            i = end + 2;
            let value_start = i;
            loop {
                i = value_stop(bytes, i);
                match bytes.get(i) {
                    Some(&b) if b == quote => break,
                    Some(b'"' | b'\'') => i += 1,
                    _ => return false,
                }
            }
            self.spans.push(Span {
                key,
                name: (start, end),
                value: (value_start, i),
            });
            i += 1;
        }
    }

    /// Checks the start tag `tag` (what lies between `<` and `>`, or `/>`)
    /// of the element at `depth` and declares its namespaces in `ns`.
    /// Offsets in the error are in `tag`.
    pub fn check(&mut self, tag: &str, depth: usize, ns: &mut Namespaces) -> Result<(), Malformed> {
        if self.plain(tag) {
            return Ok(());
        }
        self.attrs.clear();
        self.spans.clear();
        let (name_end, colon) = qname(tag, 0, "an element name")?;
        let bytes = tag.as_bytes();
        let mut i = name_end;
        loop {
            let after = skip_space(tag, i);
            if after == bytes.len() {
                break;
            }
            if after == i {
                return Err(malformed(
                    i,
                    format!(
                        "expected whitespace or the end of the tag, found {}",
                        describe(tag.get(i..).and_then(|r| r.chars().next()))
                    ),
                ));
            }
            i = self.attribute(tag, after, depth, ns)?;
        }
        if let Some(c) = colon {
            let prefix = tag.get(..c).unwrap_or_default();
            if prefix == "xmlns" || ns.lookup(prefix).is_none() {
                return Err(malformed(
                    0,
                    format!("expected a declared prefix, found {prefix}: in the element name"),
                ));
            }
        }
        self.check_attribute_prefixes(tag, ns)
    }

    /// The attributes of the tag last checked (which must be `tag`), as
    /// (name, raw value) in document order; [`normalize`] gives a value as
    /// XML reads it.
    pub fn attributes<'t>(&'t self, tag: &'t str) -> impl Iterator<Item = (&'t str, &'t str)> + 't {
        self.spans.iter().map(move |a| {
            (
                tag.get(a.name.0..a.name.1).unwrap_or_default(),
                tag.get(a.value.0..a.value.1).unwrap_or_default(),
            )
        })
    }

    /// One attribute at `tag[i..]`; returns where it ends.
    fn attribute(
        &mut self,
        tag: &str,
        i: usize,
        depth: usize,
        ns: &mut Namespaces,
    ) -> Result<usize, Malformed> {
        let bytes = tag.as_bytes();
        let (name_end, colon) = qname(tag, i, "an attribute name")?;
        let name = tag.get(i..name_end).unwrap_or_default();
        let mut j = skip_space(tag, name_end);
        if bytes.get(j) != Some(&b'=') {
            return Err(malformed(
                j,
                format!("expected '=' after the attribute name {name}"),
            ));
        }
        j = skip_space(tag, j + 1);
        let quote = match bytes.get(j) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return Err(malformed(
                    j,
                    format!("expected a quoted value for the attribute {name}"),
                ))
            }
        };
        let value_start = j + 1;
        let rest = bytes.get(value_start..).unwrap_or_default();
        let Some(len) = memchr(quote, rest) else {
            return Err(malformed(
                j,
                format!("expected the closing quote of the attribute {name}"),
            ));
        };
        let value_end = value_start + len;
        let value = tag.get(value_start..value_end).unwrap_or_default();
        check_value(value)
            .map_err(|m| malformed(value_start + m.at, format!("{} (attribute {name})", m.what)))?;
        for &(s, _, e) in &self.attrs {
            if tag.get(s..e) == Some(name) {
                return Err(malformed(
                    i,
                    format!("expected each attribute once, found {name} twice"),
                ));
            }
        }
        self.attrs.push((i, colon, name_end));
        self.spans.push(Span {
            key: 0,
            name: (i, name_end),
            value: (value_start, value_end),
        });
        if name == "xmlns" {
            ns.declare(depth, "", value, i)?;
        } else if let Some(prefix) = name.strip_prefix("xmlns:") {
            ns.declare(depth, prefix, value, i)?;
        }
        Ok(value_end + 1)
    }

    /// Prefixed attributes: the prefix is declared, and no two name the
    /// same attribute once prefixes are replaced by their namespaces.
    fn check_attribute_prefixes(&self, tag: &str, ns: &Namespaces) -> Result<(), Malformed> {
        let expanded = |&(s, colon, e): &(usize, Option<usize>, usize)| {
            let c = colon?;
            let prefix = tag.get(s..c).unwrap_or_default();
            (prefix != "xmlns").then(|| {
                (
                    prefix,
                    ns.lookup(prefix),
                    tag.get(c + 1..e).unwrap_or_default(),
                    s,
                )
            })
        };
        let mut prefixed = self.attrs.iter().filter_map(expanded);
        let mut count = 0;
        for (prefix, uri, _, at) in prefixed.by_ref() {
            count += 1;
            if uri.is_none() {
                return Err(malformed(
                    at,
                    format!("expected a declared prefix, found {prefix}: in an attribute name"),
                ));
            }
        }
        if count < 2 {
            return Ok(());
        }
        let all: Vec<_> = self.attrs.iter().filter_map(expanded).collect();
        for (k, (_, uri, local, at)) in all.iter().enumerate() {
            if all
                .iter()
                .take(k)
                .any(|(_, u, l, _)| u == uri && l == local)
            {
                return Err(malformed(
                    *at,
                    format!("expected each attribute once, found {{{}}}{local} twice (after namespace expansion)", uri.unwrap_or_default()),
                ));
            }
        }
        Ok(())
    }
}

/// An attribute value: no `<`, and every `&` a reference that exists.
fn check_value(value: &str) -> Result<(), Malformed> {
    let bytes = value.as_bytes();
    let mut from = 0;
    while let Some(rel) = bytes.get(from..).and_then(|r| memchr2(b'<', b'&', r)) {
        let at = from + rel;
        if bytes.get(at) == Some(&b'<') {
            return Err(malformed(at, "expected no '<' in an attribute value"));
        }
        from = reference(value, at)?.0;
    }
    Ok(())
}

/// The namespace declarations of a start tag, leniently (for the cutter,
/// which must know the bindings where a batch starts; the parser checks the
/// same tag strictly): `(prefix, normalized value)`.
pub fn declarations(tag: &str) -> Vec<(String, String)> {
    let mut checker = TagChecker::default();
    let mut ns = Namespaces::default();
    // A prefix declared further out fails the check after the
    // declarations are read; what is malformed the parser reports.
    let _ = checker.check(tag, 0, &mut ns);
    ns.bindings.into_iter().map(|b| (b.prefix, b.uri)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &str) -> Result<(), Malformed> {
        TagChecker::default().check(t, 0, &mut Namespaces::default())
    }

    #[test]
    fn names_follow_the_fifth_edition() {
        assert!(is_name_start_char('a') && is_name_start_char('_') && !is_name_start_char('1'));
        assert!(!is_name_start_char('.') && is_name_char('.') && is_name_char('-'));
        // Allowed since the 5th edition, not before (errata-4e).
        assert!(is_name_start_char('\u{309A}') && is_name_char('\u{0E5C}'));
        assert!(is_name_start_char('\u{10000}') && !is_name_start_char('\u{F0000}'));
        assert!(!is_name_char('\u{D7}') && is_name_char('\u{B7}') && !is_name_start_char('\u{B7}'));
    }

    #[test]
    fn attributes_are_known_after_a_check() {
        let mut t = TagChecker::default();
        let mut ns = Namespaces::default();
        for tag in [r#"U a="1" b='x"y'"#, r#"U xmlns:p="u" a = "1" p:b='x"y'"#] {
            t.check(tag, 0, &mut ns).unwrap();
            let got: Vec<_> = t.attributes(tag).collect();
            assert_eq!(got.len(), 2 + usize::from(tag.contains("xmlns")), "{tag}");
            assert_eq!(got.last().unwrap().1, "x\"y", "{tag}");
        }
    }

    #[test]
    fn tags() {
        assert!(tag("a").is_ok());
        assert!(tag(r#"Update RevisionId="1" a='x&amp;y' b.c = "&#x41;" "#).is_ok());
        assert!(tag(r#"p:a xmlns:p="u" p:b="1" b="2""#).is_ok());
        assert!(tag("xml:a xml:lang=\"en\"").is_ok());
        for bad in [
            ".doc",
            "12",
            "",
            "a\0b",
            "a b",
            r#"a b="1"c="2""#,
            r#"a b="<foo>""#,
            r#"a b="1" b="2""#,
            r#"a 1b="x""#,
            r#"a :="x""#,
            r#"q:a"#,
            r#"a q:b="1""#,
            r#"a b="&c;""#,
            r#"a b="A & B""#,
            r#"a xmlns:p="""#,
            r#"a xmlns:xmlns="u""#,
            r#"a xmlns:xml="u""#,
            r#"a xmlns:p="http://www.w3.org/XML/1998/namespace""#,
            r#"a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2""#,
            r#"a:b:c xmlns:a="u""#,
            r#"xmlns:a"#,
            r#"a b="&#0;""#,
        ] {
            assert!(tag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn value_stop_finds_the_first_quote_lt_or_amp() {
        for s in [
            "",
            "abc",
            "0123456789abcdef\"",
            "01234567&",
            "x'",
            "0123456789<\"",
            "é\"&",
        ] {
            let b = s.as_bytes();
            let expect = b
                .iter()
                .position(|c| b"\"'<&".contains(c))
                .unwrap_or(b.len());
            assert_eq!(value_stop(b, 0), expect, "{s:?}");
        }
        assert_ne!(name_key(b"UpdateId"), name_key(b"UpdateIdx"));
        assert_eq!(name_key(b"UpdateId"), name_key(b"UpdateId"));
    }

    #[test]
    fn characters_text_and_instructions() {
        assert!(check_chars("a\tb\r\n\u{FFFD}\u{10000}").is_ok());
        assert_eq!(
            check_chars(&format!("{}\u{1}", "x".repeat(100)))
                .unwrap_err()
                .at,
            100
        );
        assert_eq!(check_chars("ab\u{FFFF}").unwrap_err().at, 2);
        assert!(check_chars("\u{FFFE}").is_err());
        assert!(check_text("A &amp; B &#x2013;").is_ok());
        for bad in ["A & B", "]]>", "&undefined;", "&#xFFFF;"] {
            assert!(check_text(bad).is_err(), "{bad:?}");
        }
        assert!(check_pi("xml-stylesheet href='x'").is_ok());
        for bad in [" ", "XML x", "a:b x", "xml"] {
            assert!(check_pi(bad).is_err(), "{bad:?}");
        }
        assert_eq!(normalize("a&amp;b\tc"), "a&b c");
        assert_eq!(normalize("a\r\nb\rc&#xD;&#x9;"), "a b c\r\t");
    }
}

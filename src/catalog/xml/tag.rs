//! The start-tag checker, since quick-xml checks neither names nor attributes in a tag.
//!
//! One scan per tag: a fast path for the plain tags that make up nearly all
//! of a catalog, the full check (names, `=`, quoted values, references, no
//! duplicate attribute, namespaces) for the rest. The attributes' spans are
//! kept, so the parser need not tokenize a tag twice.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use memchr::{memchr, memchr2};

use super::chars::reference;
use super::names::{ascii_name, class, is_space, qname, skip_space, SPACE, VALUE_STOP};
use super::namespaces::Namespaces;
use super::{describe, malformed, Malformed};

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
    /// (name, raw value) in document order; [`normalize`](super::normalize)
    /// gives a value as XML reads it.
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
}

//! Chars, references, text and PI targets: what quick-xml lets through outside tags.
//!
//! Every byte of a document is part of some Char, so [`check_chars`] covers
//! the whole text in one scan; references (in text and in attribute values)
//! resolve only to characters and the five predefined entities, as there is
//! no DTD.
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

use memchr::memchr2;

use super::names::{is_space, ncname};
use super::{malformed, Malformed};

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
/// `raw` must have passed [`TagChecker::check`](super::TagChecker::check).
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

#[cfg(test)]
mod tests {
    use super::*;

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

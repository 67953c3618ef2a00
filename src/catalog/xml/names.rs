//! Names by XML 1.0 5th edition and QNames, and whitespace: the tables every check shares.
//!
//! Element, attribute, entity and processing-instruction names all go
//! through [`ncname`] or [`qname`]. Catalogs' names are ASCII, so a byte
//! table (also used by the start tags' fast path) decides them, and the
//! 5th edition's ranges only the rest.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::{describe, malformed, Malformed};

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

/// The end of the NCName at `s[i..]`, or what is wrong there.
pub(super) fn ncname(s: &str, i: usize, what: &str) -> Result<usize, Malformed> {
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
pub(super) fn qname(s: &str, i: usize, what: &str) -> Result<(usize, Option<usize>), Malformed> {
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

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub(super) fn skip_space(s: &str, mut i: usize) -> usize {
    while s.as_bytes().get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    i
}

/// Byte classes for the fast path of [`TagChecker::check`](super::TagChecker::check).
const START: u8 = 1;
const NAME: u8 = 2;
pub(super) const SPACE: u8 = 4;
/// Ends the fast scan of a value: a quote, `<` or `&`.
pub(super) const VALUE_STOP: u8 = 8;

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

pub(super) fn class(b: Option<&u8>) -> u8 {
    b.and_then(|&b| CLASS.get(b as usize)).copied().unwrap_or(0)
}

/// The end of the ASCII name (no colon) starting at `bytes[i]`, or `None`
/// when no such name starts there.
#[inline]
pub(super) fn ascii_name(bytes: &[u8], mut i: usize) -> Option<usize> {
    if class(bytes.get(i)) & START == 0 {
        return None;
    }
    i += 1;
    while class(bytes.get(i)) & NAME != 0 {
        i += 1;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_fifth_edition() {
        assert!(is_name_start_char('a') && is_name_start_char('_') && !is_name_start_char('1'));
        assert!(!is_name_start_char('.') && is_name_char('.') && is_name_char('-'));
        // Allowed since the 5th edition, not before (errata-4e).
        assert!(is_name_start_char('\u{309A}') && is_name_char('\u{0E5C}'));
        assert!(is_name_start_char('\u{10000}') && !is_name_start_char('\u{F0000}'));
        assert!(!is_name_char('\u{D7}') && is_name_char('\u{B7}') && !is_name_start_char('\u{B7}'));
    }
}

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

mod chars;
mod names;
mod namespaces;
mod tag;

pub use chars::{check_chars, check_pi, check_text, is_xml_char, normalize, reference};
pub use names::{is_name_char, is_name_start_char};
pub use namespaces::{Binding, Namespaces, XMLNS_NAMESPACE, XML_NAMESPACE};
pub use tag::{declarations, TagChecker};

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

fn describe(c: Option<char>) -> String {
    match c {
        None => "the end".to_string(),
        Some(c) if c.is_ascii_graphic() => format!("'{c}'"),
        Some(c) => format!("U+{:04X}", c as u32),
    }
}

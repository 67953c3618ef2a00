//! Namespace scopes: prefixes must be bound, `xml` and `xmlns` reserved, as expat enforces.
//!
//! quick-xml resolves no prefixes, and a strict consumer refuses a catalog
//! with an unbound one, so the start-tag checker declares each tag's
//! bindings here and looks its prefixes up here.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::chars::normalize;
use super::{malformed, Malformed};

/// The namespace the `xml` prefix is bound to, and no other prefix may be.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` itself, which nothing may be bound to.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

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
    pub(super) bindings: Vec<Binding>,
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
    pub(super) fn declare(
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

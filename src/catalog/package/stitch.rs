//! Joins the batches' outcomes back into one document, in order.
//!
//! Batches are parsed independently, each assuming the element stack the
//! cutter said was open where it starts. This module is where that
//! assumption is checked: apart from the parser, so that the check reads
//! only [`Outcome`]s and cannot be skipped by a parsing path that forgets it.

use super::{Outcome, RootInfo, ROOT};
use crate::error::{Error, ErrorKind, Result};

/// What the whole of package.xml established.
#[derive(Debug, Clone)]
pub struct Document {
    /// The root element's name and attributes.
    pub root: RootInfo,
    /// How many `<Update>` elements under `<Updates>` it holds (at least
    /// one: an empty catalog is an error).
    pub updates: u64,
    /// Its decompressed length in bytes, byte order mark included.
    pub len: u64,
}

/// Checks that consecutive batches agree on the open elements, that the
/// document closed its root, and that it held at least one update. The first
/// failure in document order wins, so the error is the same whatever order
/// the pool finished in.
pub fn stitch(outcomes: &[Outcome]) -> Result<Document> {
    let mut expected: Vec<String> = Vec::new();
    let mut expected_bindings = Vec::new();
    let mut root = None;
    let mut updates = 0;
    let mut offset = 0u64;
    for (i, o) in outcomes.iter().enumerate() {
        debug_assert_eq!(o.index, i);
        if let Some(e) = &o.error {
            return Err(e.clone());
        }
        if o.context_in != expected {
            return Err(Error::new(
                ErrorKind::Xml,
                format!(
                    "package.xml is not well-formed: elements open here are <{}>, but the text before left <{}> open",
                    o.context_in.join("><"),
                    expected.join("><")
                ),
            )
            .at_offset(offset));
        }
        if o.bindings_in != expected_bindings {
            return Err(Error::new(
                ErrorKind::Xml,
                "package.xml is not well-formed: the namespace declarations in scope here differ from those the text before declared",
            )
            .at_offset(offset));
        }
        if root.is_none() {
            root = o.root.clone();
        }
        updates += o.updates;
        offset += o.len;
        expected = o.context_out.clone();
        expected_bindings = o.bindings_out.clone();
    }
    if !expected.is_empty() {
        return Err(Error::new(
            ErrorKind::Xml,
            format!(
                "package.xml ends with <{}> still open: the XML is cut short",
                expected.join("><")
            ),
        )
        .at_offset(offset));
    }
    let Some(root) = root else {
        return Err(Error::new(
            ErrorKind::Xml,
            format!("package.xml has no root element (expected <{ROOT}>)"),
        )
        .at_offset(offset));
    };
    if updates == 0 {
        return Err(Error::new(
            ErrorKind::NoUpdates,
            "package.xml holds no <Update> element: an empty catalog cannot be checked",
        ));
    }
    Ok(Document {
        root,
        updates,
        len: offset,
    })
}

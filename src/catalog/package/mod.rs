//! Streaming package.xml in parallel.
//!
//! package.xml is one line of about 114 MB. Parsing it on one thread keeps
//! one core busy while the other decompresses; parsing it on several needs
//! independent pieces. The [`cutter`] scans the decompressed text as it
//! arrives, just enough to know where elements start and end (it skips
//! comments, CDATA, processing instructions and quoted attribute values), and
//! cuts *batches* right before an element two levels below the root, which is
//! where `<Update>` and `<FileLocation>` sit. Each batch carries the element
//! stack that was open where it starts. The pool [`parse`]s batches
//! independently with quick-xml; [`stitch`] then checks, in document order,
//! that each batch started with exactly the stack (and namespace bindings)
//! the previous one ended with,
//! so a cut in the wrong place can only produce an error, never a silently
//! different reading of the document; [`scan`] runs the three over a stream.
//!
//! The modules depend on each other in one direction only: [`cutter`],
//! [`parse`] and [`stitch`] know nothing of each other and share only what
//! this file defines ([`Batch`] going in, [`Outcome`] coming out); [`scan`]
//! sits above them and wires them together.
//!
//! Everything here reads bytes from the network: a slice index or an
//! `unwrap` that a crafted catalog can reach would turn a bad catalog into a
//! crash instead of an error with a place, hence the lints below.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod cutter;
pub mod parse;
pub mod scan;
pub mod stitch;

use crate::catalog::xml::Binding;
use crate::error::Error;

/// The root element's expected local name.
pub const ROOT: &str = "OfflineSyncPackage";

/// A piece of package.xml cut at an element boundary.
#[derive(Debug)]
pub struct Batch {
    /// Position in the document (0-based).
    pub index: usize,
    /// Byte offset of `bytes[0]` in package.xml.
    pub offset: u64,
    /// Qualified names of the elements open where the batch starts, root first.
    pub context: Vec<String>,
    /// The namespace bindings those open elements declare, outermost first:
    /// a prefix the root declares is bound in every batch.
    pub bindings: Vec<Binding>,
    /// The batch's text, as decompressed: from right before an element two
    /// levels below the root (or the document's start) to where the next
    /// batch starts (or the document's end).
    pub bytes: Vec<u8>,
}

/// What parsing one batch established: [`parse`] fills it in, [`stitch`]
/// joins the batches' outcomes in document order.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The batch's position in the document (its [`Batch::index`]).
    pub index: usize,
    /// The stack the batch assumed at its start.
    pub context_in: Vec<String>,
    /// The stack open at its end.
    pub context_out: Vec<String>,
    /// The namespace bindings the batch assumed at its start.
    pub bindings_in: Vec<Binding>,
    /// The namespace bindings in scope at its end.
    pub bindings_out: Vec<Binding>,
    /// The root element, if it starts in this batch.
    pub root: Option<RootInfo>,
    /// `<Update>` records completed in this batch.
    pub updates: u64,
    /// Bytes in the batch (for progress and offsets).
    pub len: u64,
    /// Why the batch could not be parsed, with its offset in package.xml;
    /// `None` when it parsed. Parsing stops at the first error.
    pub error: Option<Error>,
}

/// Attributes of the root element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootInfo {
    /// Its qualified name as written (`OfflineSyncPackage`, or with a
    /// prefix).
    pub name: String,
    /// Every attribute as (qualified name, value after XML normalization),
    /// in document order, namespace declarations included.
    pub attributes: Vec<(String, String)>,
}

impl RootInfo {
    /// The value of the attribute whose qualified name is `name`
    /// (`CreationDate`); `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The local part of a qualified name (`ns:Update` → `Update`).
pub fn local_name(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, local)| local)
}

/// Hostile-input bounds for package.xml.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting accepted (the real file nests 6 deep).
    pub max_depth: usize,
    /// Longest single tag, attributes included.
    pub max_tag_len: usize,
    /// Largest batch when no cut point appears.
    pub max_batch_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_tag_len: 1 << 20,
            max_batch_len: 64 << 20,
        }
    }
}

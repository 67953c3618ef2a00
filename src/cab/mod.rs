//! A streaming reader (and a small writer) for Microsoft Cabinet files.
//!
//! Why not only the `cab` crate? It is the reference for the format in Rust
//! and wsuscat's tests compare against it, but for a catalog gate it falls
//! short in ways that matter (see `../shared/crates-notes.md` and
//! `docs/design.md`): it re-decompresses a folder from its first block for
//! every member (quadratic on shards of 12.5k files), panics on some damaged
//! files, hashes the per-block reserve into the checksum, and its errors do not
//! say which block of which folder failed. This module reads each folder
//! exactly once, front to back, verifies every checksum, bounds every size by
//! what the header claims, and reports failures with a [`Place`].
//!
//! The modules mirror the on-disk structures, in file order: [`header`] is
//! CFHEADER, [`folder`] is CFFOLDER (with the compression type it names),
//! [`file`](mod@file) is CFFILE, [`data`] is CFDATA (its header, checksum
//! and size limits); `read` holds what the three tables share for reading
//! from a stream that may end early. Above them, `decode` holds the
//! per-block decoders (stored, MSZIP, LZX) keyed by [`Compression`],
//! [`stream`] reads a folder's blocks through one, [`member`] cuts one
//! member out of that stream, and [`cabinet`] assembles the tables and opens
//! folders and members; `extract` decodes each folder once for many members.
//! [`lzx`] is wsuscat's own LZX codec, [`writer`] builds cabinets,
//! [`forward`] lets a nested cabinet be parsed without seeking back, and
//! [`pipe`] hands a member's bytes to another thread as they are decoded.
//! Their imports form no circle: each structure's module can be read
//! without the ones that use it.
//!
//! A cabinet is hostile input, so panicking indexing, `unwrap`, `expect` and
//! `panic!` are denied here: a damaged file must give an [`Error`] with a
//! [`Place`], never a crash. Where a hot loop indexes, an `#[expect]` on the
//! smallest item says why the index is in bounds.
//!
//! [`Place`]: crate::error::Place
//! [`Error`]: crate::error::Error

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod cabinet;
pub mod data;
mod decode;
mod extract;
pub mod file;
pub mod folder;
pub mod forward;
pub mod header;
pub mod lzx;
pub mod member;
pub mod pipe;
mod read;
pub mod stream;
pub mod walk;
pub mod writer;

pub use cabinet::Cabinet;
pub use data::{MAX_BLOCK_COMPRESSED, MAX_BLOCK_UNCOMPRESSED};
pub use extract::{Drained, MemberSink};
pub use file::FileEntry;
pub use folder::{Compression, FolderEntry};
pub use header::Header;
pub use member::MemberReader;
pub use stream::FolderReader;

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
//! The modules mirror the on-disk structures: [`cabinet`] is CFHEADER,
//! [`folder`] is CFFOLDER plus the decoding stream over its blocks, [`file`]
//! is CFFILE, [`data`] is CFDATA. [`lzx`] is wsuscat's own LZX decoder.
//!
//! [`Place`]: crate::error::Place

pub mod cabinet;
pub mod data;
mod decode;
mod extract;
pub mod file;
pub mod folder;
pub mod forward;
pub mod lzx;
pub mod member;
pub mod writer;

pub use cabinet::{Cabinet, Header};
pub use file::FileEntry;
pub use folder::{Compression, FolderEntry, FolderReader};
pub use member::MemberReader;

/// The largest uncompressed size of one data block (MS-CAB: 32 KiB).
pub const MAX_BLOCK_UNCOMPRESSED: usize = 32 * 1024;
/// The largest compressed size of one data block (32 KiB plus the 6 KiB the
/// spec allows for incompressible data).
pub const MAX_BLOCK_COMPRESSED: usize = 32 * 1024 + 6 * 1024;

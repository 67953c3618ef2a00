//! Typed errors with a place.
//!
//! A catalog error is only useful to an administrator if it says *where* the
//! catalog broke: which file, which inner cabinet, which folder and block, which
//! byte of `package.xml`, which update. Every error therefore carries a
//! [`Place`] next to its [`ErrorKind`]. The library never decides how an error
//! is shown or which exit code it maps to: that is the binary's job
//! (`src/bin/wsuscat/exit_codes.rs`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// What went wrong. Each kind says which party is at fault: the environment
/// (`Io`, `Usage`, `Profile`) or the catalog (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading a file failed for a reason outside the catalog's content:
    /// missing file, permission denied, I/O error.
    Io,
    /// The caller asked for something impossible (an unknown profile name, a
    /// bad option value).
    Usage,
    /// A profile file could not be read or does not follow the profile schema.
    Profile,
    /// The file does not start with the `MSCF` signature: it is not a cabinet.
    NotCabinet,
    /// The cabinet's version is not 1.3, the only one Microsoft writes.
    UnsupportedVersion,
    /// The file ends before something its header promises (a structure, a data
    /// block, a member's bytes), or has bytes its header does not account for.
    Truncated,
    /// A header field contradicts another or points outside the file.
    Malformed,
    /// A data block's stored checksum does not match its bytes.
    Checksum,
    /// A compressed data block does not decode (MSZIP or LZX stream error) or
    /// decodes to a size other than its header claims.
    Decompress,
    /// The cabinet uses something this reader does not support (Quantum
    /// compression, cabinets spanning several files).
    Unsupported,
    /// A member the catalog must have (`package.cab`, `package.xml`) is absent.
    MissingMember,
    /// `package.xml` or `index.xml` is not well-formed XML, or not the shape
    /// of a catalog.
    Xml,
    /// `package.xml` parsed but holds no `<Update>` element at all.
    NoUpdates,
    /// A hostile-input bound was exceeded (member size, XML depth, attribute
    /// length, batch size).
    Limit,
    /// The cabinet's Authenticode signature is missing, unreadable, or does
    /// not prove that these bytes are the ones a trusted publisher signed: the
    /// file was altered after signing, the signature does not verify, the
    /// chain does not reach a trusted root, or a certificate is expired or not
    /// meant for code signing. Windows Update Agent refuses such a catalog, so
    /// it is a catalog fault. Produced by [`crate::trust::signature`].
    Signature,
    /// The update a command asked for (by RevisionId, UpdateId or KB
    /// article) is not in the catalog. The catalog is fine; the question
    /// has no answer.
    NotFound,
    /// A download failed for a reason outside the catalog's content: the
    /// server could not be reached, refused, timed out, answered an HTTP
    /// error (after the retries), redirected too often, or sent more or
    /// fewer bytes than it announced. Produced by `fetch`; the environment's
    /// fault, not the catalog's (a download that arrives whole and then
    /// fails verification has the verifying error's kind instead).
    Network,
}

impl ErrorKind {
    /// A stable, machine-readable name, used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Usage => "usage",
            ErrorKind::Profile => "profile",
            ErrorKind::NotCabinet => "not_cabinet",
            ErrorKind::UnsupportedVersion => "unsupported_version",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Checksum => "checksum",
            ErrorKind::Decompress => "decompress",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::MissingMember => "missing_member",
            ErrorKind::Xml => "xml",
            ErrorKind::NoUpdates => "no_updates",
            ErrorKind::Limit => "limit",
            ErrorKind::Signature => "signature",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Network => "network",
        }
    }

    /// True when the catalog itself is unusable, as opposed to a problem with
    /// the environment or the invocation.
    pub fn is_catalog_fault(self) -> bool {
        !matches!(
            self,
            ErrorKind::Io
                | ErrorKind::Usage
                | ErrorKind::Profile
                | ErrorKind::NotFound
                | ErrorKind::Network
        )
    }
}

/// Where in the catalog an error happened, from the outside in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The file given on the command line.
    pub file: Option<PathBuf>,
    /// Members from the outer cabinet inward: `["package.cab", "package.xml"]`.
    /// Empty means the outer cabinet itself.
    pub members: Vec<String>,
    /// Folder index inside the innermost cabinet.
    pub folder: Option<u32>,
    /// Data block index inside that folder.
    pub block: Option<u32>,
    /// Byte offset: in the innermost cabinet file for structural errors, in
    /// the member's decompressed bytes for XML errors.
    pub offset: Option<u64>,
    /// The update being read, by RevisionId (or its raw text when unparsable).
    pub update: Option<String>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if self.members.is_empty() {
            f.write_str("outer cab")?;
        } else {
            f.write_str(&self.members.join(" > "))?;
        }
        if let Some(folder) = self.folder {
            write!(f, ", folder {folder}")?;
        }
        if let Some(block) = self.block {
            write!(f, ", block {block}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, ", byte {offset}")?;
        }
        if let Some(update) = &self.update {
            write!(f, ", update RevisionId {update}")?;
        }
        Ok(())
    }
}

/// The library's error: a kind, a place, a human sentence and, where there
/// is one, the typed cause. Boxed, so that `Result`s stay one pointer wide on
/// the hot path.
///
/// The message already says the cause in words, because an administrator
/// reads one line; [`std::error::Error::source`] gives the cause itself to a
/// program that wants to tell an `io::Error` of kind `PermissionDenied`
/// from a quick-xml syntax error or a signature's `DigestMismatch`. The cause
/// is shared behind an `Arc`, so that `Error` stays `Clone` (a nested
/// cabinet's error travels through `std::io::Read` and is cloned out again).
#[derive(Debug, Clone)]
pub struct Error(Box<Repr>);

/// A cause kept for [`std::error::Error::source`].
type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, Clone)]
struct Repr {
    kind: ErrorKind,
    place: Place,
    message: String,
    /// Set when the error was raised by an outer layer's stream and reached
    /// an inner layer through `std::io::Read`: its place is already complete,
    /// and the inner layer must not claim it.
    sealed: bool,
    /// The typed cause, when the error came from one.
    source: Option<Source>,
}

/// Shorthand used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error at an unknown place; callers add the place as it becomes known.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Repr {
            kind,
            place: Place::default(),
            message: message.into(),
            sealed: false,
            source: None,
        }))
    }

    /// Keeps `source` as the typed cause (see [`std::error::Error::source`]).
    pub fn with_source<E>(mut self, source: E) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        self.0.source = Some(Arc::new(source));
        self
    }

    /// An I/O error while reading `what`, kept as the cause. When the I/O
    /// error carries a wsuscat error (a nested cabinet read through an outer
    /// one's stream), that error is returned as it is, sealed.
    pub fn io(err: std::io::Error, what: &str) -> Error {
        match err.downcast::<Error>() {
            Ok(mut inner) => {
                inner.0.sealed = true;
                inner
            }
            Err(err) => {
                Error::new(ErrorKind::Io, format!("cannot read {what}: {err}")).with_source(err)
            }
        }
    }

    /// A failed seek to `what`. A forward-only stream (a cabinet nested in a
    /// compressed folder) refuses backward seeks with `Unsupported`: that is
    /// the nested cabinet's layout, not the environment, failing.
    pub fn seek(err: std::io::Error, what: &str) -> Error {
        if err.kind() == std::io::ErrorKind::Unsupported {
            Error::new(ErrorKind::Unsupported, err.to_string()).with_source(err)
        } else {
            Error::io(err, what)
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where it went wrong.
    pub fn place(&self) -> &Place {
        &self.0.place
    }

    /// The cause, without the place.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The same error with another sentence: for a caller that knows more
    /// than the library (the binary adds which option to use).
    pub fn with_message(mut self, message: impl Into<String>) -> Error {
        self.0.message = message.into();
        self
    }

    /// Mutable access, so that outer layers can fill in what they know.
    pub fn place_mut(&mut self) -> &mut Place {
        &mut self.0.place
    }

    /// Sets the file, unless an inner layer already did.
    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Error {
        if self.0.place.file.is_none() {
            self.0.place.file = Some(file.into());
        }
        self
    }

    /// Prepends a member name: the error happened inside `member`.
    pub fn inside(mut self, member: &str) -> Error {
        if !self.0.sealed {
            self.0.place.members.insert(0, member.to_string());
        }
        self
    }

    /// Sets the byte offset, unless already set.
    pub fn at_offset(mut self, offset: u64) -> Error {
        if !self.0.sealed {
            self.0.place.offset.get_or_insert(offset);
        }
        self
    }

    /// Sets the update, unless already set.
    pub fn at_update(mut self, update: impl Into<String>) -> Error {
        if self.0.place.update.is_none() {
            self.0.place.update = Some(update.into());
        }
        self
    }
}

impl Place {
    /// True when the place is inside the catalog: a member, a folder, a
    /// block or a byte is known.
    fn is_inside(&self) -> bool {
        !self.members.is_empty()
            || self.folder.is_some()
            || self.block.is_some()
            || self.offset.is_some()
    }
}

impl fmt::Display for Error {
    /// One line: the place, then the message. `outer cab` is said only of
    /// the catalog: an error about a profile, a report, a log, the trust
    /// anchors or the question asked names its own file (or none) and
    /// nothing inside a cabinet. Line breaks in the message (a cause's own
    /// multi-line text) become spaces, so that every error is one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = &self.0.place;
        if self.0.kind.is_catalog_fault() || place.is_inside() {
            write!(f, "{place}: ")?;
        } else if let Some(file) = &place.file {
            write!(f, "{}: ", file.display())?;
            if let Some(update) = &place.update {
                write!(f, "update RevisionId {update}: ")?;
            }
        }
        f.write_str(&one_line(&self.0.message))
    }
}

/// `text` on one line: each run of line breaks (and the indentation after
/// it) becomes one space.
pub(crate) fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\n', '\r']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    std::borrow::Cow::Owned(joined.join(" "))
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

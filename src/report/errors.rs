//! Errors, as one line for humans or a JSON document.

use serde::Serialize;

use super::Format;
use crate::error::{one_line, Error};

#[derive(Serialize)]
struct Inner<'a> {
    kind: &'a str,
    message: String,
    cause: &'a str,
    file: Option<String>,
    members: &'a [String],
    folder: Option<u32>,
    block: Option<u32>,
    offset: Option<u64>,
    update: Option<&'a str>,
}

fn inner(err: &Error) -> Inner<'_> {
    let p = err.place();
    Inner {
        kind: err.kind().as_str(),
        message: err.to_string(),
        cause: err.message(),
        // Lossy on purpose: a non-UTF-8 file name is still reported, with
        // U+FFFD where its bytes do not decode.
        file: p.file.as_ref().map(|f| f.display().to_string()),
        members: &p.members,
        folder: p.folder,
        block: p.block,
        offset: p.offset,
        update: p.update.as_deref(),
    }
}

/// Renders an error: `{"error": …}` for JSON, a `{"type":"error",…}` event
/// for jsonl, and one line for humans. CSV has no place for an error, so it
/// gets the human line (which belongs on stderr).
pub fn error(err: &Error, format: Format) -> String {
    match format {
        // One line, whatever a file name or a cause holds: the last guard
        // of "every error is one line".
        Format::Human | Format::Csv => {
            format!("wsuscat: error: {}\n", one_line(&err.to_string()))
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Outer<'a> {
                error: Inner<'a>,
            }
            super::json_document(&Outer { error: inner(err) })
        }
        Format::Jsonl => super::jsonl::event("error", &inner(err)),
    }
}

/// The error as a document for the report's destination, in the formats
/// that have one (json, jsonl): scripts that read the report get the error
/// there too. `None` for human and CSV, whose errors go to stderr only.
pub fn error_document(err: &Error, format: Format) -> Option<String> {
    matches!(format, Format::Json | Format::Jsonl).then(|| error(err, format))
}

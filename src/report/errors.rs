//! Errors, as one line for humans or a JSON document.

use serde::Serialize;

use super::Format;
use crate::error::Error;

/// Renders an error: one line for humans, `{"error": …}` for JSON.
pub fn error(err: &Error, format: Format) -> String {
    match format {
        Format::Human => format!("wsuscat: error: {err}\n"),
        Format::Json => {
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
            #[derive(Serialize)]
            struct Outer<'a> {
                error: Inner<'a>,
            }
            let p = err.place();
            let doc = Outer {
                error: Inner {
                    kind: err.kind().as_str(),
                    message: err.to_string(),
                    cause: err.message(),
                    file: p.file.as_ref().map(|f| f.display().to_string()),
                    members: &p.members,
                    folder: p.folder,
                    block: p.block,
                    offset: p.offset,
                    update: p.update.as_deref(),
                },
            };
            super::json_document(&doc)
        }
    }
}

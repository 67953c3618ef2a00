//! The one reporting layer: every result and error goes out through here.
//! Each command's report has its own file; a format is added in this
//! directory only, never in the binary.

mod check;
mod diff;
mod errors;
mod profiles;
mod verify;

pub use check::{check, show_value};
pub use diff::{diff, diff_csv, DiffHuman};
pub use errors::error;
pub use profiles::profiles;
pub use verify::verify;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// How human text is decorated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub(crate) fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// A document as pretty JSON with a final newline.
pub(crate) fn json_document<T: serde::Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("reports serialize");
    s.push('\n');
    s
}

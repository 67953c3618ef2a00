//! The one reporting layer: every result and error goes out through here.
//! Each command's report has its own file; a format is added in this
//! directory only, never in the binary.

mod check;
pub mod cmtrace;
pub mod csv;
pub mod device;
mod diff;
mod errors;
#[cfg(feature = "fetch")]
mod fetch;
pub mod info;
mod install;
pub mod jsonl;
pub mod list;
mod profiles;
pub mod show;
mod verify;

pub use crate::rules::finding::show_value;
pub use check::{check, write as write_check, CheckHuman, CHECK_CSV_COLUMNS};
pub use diff::{diff, write as write_diff, DiffHuman, DIFF_CSV_COLUMNS};
pub use errors::{error, error_document};
#[cfg(feature = "fetch")]
pub use fetch::{fetch, FETCH_CSV_COLUMNS};
pub use install::{write as write_install, InstallResults, INSTALL_CSV_COLUMNS};
pub use profiles::profiles;
pub use verify::{verify, VERIFY_CSV_COLUMNS};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for a person; colour only through [`Style`].
    Human,
    /// One pretty-printed JSON document.
    Json,
    /// JSON Lines: one event per line, each with a `type` (see [`jsonl`]).
    Jsonl,
    /// RFC 4180 CSV with a header row (see [`csv`]).
    Csv,
}

/// How human text is decorated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colours (the binary decides: a terminal, `--color`, `NO_COLOR`).
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

/// [`json_document`], written to `out` as it is made.
pub(crate) fn write_json_document<T: serde::Serialize>(
    doc: &T,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut w, doc).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// [`table`] for rows made on demand: `rows` is called twice, once to size
/// the columns and once to write them, so they are never all in memory.
pub(crate) fn write_table<const N: usize, I: Iterator<Item = [String; N]>>(
    header: &[&str; N],
    rows: impl Fn() -> I,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows() {
        for (w, cell) in widths.iter_mut().zip(&row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(out);
    writeln!(w, "{}", table_line(&mut header.iter().copied(), &widths))?;
    for row in rows() {
        writeln!(
            w,
            "{}",
            table_line(&mut row.iter().map(String::as_str), &widths)
        )?;
    }
    w.flush()
}

pub(crate) fn table_line(cells: &mut dyn Iterator<Item = &str>, widths: &[usize]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(" ");
    for (cell, w) in cells.zip(widths) {
        let _ = write!(s, " {cell:<w$}");
    }
    s.trim_end().to_string()
}

/// Left-aligned columns, two spaces apart, header first.
pub(crate) fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut out = Vec::new();
    write_table(header, || rows.iter().cloned(), &mut out).expect("writing to memory");
    String::from_utf8(out).expect("cells are UTF-8")
}

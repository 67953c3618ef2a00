//! CSV as RFC 4180 defines it, for every report that has rows: a header
//! record, CRLF after every record, and a field quoted only when it holds a
//! comma, a quote, CR or LF (quotes inside doubled). Every command's CSV is
//! written through [`Csv`], so the quoting lives in one place.
//!
//! No byte-order mark here: the report is the same wherever it goes. The
//! binary puts one in front of a CSV it writes to a file (Excel reads a
//! CSV without one in the ANSI code page) and never on stdout, where a
//! script's next program reads plain UTF-8; docs/csv.md says why.

use std::borrow::Cow;

/// A CSV document being built in memory.
#[derive(Debug, Clone)]
pub struct Csv {
    out: String,
    columns: usize,
}

impl Csv {
    /// Starts a document with its header record.
    pub fn new(header: &[&str]) -> Csv {
        Csv::start(String::new(), header)
    }

    fn start(out: String, header: &[&str]) -> Csv {
        let mut csv = Csv {
            out,
            columns: header.len(),
        };
        csv.record(header);
        csv
    }

    /// Appends one record. Every record has as many fields as the header:
    /// a mismatch is a bug in the report, not in the data.
    pub fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        assert_eq!(fields.len(), self.columns, "CSV record width");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&quote(field.as_ref()));
        }
        self.out.push_str("\r\n");
    }

    /// What was appended since the last call (the header first), leaving
    /// the document empty: for writing a long one as it is made.
    pub fn drain(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }

    /// Takes what has been written so far, so that a long document can be
    /// written out as it is made instead of whole at the end.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// One field, quoted when RFC 4180 requires it.
pub fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_rfc_4180_requires() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.record(&["plain", "with,comma"]);
        csv.record(&["say \"hi\"", "two\r\nlines"]);
        csv.record(&["", " spaced "]);
        assert_eq!(
            csv.finish(),
            "a,b\r\nplain,\"with,comma\"\r\n\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n, spaced \r\n"
        );
    }

    #[test]
    fn no_bom_in_the_document() {
        assert!(Csv::new(&["a"]).finish().starts_with("a\r\n"));
    }
}

//! CSV as RFC 4180 describes it, for Excel and `Import-Csv`.
//!
//! Records end in CRLF; a field is quoted when it holds a comma, a quote, CR
//! or LF, with quotes doubled. Values are written as they are, so a CSV
//! parser gets back exactly the text of the catalog. No byte-order mark is written: PowerShell and every CSV parser read UTF-8
//! without one, and Excel's Data > From Text picks UTF-8 explicitly.

/// One field, quoted when it has to be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One record, with its CRLF.
pub fn record<I, S>(fields: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = fields
        .into_iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(record(["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            record(["x,y", "say \"hi\"", "two\nlines"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }
}

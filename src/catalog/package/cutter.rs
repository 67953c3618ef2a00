//! Finds batch boundaries in package.xml without parsing it.
//!
//! The cutter runs on the decompressing thread, so it must be much cheaper
//! than a parse: it only looks at `<` (found with memchr), classifies what
//! follows, and tracks nesting depth. Names are kept only for the two
//! outermost levels, which is all a batch's context needs.

use memchr::{memchr, memchr3, memmem};

use super::Limits;
use crate::catalog::xml::{self, Binding};
use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    Comment,
    Cdata,
    Pi,
    Declaration,
}

/// What the cutter found in the buffer it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Cut {
    /// Cut the batch before this byte.
    At(usize),
    /// No cut point yet; give me more bytes.
    NeedMore,
}

/// Incremental scanner over the current batch's bytes.
#[derive(Debug)]
pub struct Cutter {
    state: State,
    /// Scan position in the current batch.
    pos: usize,
    depth: usize,
    /// Names of the open elements at depth 1 and 2.
    names: Vec<String>,
    /// The namespace declarations of those elements.
    bindings: Vec<Binding>,
    limits: Limits,
}

/// Depth of the elements a batch may start with (children of `Updates`).
const CUT_DEPTH: usize = 2;

impl Cutter {
    /// A cutter at the start of package.xml, which fails when a tag or a
    /// batch outgrows `limits`.
    pub fn new(limits: Limits) -> Cutter {
        Cutter {
            state: State::Text,
            pos: 0,
            depth: 0,
            names: Vec::new(),
            bindings: Vec::new(),
            limits,
        }
    }

    /// The open element names where the next batch starts.
    pub fn context(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The namespace bindings those elements declare, where the next batch
    /// starts.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bindings.clone()
    }

    /// The batch was cut at `at`: positions restart from the new batch.
    pub fn rebase(&mut self, at: usize) {
        self.pos -= at;
    }

    /// Scans `buf` (the current batch so far) for a cut point at or after
    /// `target` bytes. `offset` is the batch's position in package.xml, for
    /// errors.
    pub fn scan(&mut self, buf: &[u8], target: usize, offset: u64) -> Result<Cut> {
        let cut = self.scan_inner(buf, target, offset)?;
        if cut == Cut::NeedMore && buf.len() > self.limits.max_batch_len {
            return Err(Error::new(
                ErrorKind::Limit,
                format!(
                    "no element boundary within {} bytes of package.xml",
                    self.limits.max_batch_len
                ),
            )
            .at_offset(offset));
        }
        Ok(cut)
    }

    fn scan_inner(&mut self, buf: &[u8], target: usize, offset: u64) -> Result<Cut> {
        loop {
            let skipped = match self.state {
                State::Text => match self.markup(buf, target, offset)? {
                    Some(cut) => return Ok(cut),
                    None => continue,
                },
                State::Comment => self.skip_to(buf, b"-->"),
                State::Cdata => self.skip_to(buf, b"]]>"),
                State::Pi => self.skip_to(buf, b"?>"),
                State::Declaration => self.skip_to(buf, b">"),
            };
            if !skipped {
                return Ok(Cut::NeedMore);
            }
        }
    }

    /// In text: moves past the next piece of markup, or says where to cut
    /// (or that more bytes are needed) by returning a [`Cut`].
    fn markup(&mut self, buf: &[u8], target: usize, offset: u64) -> Result<Option<Cut>> {
        let text = buf.get(self.pos..).unwrap_or_default();
        let Some(rel) = memchr(b'<', text) else {
            self.pos = buf.len();
            return Ok(Some(Cut::NeedMore));
        };
        let i = self.pos + rel;
        let rest = text.get(rel..).unwrap_or_default();
        if rest.len() < 9 {
            // Too few bytes to classify `<![CDATA[`; wait.
            self.pos = i;
            return Ok(Some(Cut::NeedMore));
        }
        match rest {
            [_, b'!', b'-', b'-', ..] => {
                self.state = State::Comment;
                self.pos = i + 4;
            }
            [_, b'!', b'[', b'C', b'D', b'A', b'T', b'A', b'[', ..] => {
                self.state = State::Cdata;
                self.pos = i + 9;
            }
            [_, b'!', ..] => {
                self.state = State::Declaration;
                self.pos = i + 2;
            }
            [_, b'?', ..] => {
                self.state = State::Pi;
                self.pos = i + 2;
            }
            [_, b'/', tail @ ..] => {
                let Some(end) = memchr(b'>', tail) else {
                    self.pos = i;
                    return self.need_more(buf, i, offset).map(Some);
                };
                if self.depth <= CUT_DEPTH {
                    self.names.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                let depth = self.depth;
                self.bindings.retain(|b| b.depth < depth);
                self.pos = i + 2 + end + 1;
            }
            _ => {
                if self.depth == CUT_DEPTH && i >= target && i > 0 {
                    self.pos = i;
                    return Ok(Some(Cut::At(i)));
                }
                let Some(end) = tag_end(rest) else {
                    self.pos = i;
                    return self.need_more(buf, i, offset).map(Some);
                };
                self.start_tag(rest.get(..end).unwrap_or_default());
                self.pos = i + end + 1;
            }
        }
        Ok(None)
    }

    /// A start tag (`tag` runs from its `<` to just before its `>`).
    fn start_tag(&mut self, tag: &[u8]) {
        if tag.last() == Some(&b'/') {
            return;
        }
        if self.depth < CUT_DEPTH {
            let inner = tag.get(1..).unwrap_or_default();
            let name = inner
                .split(|&c| c.is_ascii_whitespace() || c == b'/')
                .next()
                .unwrap_or(inner);
            self.names.push(String::from_utf8_lossy(name).into_owned());
            let content = String::from_utf8_lossy(inner);
            for (prefix, uri) in xml::declarations(&content) {
                self.bindings.push(Binding {
                    depth: self.depth,
                    prefix,
                    uri,
                });
            }
        }
        self.depth += 1;
    }

    fn need_more(&self, buf: &[u8], tag_start: usize, offset: u64) -> Result<Cut> {
        if buf.len() - tag_start > self.limits.max_tag_len {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("a tag longer than {} bytes", self.limits.max_tag_len),
            )
            .at_offset(offset + tag_start as u64));
        }
        Ok(Cut::NeedMore)
    }

    /// Moves past `terminator`; false when it is not in the buffer yet.
    fn skip_to(&mut self, buf: &[u8], terminator: &[u8]) -> bool {
        match memmem::find(buf.get(self.pos..).unwrap_or_default(), terminator) {
            Some(rel) => {
                self.pos += rel + terminator.len();
                self.state = State::Text;
                true
            }
            None => {
                // Keep the last bytes: the terminator may straddle the next read.
                self.pos = buf.len().saturating_sub(terminator.len() - 1).max(self.pos);
                false
            }
        }
    }
}

/// The index of the `>` closing the tag that starts at `tag[0]`, skipping
/// quoted attribute values.
fn tag_end(tag: &[u8]) -> Option<usize> {
    // Fast path: the first `>` closes the tag when no quote is open there,
    // which holds when the text before it has an even number of `"` and no
    // `'` (the usual case: catalogs quote with `"` and never put `>` in a
    // value). Counting is a vectorised loop, much cheaper than a memchr per
    // attribute.
    let gt = memchr(b'>', tag)?;
    let head = tag.get(..gt)?;
    if head.iter().filter(|&&b| b == b'"').count() % 2 == 0 && memchr(b'\'', head).is_none() {
        return Some(gt);
    }
    tag_end_slow(tag)
}

fn tag_end_slow(tag: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        let rel = memchr3(b'>', b'"', b'\'', tag.get(i..)?)?;
        let at = i + rel;
        match *tag.get(at)? {
            b'>' => return Some(at),
            quote => {
                let close = memchr(quote, tag.get(at + 1..)?)?;
                i = at + 1 + close + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(doc: &str, target: usize, step: usize) -> Vec<(usize, Vec<String>)> {
        // Feed the document in `step`-byte pieces, as the decompressor would.
        let bytes = doc.as_bytes();
        let mut cutter = Cutter::new(Limits::default());
        let mut buf = Vec::new();
        let mut base = 0;
        let mut out = Vec::new();
        for piece in bytes.chunks(step) {
            buf.extend_from_slice(piece);
            while let Cut::At(at) = cutter.scan(&buf, target, 0).unwrap() {
                out.push((base + at, cutter.context()));
                buf.drain(..at);
                cutter.rebase(at);
                base += at;
            }
        }
        out
    }

    #[test]
    fn cuts_only_before_grandchildren_of_the_root() {
        let doc = r#"<?xml version="1.0"?><R a="1"><Updates><Update x=">"><C/></Update><Update/><!-- <Update> --><Update y='<'/></Updates><F><L/></F></R>"#;
        for step in 1..12 {
            let got = cuts(doc, 1, step);
            let positions: Vec<usize> = got.iter().map(|(p, _)| *p).collect();
            let expect: Vec<usize> = [r#"<Update x="#, "<Update/>", "<Update y=", "<L/>"]
                .iter()
                .map(|s| doc.find(s).unwrap())
                .collect();
            assert_eq!(positions, expect, "step {step}");
            assert_eq!(got[0].1, vec!["R".to_string(), "Updates".to_string()]);
            assert_eq!(got[3].1, vec!["R".to_string(), "F".to_string()]);
        }
    }

    #[test]
    fn batches_know_the_namespaces_their_open_elements_declare() {
        let doc = r#"<R xmlns="d" xmlns:p="u"><p:Us xmlns:q='v'><U/><U/></p:Us><F><L/></F></R>"#;
        let mut cutter = Cutter::new(Limits::default());
        let bytes = doc.as_bytes();
        let binding = |depth, prefix: &str, uri: &str| Binding {
            depth,
            prefix: prefix.to_string(),
            uri: uri.to_string(),
        };
        let Cut::At(at) = cutter.scan(bytes, 1, 0).unwrap() else {
            panic!("no cut")
        };
        assert_eq!(at, doc.find("<U/>").unwrap());
        assert_eq!(
            cutter.bindings(),
            vec![
                binding(0, "", "d"),
                binding(0, "p", "u"),
                binding(1, "q", "v")
            ]
        );
        cutter.rebase(0);
        let rest = doc.find("<L/>").unwrap();
        while let Cut::At(at) = cutter.scan(bytes, rest, 0).unwrap() {
            if at >= rest {
                break;
            }
        }
        assert_eq!(
            cutter.bindings(),
            vec![binding(0, "", "d"), binding(0, "p", "u")]
        );
    }

    #[test]
    fn never_cuts_inside_cdata_or_processing_instructions() {
        let doc = "<R><Us><U><X><![CDATA[ <Update> ]]></X><?pi <Update>?></U><U/></Us></R>";
        for step in 1..6 {
            let got: Vec<usize> = cuts(doc, 1, step).into_iter().map(|(p, _)| p).collect();
            assert_eq!(
                got,
                vec![doc.find("<U>").unwrap(), doc.find("<U/>").unwrap()],
                "step {step}"
            );
        }
    }

    #[test]
    fn tag_end_skips_quoted_greater_than_signs() {
        assert_eq!(tag_end(b"<a b=\"1\">x"), Some(8));
        assert_eq!(tag_end(b"<a b=\">\" c='>'>x"), Some(14));
        assert_eq!(tag_end(b"<a b='\"' c=\">\">"), Some(14));
        assert_eq!(tag_end(b"<a b=\">"), None);
    }

    #[test]
    fn an_overlong_tag_is_a_limit_error() {
        let mut cutter = Cutter::new(Limits {
            max_tag_len: 100,
            ..Limits::default()
        });
        let doc = format!("<R><A><B><V a=\"{}\"", "x".repeat(200));
        let err = cutter.scan(doc.as_bytes(), usize::MAX, 0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Limit);
    }
}

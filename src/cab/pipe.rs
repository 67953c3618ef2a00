//! A member's bytes handed, as they are decoded, from the thread streaming
//! its folder to a thread that reads them as a stream.
//!
//! Why: a nested cabinet (a 9 MB shard, package.cab, or a hostile member
//! claiming 2 GiB) comes out of the outer folder piece by piece. Collecting
//! it whole before reading it costs its whole size; reading it on the same
//! thread would stop the outer stream while it is decoded. A pipe lets a
//! second thread parse and decode the nested cabinet (through
//! [`super::forward::Forward`]) while the outer stream goes on, holding only
//! the pieces between them.
//!
//! What is held is bounded by a [`Budget`] that all pipes share: the writer
//! waits while the pieces not yet read would exceed it. A piece gives its
//! bytes back to the budget when it is dropped, read or not, so a reader
//! that stops early (an error, or a cabinet read to its end before the
//! member is) frees what was queued for it.
//!
//! A member cut short because the outer stream failed is told apart from
//! one that ended: only [`PipeWriter::finish`] marks the end, and a reader
//! whose writer went away without it gets an error, never a short stream.

use std::io::{self, Read};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Condvar, Mutex, PoisonError};

/// Bytes queued in pipes and not read yet, shared by all of them, with an
/// upper bound the writers wait on.
pub struct Budget {
    used: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes (a piece larger than that is let through
    /// alone, so a writer never waits forever).
    pub fn new(max: usize) -> Budget {
        Budget {
            used: Mutex::new(0),
            freed: Condvar::new(),
            max,
        }
    }

    /// Bytes queued and not read yet.
    pub fn used(&self) -> usize {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn acquire(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used > 0 && *used + n > self.max {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *used += n;
    }

    fn release(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// Bytes in a pipe, counted in the budget until dropped.
struct Piece<'a> {
    bytes: Vec<u8>,
    budget: &'a Budget,
}

impl Drop for Piece<'_> {
    fn drop(&mut self) {
        self.budget.release(self.bytes.len());
    }
}

enum Message<'a> {
    Bytes(Piece<'a>),
    End,
}

/// The writing end, on the thread that decodes the outer folder.
pub struct PipeWriter<'a> {
    tx: Sender<Message<'a>>,
    budget: &'a Budget,
    /// The reader went away: what is written now is dropped.
    closed: bool,
}

/// The reading end, on the thread that verifies the member.
pub struct PipeReader<'a> {
    rx: Receiver<Message<'a>>,
    current: Option<Piece<'a>>,
    at: usize,
    ended: bool,
    /// The member's first bytes, kept as they pass (see [`PipeReader::head`]).
    head: Vec<u8>,
    head_len: usize,
}

/// A pipe whose queued bytes count in `budget`; the reader keeps the first
/// `head_len` bytes it reads.
pub fn pipe(budget: &Budget, head_len: usize) -> (PipeWriter<'_>, PipeReader<'_>) {
    let (tx, rx) = channel();
    (
        PipeWriter {
            tx,
            budget,
            closed: false,
        },
        PipeReader {
            rx,
            current: None,
            at: 0,
            ended: false,
            head: Vec::with_capacity(head_len),
            head_len,
        },
    )
}

impl PipeWriter<'_> {
    /// Queues a copy of `bytes`, waiting while the budget is spent. Once
    /// the reader is gone this drops them at once.
    pub fn write(&mut self, bytes: &[u8]) {
        if self.closed || bytes.is_empty() {
            return;
        }
        self.budget.acquire(bytes.len());
        let piece = Piece {
            bytes: bytes.to_vec(),
            budget: self.budget,
        };
        // A failed send hands the piece back inside the error, whose drop
        // releases its bytes.
        if self.tx.send(Message::Bytes(piece)).is_err() {
            self.closed = true;
        }
    }

    /// Whether the reader has gone away (nothing written is read any more).
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The member ended: the reader sees the end of its stream.
    pub fn finish(self) {
        let _ = self.tx.send(Message::End);
    }
}

impl PipeReader<'_> {
    /// The first bytes read (at most the `head_len` given to [`pipe`]).
    pub fn head(&self) -> &[u8] {
        &self.head
    }
}

impl Read for PipeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(piece) = &self.current {
                let rest = piece.bytes.get(self.at..).unwrap_or_default();
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    let (src, dst) = (rest.get(..n).unwrap_or_default(), buf.get_mut(..n));
                    if let Some(dst) = dst {
                        dst.copy_from_slice(src);
                    }
                    let keep = self.head_len.saturating_sub(self.head.len()).min(n);
                    self.head
                        .extend_from_slice(src.get(..keep).unwrap_or_default());
                    self.at += n;
                    return Ok(n);
                }
                // Read to its end: its bytes go back to the budget now.
                self.current = None;
            }
            if self.ended || buf.is_empty() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Message::Bytes(piece)) => {
                    self.current = Some(piece);
                    self.at = 0;
                }
                Ok(Message::End) => self.ended = true,
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the outer stream stopped before the member's end",
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_and_the_budget_bounds_what_is_queued() {
        let budget = Budget::new(10);
        let (mut w, mut r) = pipe(&budget, 4);
        let budget = &budget;
        std::thread::scope(|s| {
            s.spawn(move || {
                for i in 0..100u8 {
                    w.write(&[i; 7]);
                    assert!(budget.used() <= 10);
                }
                w.finish();
            });
            let mut all = Vec::new();
            r.read_to_end(&mut all).unwrap();
            assert_eq!(all.len(), 700);
            assert!(all.chunks(7).enumerate().all(|(i, c)| c == [i as u8; 7]));
            assert_eq!(r.head(), &[0, 0, 0, 0]);
        });
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_writer_gone_without_finishing_is_an_error_and_a_reader_gone_frees_the_budget() {
        let budget = Budget::new(100);
        let (mut w, mut r) = pipe(&budget, 0);
        w.write(b"abc");
        drop(w);
        let mut all = Vec::new();
        assert_eq!(
            r.read_to_end(&mut all).unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        let (mut w, r) = pipe(&budget, 0);
        w.write(b"abc");
        assert_eq!(budget.used(), 3);
        drop(r);
        assert_eq!(budget.used(), 0);
        w.write(b"def");
        assert!(w.closed());
        assert_eq!(budget.used(), 0);
    }
}

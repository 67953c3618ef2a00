//! Drives the cutter, the parsing pool and the stitcher over a stream.
//!
//! The three stages know nothing of each other; this module is the only one
//! that sees them all, so the threading (and its failure handling) lives in
//! one place.
//!
//! With one thread, decompression, cutting and parsing take turns. With N
//! threads, the calling thread decompresses and cuts while a rayon pool of
//! N − 1 workers parses; a bound on batches in flight keeps memory flat
//! whichever side is faster.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use super::cutter::{Cut, Cutter};
use super::parse::parse_batch;
use super::stitch::{stitch, Document};
use super::{Batch, Limits, Outcome};
use crate::error::{Error, ErrorKind, Result};

/// Callers implement the visitor to run a scan, so it is found here too.
pub use super::parse::Visitor;

/// A source of decompressed bytes, one piece at a time.
pub trait Chunks {
    /// The next piece (at most `max` bytes); empty at the end.
    fn next_chunk(&mut self, max: usize) -> Result<&[u8]>;
}

impl<R: std::io::Read + std::io::Seek> Chunks for crate::cab::MemberReader<R> {
    fn next_chunk(&mut self, max: usize) -> Result<&[u8]> {
        crate::cab::MemberReader::next_chunk(self, max)
    }
}

impl Chunks for &[u8] {
    fn next_chunk(&mut self, max: usize) -> Result<&[u8]> {
        let n = max.min(self.len());
        let (head, tail) = self.split_at(n);
        *self = tail;
        Ok(head)
    }
}

/// Gets told how far the stream has got.
pub trait Progress: Sync {
    /// The decompressed bytes read from the source so far, after each
    /// chunk, from the decompressing thread.
    fn position(&self, bytes: u64);
}

/// Tuning for a scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Total threads, the decompressing one included.
    pub threads: usize,
    /// Target batch size in bytes.
    pub batch_size: usize,
    /// Bounds on hostile input: nesting depth, tag length, batch length.
    pub limits: Limits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_size: 1 << 20,
            limits: Limits::default(),
        }
    }
}

/// The document's facts and each batch's visitor, in document order.
pub struct Scanned<V> {
    /// The root's attributes, the update count and the length read.
    pub document: Document,
    /// One visitor per batch, each having seen that batch's updates, in
    /// document order: merging them in this order gives document order.
    pub visitors: Vec<V>,
}

/// Bounds the batches in flight. A slot is released by a guard, so a worker
/// that panics still frees it and the producer cannot wait forever.
pub(crate) struct Gate {
    in_flight: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// One batch's place in the [`Gate`], freed when dropped.
pub(crate) struct Slot<'a>(&'a Gate);

impl Gate {
    /// A gate letting at most `max` batches (at least one) in at a time.
    pub(crate) fn new(max: usize) -> Gate {
        Gate {
            in_flight: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// Waits for a free slot.
    pub(crate) fn enter(&self) -> Slot<'_> {
        let mut n = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= self.max {
            n = self.freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// Streams `source` through the pipeline. Fails closed: any error in
/// decompression, cutting, parsing or stitching is returned; success means
/// every byte was parsed.
pub fn scan<V, F>(
    source: &mut dyn Chunks,
    options: &ScanOptions,
    new_visitor: &F,
    progress: Option<&dyn Progress>,
) -> Result<Scanned<V>>
where
    V: Visitor,
    F: Fn() -> V + Sync,
{
    let limits = options.limits;
    let batch_size = options.batch_size.max(1);
    let results: Mutex<Vec<(Outcome, V)>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let run = |batch: Batch| {
        let mut visitor = new_visitor();
        let outcome = parse_batch(&batch, &limits, &mut visitor);
        visitor.batch_done();
        if outcome.error.is_some() {
            failed.store(true, Ordering::Relaxed);
        }
        // Only a worker that panicked while pushing can poison the lock, and
        // its panic resumes in the caller when the pool's scope ends: the
        // results are never read half-written, so poison can be ignored.
        results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((outcome, visitor));
    };

    let produced = if options.threads <= 1 {
        produce(source, batch_size, limits, &failed, progress, &mut |b| {
            run(b)
        })
    } else {
        let workers = options.threads - 1;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("wsuscat-parse-{i}"))
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot start the worker pool: {e}"))
                    .with_source(e)
            })?;
        let gate = Gate::new(2 * workers + 2);
        pool.in_place_scope(|scope| {
            produce(
                source,
                batch_size,
                limits,
                &failed,
                progress,
                &mut |batch| {
                    let slot = gate.enter();
                    let run = &run;
                    scope.spawn(move |_| {
                        let _slot = slot;
                        run(batch);
                    });
                },
            )
        })
    };

    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(o, _)| o.index);
    let (outcomes, visitors): (Vec<Outcome>, Vec<V>) = results.into_iter().unzip();
    // A parse error earlier in the document outranks a decompression error
    // later in it: report where the catalog first went wrong.
    if outcomes.iter().any(|o| o.error.is_some()) {
        let document = stitch(&outcomes);
        return Err(document.err().unwrap_or_else(|| {
            Error::new(
                ErrorKind::Xml,
                "a batch failed but stitching did not report it",
            )
        }));
    }
    let stopped_early = produced?;
    if stopped_early {
        return Err(Error::new(
            ErrorKind::Xml,
            "the scan stopped before the end of package.xml",
        ));
    }
    let document = stitch(&outcomes)?;
    Ok(Scanned { document, visitors })
}

/// Reads, cuts and hands out batches. Returns whether it stopped early
/// because a batch had already failed.
fn produce(
    source: &mut dyn Chunks,
    batch_size: usize,
    limits: Limits,
    failed: &AtomicBool,
    progress: Option<&dyn Progress>,
    emit: &mut dyn FnMut(Batch),
) -> Result<bool> {
    let mut cutter = Cutter::new(limits);
    let mut buf: Vec<u8> = Vec::with_capacity(batch_size + (64 << 10));
    let mut context = Vec::new();
    let mut bindings = Vec::new();
    let mut offset = 0u64;
    let mut read = 0u64;
    let mut index = 0;
    loop {
        if failed.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let chunk = source.next_chunk(64 << 10)?;
        if chunk.is_empty() {
            emit(Batch {
                index,
                offset,
                context,
                bindings,
                bytes: buf,
            });
            return Ok(false);
        }
        read += chunk.len() as u64;
        buf.extend_from_slice(chunk);
        if let Some(p) = progress {
            p.position(read);
        }
        while let Cut::At(at) = cutter.scan(&buf, batch_size, offset)? {
            let Some(tail) = buf.get(at..) else {
                return Err(Error::new(
                    ErrorKind::Xml,
                    "the cutter cut package.xml past the bytes it was given",
                )
                .at_offset(offset + buf.len() as u64));
            };
            let mut next = Vec::with_capacity(batch_size + (64 << 10));
            next.extend_from_slice(tail);
            buf.truncate(at);
            let bytes = std::mem::replace(&mut buf, next);
            let next_context = cutter.context();
            let next_bindings = cutter.bindings();
            emit(Batch {
                index,
                offset,
                context: std::mem::replace(&mut context, next_context),
                bindings: std::mem::replace(&mut bindings, next_bindings),
                bytes,
            });
            cutter.rebase(at);
            offset += at as u64;
            index += 1;
        }
    }
}

//! The progress bar: indicatif on stderr, only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;

use wsuscat::{CheckProgress, FetchEvent, FetchObserver, ScanProgress, VerifyProgress};

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(what: &'static str) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(what);
        Bar(bar)
    }

    /// A bar counting `total` items (generate's shards).
    pub fn counting(what: &'static str, total: u64) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed}, {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what);
        Bar(bar)
    }

    /// Moves a counting bar to `done`.
    pub fn set(&self, done: u64) {
        self.0.set_position(done);
    }

    /// Removes the bar.
    pub fn clear(&self) {
        self.0.finish_and_clear();
    }
}

impl ScanProgress for Bar {
    fn position(&self, bytes: u64) {
        self.0.set_position(bytes);
    }
}

impl CheckProgress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl VerifyProgress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }

    fn position(&self, bytes: u64) {
        self.0.set_position(bytes);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// What `fetch` tells as it goes: each step to `log`, the body's bytes to
/// a bar (when `bar` is set), a new bar for each body (a retry starts one).
pub struct FetchWatch<L: Fn(&FetchEvent)> {
    bar: bool,
    current: RefCell<Option<Bar>>,
    log: L,
}

impl<L: Fn(&FetchEvent)> FetchWatch<L> {
    pub fn new(bar: bool, log: L) -> FetchWatch<L> {
        FetchWatch {
            bar,
            current: RefCell::new(None),
            log,
        }
    }
}

impl<L: Fn(&FetchEvent)> FetchObserver for FetchWatch<L> {
    fn event(&self, event: &FetchEvent) {
        (self.log)(event);
    }

    fn start(&self, total: Option<u64>, from: u64) {
        if !self.bar {
            return;
        }
        let bar = Bar::new("download");
        if let Some(t) = total {
            bar.0.set_length(t);
        }
        bar.0.set_position(from);
        // The rate and the estimate count this run's bytes only.
        bar.0.reset_eta();
        *self.current.borrow_mut() = Some(bar);
    }

    fn position(&self, bytes: u64) {
        if let Some(b) = self.current.borrow().as_ref() {
            b.0.set_position(bytes);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.current.borrow_mut().take() {
            b.0.finish_and_clear();
        }
    }
}

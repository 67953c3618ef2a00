//! The progress bar: indicatif on stderr, only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wsuscat::{CheckProgress, ScanProgress, VerifyProgress};

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

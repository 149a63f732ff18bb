//! Progress of long imports and exports, on stderr.
//!
//! Drawn only when stderr is a terminal, so that scripts (whose stderr is a pipe or a file)
//! never get progress output mixed into their messages, and only for large work: an import
//! of a file of at least [`LARGE_FILE_BYTES`] shows a bar of the bytes read; an import from
//! standard input and an export, whose size is not known ahead, show a count of items once
//! it passes [`LARGE_ITEM_COUNT`]. An export to standard output on a terminal shows none.
//! The bar is cleared when the work ends.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files from this size on get a progress bar on import.
pub(crate) const LARGE_FILE_BYTES: u64 = 8 << 20;
/// Counts of items are shown from this count on.
pub(crate) const LARGE_ITEM_COUNT: u64 = 100_000;

/// The progress of one import or export.
pub(crate) struct Progress {
    /// `None` when stderr is not a terminal.
    bar: Option<ProgressBar>,
    /// Counting items (not bytes), and not drawn yet.
    hidden_count: bool,
}

impl Progress {
    /// Progress through `length` bytes when that is large; otherwise a count of items.
    pub(crate) fn bytes(length: Option<u64>, verb: &'static str) -> Progress {
        match length {
            Some(length) if length >= LARGE_FILE_BYTES => {
                let style = ProgressStyle::with_template(
                    "{msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                Progress::new(|| {
                    ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr())
                        .with_style(style)
                        .with_message(verb)
                })
            }
            _ => Progress::items(verb),
        }
    }

    /// A count of items, drawn once it is large.
    pub(crate) fn items(verb: &'static str) -> Progress {
        let style = ProgressStyle::with_template("{spinner} {msg} {human_pos} items in {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut progress = Progress::new(|| {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
                .with_style(style)
                .with_message(verb)
        });
        progress.hidden_count = progress.bar.is_some();
        progress
    }

    /// No progress at all: for output to a terminal, which a bar would garble.
    pub(crate) fn none() -> Progress {
        Progress {
            bar: None,
            hidden_count: false,
        }
    }

    fn new(bar: impl FnOnce() -> ProgressBar) -> Progress {
        Progress {
            bar: std::io::stderr().is_terminal().then(bar),
            hidden_count: false,
        }
    }

    /// Records that `items` more items, of `bytes` bytes of input, are done.
    pub(crate) fn advance(&mut self, items: u64, bytes: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        if bar.length().is_some() {
            bar.inc(bytes);
            return;
        }
        bar.inc(items);
        if self.hidden_count && bar.position() >= LARGE_ITEM_COUNT {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.hidden_count = false;
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

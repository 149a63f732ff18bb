//! Progress on stderr while a phase runs (hidden when stderr is not a terminal), and one
//! line per finished phase.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bytes of the lines [`Progress::say`] wrote, which the process's `wchar` counts too.
static SAID_BYTES: AtomicU64 = AtomicU64::new(0);

/// Bytes the bench itself has written to stderr in phase lines so far, to take off a
/// system's writes. (The bars' redraws, on a terminal only, are not counted: a few hundred
/// bytes a second.)
pub fn said_bytes() -> u64 {
    SAID_BYTES.load(Ordering::Relaxed)
}

/// How often a bar redraws. Low, so that drawing costs the measured threads little (and adds
/// next to nothing to the process's `wchar`).
const REDRAWS_PER_SECOND: u8 = 4;

/// Makes the bars of one system's run.
#[derive(Clone, Debug)]
pub struct Progress {
    prefix: String,
}

impl Progress {
    /// Bars labelled with `prefix` (the repetition and the system).
    pub fn new(prefix: String) -> Progress {
        Progress { prefix }
    }

    /// A bar for `phase`, of `len` steps.
    pub fn bar(&self, phase: &str, len: u64) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(
            Some(len),
            ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND),
        );
        let style = ProgressStyle::with_template(
            "{prefix} {msg:<22} [{bar:30}] {human_pos}/{human_len} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(self.prefix.clone());
        bar.set_message(phase.to_owned());
        bar
    }

    /// Clears `bar` and says what the phase measured.
    pub fn done(&self, bar: ProgressBar, phase: &str, summary: &str) {
        bar.finish_and_clear();
        self.say(phase, summary);
    }

    /// Says what a phase measured.
    pub fn say(&self, phase: &str, summary: &str) {
        let line = format!("{} {phase:<22} {summary}\n", self.prefix);
        // A failed write to stderr is no reason to stop measuring.
        if std::io::stderr().write_all(line.as_bytes()).is_ok() {
            SAID_BYTES.fetch_add(line.len() as u64, Ordering::Relaxed);
        }
    }
}

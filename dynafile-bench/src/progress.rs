//! Progress on stderr while a phase runs (hidden when stderr is not a terminal), and one
//! line per finished phase.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        eprintln!("{} {phase:<22} {summary}", self.prefix);
    }
}

//! The progress bar on stderr for multi-target work: shown only when stderr
//! is a terminal, there are at least two targets, and neither `-q` nor
//! `--no-progress` was given.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rds_dr_api::fleet::Progress;

use crate::cli::GlobalArgs;

/// A progress bar, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar for `total` targets, if one should be shown.
    pub fn new(total: usize, global: &GlobalArgs) -> Bar {
        let wanted =
            total >= 2 && !global.quiet && !global.no_progress && std::io::stderr().is_terminal();
        let bar = wanted.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} fetching [{bar:30}] {pos}/{len} {msg} ({elapsed})",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Bar { bar }
    }

    /// Records one finished target.
    pub fn update(&self, progress: &Progress<'_>) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done as u64);
            if progress.failed > 0 {
                bar.set_message(format!("{} failed", progress.failed));
            }
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

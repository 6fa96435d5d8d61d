//! Progress on stderr for the commands that run longer than a few seconds (`indicatif`): a
//! bar where the amount of work is known, a spinner with the elapsed time where it is not.
//! Hidden with `--json` and whenever stdout or stderr is not a terminal, so logs, pipes and
//! CI output carry only the results.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether progress is drawn: both streams are terminals and the output is not JSON.
pub fn shown(json: bool) -> bool {
    !json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

fn target(json: bool) -> ProgressDrawTarget {
    if shown(json) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// The style of a bar counting `unit`: `{prefix} [bar] pos/len unit {msg} (elapsed, time left)`.
pub fn bar_style(unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}}, {{eta}} left)"))
        .expect("a valid template")
        .progress_chars("#>.")
}

/// A bar of `len` steps counting `unit`, drawn on stderr when [`shown`].
pub fn bar(json: bool, len: u64, prefix: impl Into<String>, unit: &str) -> ProgressBar {
    let b = ProgressBar::with_draw_target(Some(len), target(json)).with_style(bar_style(unit)).with_prefix(prefix.into());
    b.enable_steady_tick(Duration::from_millis(200));
    b
}

/// A spinner for work of unknown length: `{prefix} {msg} (elapsed)`.
pub fn spinner(json: bool, prefix: impl Into<String>, msg: impl Into<String>) -> ProgressBar {
    let style = ProgressStyle::with_template("{spinner} {prefix} {msg} ({elapsed})").expect("a valid template");
    let s = ProgressBar::with_draw_target(None, target(json)).with_style(style).with_prefix(prefix.into()).with_message(msg.into());
    s.enable_steady_tick(Duration::from_millis(200));
    s
}

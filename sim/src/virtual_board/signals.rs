//! SIGINT, SIGTERM and SIGHUP as a clean stop of a running board (pty closed, symlink
//! removed) instead of the process's death. `signal-hook` owns the handlers: its handler only
//! writes to a self-pipe, and a thread of ours counts what comes out of it.
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Signals counted since [`stop_on_signals`] was first called.
static SIGNALS: AtomicU64 = AtomicU64::new(0);
/// Whether the handlers and their counting thread are in place (installed once per process).
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Installs handlers so SIGINT, SIGTERM and SIGHUP end every board run with
/// [`super::BoardConfig::stop_on_signal`] cleanly. A board sees the signal within one batch
/// of cycles or one idle wait ([`super::IDLE_POLL_MS`]). Calling it again does nothing.
pub fn stop_on_signals() -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if *installed {
        return Ok(());
    }
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new().name("virtual-board-signals".into()).spawn(move || {
        for _ in signals.forever() {
            SIGNALS.fetch_add(1, Ordering::SeqCst);
        }
    })?;
    *installed = true;
    Ok(())
}

/// Signals seen by the handlers of [`stop_on_signals`] so far.
pub fn signals_seen() -> u64 {
    SIGNALS.load(Ordering::SeqCst)
}

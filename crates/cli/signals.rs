//! SIGINT (Ctrl-C), SIGTERM and SIGHUP: one handler for every command.
//!
//! On a signal the unfinished outputs are removed ([`healthy_city_fs::remove_unfinished`]:
//! the staging folder and any temporary file, after a move in progress has finished), a line
//! says so, and the process exits with 128 + the signal's number (130 for SIGINT, 143 for
//! SIGTERM). During the long loop of an analysis ([`cancellable`]), the analysis is first
//! asked to stop at its next chunk through [`CANCEL`], so that it says how far it got; if it
//! has not stopped within 30 seconds (or a second signal comes) the process is stopped
//! all the same.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// Set by a signal: long analyses stop at their next chunk, and nothing is written.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

/// The number of the signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Whether an analysis that stops by itself on [`CANCEL`] is running.
static COOPERATIVE: AtomicBool = AtomicBool::new(false);

/// How long an analysis is given to stop by itself after a signal: it checks between chunks
/// of replications, a fraction of a second in a release build but seconds in a debug build on
/// a busy machine. A second signal stops the process at once.
const GRACE: Duration = Duration::from_secs(30);

const SIGINT: i32 = 2;

/// Installs the handler (once). If it cannot be installed, a signal kills the process: still
/// nothing is moved into place half way, and the next run removes the staging folder.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(imp::install);
}

/// The exit code of a run stopped by a signal: 128 + its number (130 when none is known).
pub fn exit_code() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        n @ 1..=127 => 128 + n as u8,
        _ => 128 + SIGINT as u8,
    }
}

/// Runs an analysis loop that stops by itself when [`CANCEL`] is set: a signal during it lets
/// it stop and report, instead of stopping the process at once. A signal that came when the
/// loop had just finished still stops the command before anything is written.
pub fn cancellable<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    COOPERATIVE.store(true, Ordering::SeqCst);
    let result = work();
    COOPERATIVE.store(false, Ordering::SeqCst);
    if result.is_ok() && CANCEL.load(Ordering::SeqCst) {
        bail!("interrupted: nothing was written");
    }
    result
}

/// What the handler does on the signal `signal`; `next` says whether another signal came.
fn on_signal(signal: i32, next: &mut dyn FnMut() -> bool) {
    SIGNAL.store(signal, Ordering::SeqCst);
    CANCEL.store(true, Ordering::SeqCst);
    if COOPERATIVE.load(Ordering::SeqCst) {
        // The main thread ends the process when the analysis has stopped.
        let start = Instant::now();
        while start.elapsed() < GRACE && !next() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    stop(signal);
}

/// Removes the unfinished outputs and ends the process.
fn stop(signal: i32) -> ! {
    let removed = healthy_city_fs::remove_unfinished();
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT (Ctrl-C)",
        15 => "SIGTERM",
        _ => "a signal",
    };
    let what = if removed.is_empty() {
        String::new()
    } else {
        format!(
            ": removed the unfinished outputs ({})",
            removed
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    crate::publish::status(&format!(
        "error: interrupted by {name}{what}; no output was replaced"
    ));
    std::process::exit(i32::from(128 + signal.clamp(1, 127) as u8));
}

#[cfg(unix)]
mod imp {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    pub fn install() {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name(String::from("signals"))
            .spawn(move || loop {
                let Some(signal) = signals.wait().next() else {
                    continue;
                };
                super::on_signal(signal, &mut || signals.pending().next().is_some());
            });
        drop(spawned);
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn install() {
        let _ = ctrlc::set_handler(|| super::on_signal(super::SIGINT, &mut || false));
    }
}

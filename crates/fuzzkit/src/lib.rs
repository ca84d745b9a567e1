//! What every fuzz suite of healthy-city shares (a dev-dependency of the model, ingest and score
//! crates): the number of cases and the hang guard.
//!
//! `cargo test --workspace` runs [`DEFAULT_CASES`] cases per target; the large run sets
//! `HEALTHY_CITY_FUZZ_CASES` (see the README's "Bad input" section).

use std::sync::mpsc;
use std::time::Duration;

/// Cases per target when `HEALTHY_CITY_FUZZ_CASES` is not set.
pub const DEFAULT_CASES: u32 = 64;

/// The variable that sets the number of cases per target.
pub const CASES_VARIABLE: &str = "HEALTHY_CITY_FUZZ_CASES";

/// The longest one case may take before it counts as a hang: generous, since the machines are
/// shared and debug builds are slow; a hang is a case that never ends.
pub const WATCHDOG: Duration = Duration::from_secs(60);

/// Cases per target: `HEALTHY_CITY_FUZZ_CASES` when it is a whole number, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var(CASES_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Runs `work` on its own thread and returns its result; panics if it has not finished within
/// [`WATCHDOG`] (naming `what` and calling it a hang), and passes a panic of `work` on with its
/// own message.
pub fn watchdog<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let out = work();
        let _ = send.send(());
        out
    });
    match receive.recv_timeout(WATCHDOG) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no answer after {WATCHDOG:?} (a hang)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_of_work_comes_back_and_its_panic_goes_on() {
        assert_eq!(watchdog("sum", || 2 + 2), 4);
        let caught = std::panic::catch_unwind(|| watchdog("boom", || panic!("inner message")));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"inner message"));
    }
}

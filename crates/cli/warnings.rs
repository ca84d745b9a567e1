//! Warnings the libraries raise through `tracing` (an HTTP retry, a cache that cannot be
//! written, a failed source whose previous values are kept) reach standard error as
//! `warning: <message>` lines: no timestamp, no target; `warning` in yellow only when standard
//! error is a terminal and NO_COLOR is unset. Messages are made safe for a terminal (control
//! characters escaped, long lines cut: `safe.rs`).

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// `warning: <message>` (or `error:` / `note:` by level).
struct Plain {
    color: bool,
}

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let label = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            _ => "note",
        };
        if self.color {
            write!(writer, "\x1b[1;33m{label}\x1b[0m: ")?;
        } else {
            write!(writer, "{label}: ")?;
        }
        // The message may echo input (a city name, a cell): made safe for a terminal.
        let mut message = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut message), event)?;
        writeln!(writer, "{}", crate::safe::terminal(&message))
    }
}

/// Installs the subscriber: warnings and errors to standard error.
pub fn install() {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_max_level(Level::WARN)
        .with_writer(std::io::stderr)
        .event_format(Plain { color })
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A writer into a shared buffer, for the subscriber under test.
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_warning_echoing_input_is_escaped_and_cut() {
        let buffer = Buffer(Arc::new(Mutex::new(Vec::new())));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::WARN)
            .with_writer(move || writer.clone())
            .event_format(Plain { color: false })
            .finish();
        let long = "y".repeat(5000);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("city `\x1b]0;title\x07\x1b[2J` skipped");
            tracing::warn!("value {long}");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            format!(
                "warning: city `\\x1b]0;title\\x07\\x1b[2J` skipped\nwarning: value {}… (5006 characters)\n",
                "y".repeat(994)
            )
        );
    }
}

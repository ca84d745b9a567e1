//! Publishing a command's results: its files staged all or nothing through
//! [`healthy_city_fs::Staging`], its table or text on standard output, status lines on
//! standard error.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use healthy_city_fs::Staging;
use healthy_city_report::Table;

use crate::args::Format;

/// The files of one command, staged in a hidden folder inside the output folder until
/// [`Outputs::commit`] moves them into place together.
pub struct Outputs {
    staging: Staging,
}

impl Outputs {
    /// Starts staging outputs for the folder `out` (created if missing).
    pub fn new(out: &Path) -> Result<Self> {
        Ok(Outputs {
            staging: Staging::new(out)?,
        })
    }

    /// Stages the file `name` with the given content.
    pub fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.staging.write(name, bytes)?;
        Ok(())
    }

    /// Checks that every staged file can be moved into place, without moving any (see
    /// [`healthy_city_fs::Staging::verify`]).
    pub fn verify(&self) -> Result<()> {
        Ok(self.staging.verify()?)
    }

    /// Stages `table` as the CSV file `name`.
    pub fn table(&mut self, name: &str, table: &Table) -> Result<()> {
        self.staging
            .write_with(name, |w| healthy_city_report::write_csv(table, w))?;
        Ok(())
    }

    /// Stages the file `name` written by `write` (a table too long to hold, streamed).
    pub fn write_with(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<()> {
        self.staging.write_with(name, write)?;
        Ok(())
    }

    /// The staging path of the file `name`, for a writer that streams into it.
    pub fn file(&mut self, name: &str) -> Result<PathBuf> {
        Ok(self.staging.path(name)?)
    }

    /// Staging paths of a chart's SVG and PNG, `charts/{name}.svg` and `.png`.
    pub fn chart(&mut self, name: &str) -> Result<(PathBuf, PathBuf)> {
        Ok((
            self.staging.path(&format!("charts/{name}.svg"))?,
            self.staging.path(&format!("charts/{name}.png"))?,
        ))
    }

    /// Moves every staged file into place; returns their paths, for [`wrote`] once the
    /// result is printed. Commands commit before printing anything on standard output, so
    /// that a reader gone (`| head`) cannot lose their files.
    pub fn commit_quietly(self) -> Result<Vec<PathBuf>> {
        Ok(self.staging.commit()?)
    }
}

/// One `wrote PATH` status line per file.
pub fn wrote(paths: &[PathBuf]) {
    for path in paths {
        status(&format!("wrote {}", path.display()));
    }
}

/// Prints a progress or status line on standard error, made safe for a terminal
/// ([`crate::safe::terminal`]). A standard error that cannot be written is ignored.
pub fn status(message: &str) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let _ = writeln!(err, "{}", crate::safe::terminal(message));
}

/// Set once standard output's reader has gone: nothing more is printed there, and the
/// command goes on (its files are written, its status lines printed).
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Writes to standard output with `write`; a broken pipe (the reader has gone, as in
/// `healthy-city compare | head -1`) stops printing without failing the command.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => Ok(other?),
    }
}

/// Writes `text`, the terminal view of a result, on standard output, made safe for a
/// terminal ([`crate::safe::terminal`]).
pub fn print(text: &str) -> Result<()> {
    let text = crate::safe::terminal(text);
    to_stdout(|out| out.write_all(text.as_bytes()))
}

/// Prints a command's result: as text (`text`, the terminal view with what surrounds it), or
/// the table the command writes to its file as CSV or JSON lines (then `text_around`, the
/// lines around the terminal table, goes to standard error so that standard output stays
/// machine-readable).
pub fn print_result(
    format: Format,
    text: &str,
    text_around: &str,
    file_table: &Table,
) -> Result<()> {
    let format = match format {
        Format::Table => return print(text),
        Format::Csv => healthy_city_report::Format::Csv,
        Format::Json => healthy_city_report::Format::JsonLines,
    };
    let around = text_around.trim_end();
    if !around.is_empty() {
        status(around);
    }
    if io::stdout().is_terminal() {
        // Read by a person: the table's text made safe like every other line. Written to a
        // pipe or a file, it is the data as it is.
        let mut bytes = Vec::new();
        healthy_city_report::write_table(file_table, format, &mut bytes)?;
        let text = crate::safe::terminal(&String::from_utf8_lossy(&bytes));
        return to_stdout(|out| out.write_all(text.as_bytes()));
    }
    to_stdout(|out| healthy_city_report::write_table(file_table, format, out))?;
    Ok(())
}

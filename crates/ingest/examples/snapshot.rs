//! Rebuilds the embedded snapshot from a data folder, as `healthy-city ingest --from` does.
//!
//! ```text
//! cargo run -p healthy-city-ingest --example snapshot -- ../shared/data indicators/snapshot
//! ```
//! Run from the repository root; reads `indicators/cities.toml` and `indicators/catalogue.toml`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use healthy_city_ingest::{build_snapshot, write_snapshot};
use healthy_city_model::{Catalogue, Cities};

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().unwrap_or_else(|| "../shared/data".to_string()));
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "indicators/snapshot".to_string()),
    );
    let cities = Cities::load("indicators/cities.toml".as_ref())?;
    let catalogue = Catalogue::load("indicators/catalogue.toml".as_ref())?;
    let snapshot = build_snapshot(&data, &cities, &catalogue, 2000)?;
    write_snapshot(&snapshot, &out)?;
    Ok(format!(
        "{}wrote {} and SOURCES.md",
        snapshot.report,
        out.join("observations.csv").display()
    ))
}

fn main() -> ExitCode {
    let mut stderr = std::io::stderr();
    match run() {
        Ok(summary) => {
            let _ = writeln!(stderr, "{summary}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            let _ = write!(stderr, "error: {err}");
            let mut source = err.source();
            while let Some(cause) = source {
                let _ = write!(stderr, ": {cause}");
                source = cause.source();
            }
            let _ = writeln!(stderr);
            ExitCode::from(2)
        }
    }
}

//! The `healthy-city` command: thin glue from arguments to the model, ingest, score and report
//! crates. Each command has its own module; [`run`] is the table of contents.

mod analysis;
mod args;
mod audit;
mod compare;
mod hints;
mod import;
mod ingest;
mod inputs;
mod parse;
mod path_to_first;
mod publish;
mod report;
mod run;
mod safe;
mod score;
mod sensitivity;
mod signals;
mod synth;
mod uncertainty;
mod validate;
mod warnings;
mod weight_map;

use std::io;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Result;
use clap::Parser;

use args::{Args, Command, ImportCommand};

fn main() -> ExitCode {
    let args = Args::parse();
    warnings::install();
    signals::install();
    let result = run(args);
    report_leftovers();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if is_interrupted(&err) || signals::CANCEL.load(Ordering::SeqCst) => {
            publish::status(&error_text(&err));
            ExitCode::from(signals::exit_code())
        }
        Err(err) => {
            publish::status(&error_text(&err));
            ExitCode::from(2)
        }
    }
}

/// Most lines of an error printed; a longer one (a list of problems a library did not bound)
/// is cut with the number of lines left out.
const MAX_ERROR_LINES: usize = 60;

/// `error: <message with its causes>`, at most [`MAX_ERROR_LINES`] lines (each line is made
/// safe for the terminal when printed).
fn error_text(err: &anyhow::Error) -> String {
    let text = format!("error: {err:#}");
    let lines = text.lines().count();
    if lines <= MAX_ERROR_LINES {
        return text;
    }
    let kept: Vec<&str> = text.lines().take(MAX_ERROR_LINES).collect();
    format!(
        "{}\n… and {} more lines",
        kept.join("\n"),
        lines - MAX_ERROR_LINES
    )
}

/// Says which leftovers of killed runs were found in the output folders: removed (their
/// process is gone) or left in place (their owner cannot be told).
fn report_leftovers() {
    for leftover in healthy_city_fs::take_leftovers() {
        let path = leftover.path.display();
        let by = leftover
            .pid
            .map_or_else(String::new, |pid| format!(" by process {pid}"));
        if leftover.removed {
            publish::status(&format!(
                "note: removed `{path}`, left{by} by a run that was stopped before it finished"
            ));
        } else {
            publish::status(&format!(
                "warning: `{path}` was left{by} by an earlier run; remove it if no healthy-city is writing to that folder"
            ));
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn is_interrupted(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<healthy_city_score::Error>(),
            Some(healthy_city_score::Error::Interrupted { .. })
        )
    })
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Run(args) => run::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Ingest(args) => ingest::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Import(ImportCommand::Coinr(args)) => import::coinr(&args),
        Command::Import(ImportCommand::UrbanAudit(args)) => import::urban_audit(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Uncertainty(args) => uncertainty::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Sensitivity(args) => sensitivity::run(&args),
        Command::PathToFirst(args) => path_to_first::run(&args),
        Command::WeightMap(args) => weight_map::run(&args),
        Command::Synth(args) => synth::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_error_is_cut_after_its_first_lines_with_the_number_left_out() {
        let many: Vec<String> = (1..=100).map(|k| format!("problem {k}")).collect();
        let text = error_text(&anyhow::anyhow!(many.join("\n")));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), MAX_ERROR_LINES + 1);
        assert_eq!(lines[0], "error: problem 1");
        assert_eq!(lines[MAX_ERROR_LINES - 1], "problem 60");
        assert_eq!(lines[MAX_ERROR_LINES], "… and 40 more lines");
        assert_eq!(error_text(&anyhow::anyhow!("one")), "error: one");
    }
}

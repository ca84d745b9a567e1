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
mod run;
mod safe;
mod sensitivity;
mod signals;
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
            publish::status(&format!("error: {err:#}"));
            ExitCode::from(signals::exit_code())
        }
        Err(err) => {
            publish::status(&format!("error: {err:#}"));
            ExitCode::from(2)
        }
    }
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
        Command::Ingest(args) => ingest::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Import(ImportCommand::Coinr(args)) => import::coinr(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Uncertainty(args) => uncertainty::run(&args),
        Command::Sensitivity(args) => sensitivity::run(&args),
        Command::PathToFirst(args) => path_to_first::run(&args),
        Command::WeightMap(args) => weight_map::run(&args),
    }
}

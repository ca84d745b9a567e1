//! The `healthy-city` command: thin glue from arguments to the model, ingest, score and report
//! crates.

mod analysis;
mod args;
mod ingest;
mod inputs;
mod output;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use args::{Args, AuditArgs, CoinrArgs, Command, Format, ImportCommand, InputArgs, RunArgs};
use inputs::Inputs;
use output::Staging;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if is_interrupted(&err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(130)
        }
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(2)
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
        Command::Run(run) => run_index(&run),
        Command::Ingest(args) => ingest::run(&args),
        Command::Validate(input) => validate(&input),
        Command::Audit(audit) => run_audit(&audit),
        Command::Import(ImportCommand::Coinr(coinr)) => import_coinr(&coinr),
        Command::Compare(compare) => analysis::compare(&compare),
        Command::Uncertainty(uncertainty) => analysis::uncertainty(&uncertainty),
        Command::Sensitivity(sensitivity) => analysis::sensitivity(&sensitivity),
        Command::PathToFirst(path) => analysis::path_to_first(&path),
        Command::WeightMap(map) => analysis::weight_map(&map),
    }
}

/// Prints a progress or status line on standard error.
fn status(message: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{message}");
    }
}

fn run_index(args: &RunArgs) -> Result<()> {
    let inputs = Inputs::load(args.input.framework.as_deref(), args.input.data.as_deref())?;
    let results = healthy_city_score::score(
        &inputs.framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
    )
    .with_context(|| format!("cannot score `{}`", inputs.framework.file()))?;
    let Some(latest) = results.latest_ranked_year() else {
        bail!(
            "no year of `{}` has enough cities ranked (coverage.year_min_share = {}): lower the coverage thresholds or add data",
            inputs.framework.file(),
            results.year_min_share
        );
    };
    let Some(focus) = results.city_slot(&args.city) else {
        bail!(
            "city `{}` is not among the cities scored by `{}`: give a city id or name from cities.toml (e.g. `--city Paris`)",
            args.city,
            inputs.framework.file()
        );
    };

    let footnote = healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue);
    let city_id = results.cities[focus].clone();
    let mut staging = Staging::new(&args.out)?;
    let ranking_csv = staging.path("ranking.csv")?;
    healthy_city_report::write_ranking_csv(&results, &ranking_csv)?;
    let scores_csv = staging.path("scores.csv")?;
    healthy_city_report::write_scores_csv(&results, &scores_csv)?;
    let weights_csv = staging.path("weights.csv")?;
    write_weights_csv(&results, &weights_csv)?;
    let treatment_csv = staging.path("treatment.csv")?;
    write_treatment_csv(&results, &treatment_csv)?;
    let year = healthy_city_report::Year(results.years[latest]);
    let city = healthy_city_report::Focus::new(focus);
    let (svg, png) = staging.chart("ranking")?;
    healthy_city_report::write_chart(
        &healthy_city_report::RankingChart {
            results: &results,
            year,
            focus: Some(city),
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let (svg, png) = staging.chart(&format!("trajectory-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::TrajectoryChart {
            results: &results,
            city,
            references: &healthy_city_report::LONDON_REFERENCES,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let national: Vec<&str> = inputs
        .catalogue
        .iter()
        .filter(|i| i.level == healthy_city_model::Level::National)
        .map(|i| i.id.as_str())
        .collect();
    let (svg, png) = staging.chart(&format!("profile-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::ProfileChart {
            results: &results,
            city,
            year,
            national: &national,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let written = staging.commit()?;

    let stdout = io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Table => {
            let table = healthy_city_report::format_table(&results, Some(latest), Some(&city_id))?;
            out.write_all(table.as_bytes())?;
        }
        Format::Csv | Format::Json => print_latest(&mut out, &results, latest, args.format)?,
    }
    out.flush()?;
    for path in written {
        status(&format!("wrote {}", path.display()));
    }
    Ok(())
}

/// The weight of every node as used (derived weights included) and its effective weight in the
/// index: `node,level,weight,effective_weight` (COINr `get_eff_weights`).
fn write_weights_csv(results: &healthy_city_score::Results, path: &std::path::Path) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut out = io::BufWriter::new(file);
    writeln!(out, "node,level,weight,effective_weight")?;
    for w in &results.effective_weights {
        writeln!(out, "{},{},{},{}", w.id, w.level, w.weight, w.effective)?;
    }
    out.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// What outlier treatment did, one row per treated indicator and scope (COINr's
/// `Treat` details): skewness and kurtosis before and after, points winsorised, log fallback,
/// and the changed points as `city year old>new` separated by `;`. Only a header when the
/// framework treats nothing.
fn write_treatment_csv(
    results: &healthy_city_score::Results,
    path: &std::path::Path,
) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut out = io::BufWriter::new(file);
    writeln!(
        out,
        "indicator,year,treatment,skew_before,kurt_before,pass_before,skew_after,kurt_after,pass_after,nwin,log,points"
    )?;
    for t in &results.treatment.indicators {
        let points: Vec<String> = t
            .points
            .iter()
            .map(|p| format!("{} {} {}>{}", p.city, p.year, p.old, p.new))
            .collect();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},\"{}\"",
            t.indicator,
            t.year.map_or_else(String::new, |y| y.to_string()),
            t.treatment.name(),
            t.before.skew,
            t.before.kurt,
            t.before.pass,
            t.after.skew,
            t.after.kurt,
            t.after.pass,
            t.nwin,
            t.log,
            points.join("; ")
        )?;
    }
    out.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// The latest ranking as CSV or JSON lines.
fn print_latest(
    out: &mut impl Write,
    results: &healthy_city_score::Results,
    y: usize,
    format: Format,
) -> Result<()> {
    let mut order: Vec<usize> = (0..results.cities.len())
        .filter(|&c| results.is_ranked(y, c))
        .collect();
    order.sort_by_key(|&c| (results.rank(y, c, results.root), c));
    if format == Format::Csv {
        writeln!(out, "city,year,score,rank,proxy_share")?;
    }
    for c in order {
        let (city, year) = (&results.cities[c], results.years[y]);
        let score = results.score(y, c, results.root);
        let rank = results.rank(y, c, results.root).unwrap_or_default();
        let proxy = results.proxy_share(y, c);
        if format == Format::Csv {
            writeln!(out, "{city},{year},{score},{rank},{proxy}")?;
        } else {
            writeln!(
                out,
                "{{\"city\":\"{city}\",\"year\":{year},\"score\":{score},\"rank\":{rank},\"proxy_share\":{proxy}}}"
            )?;
        }
    }
    Ok(())
}

fn run_audit(args: &AuditArgs) -> Result<()> {
    type Writer =
        fn(&healthy_city_score::Audit, &mut io::BufWriter<std::fs::File>) -> io::Result<()>;
    let inputs = Inputs::load(args.input.framework.as_deref(), args.input.data.as_deref())?;
    let audit = healthy_city_score::audit(
        &inputs.framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        args.year,
    )
    .with_context(|| format!("cannot audit `{}`", inputs.framework.file()))?;
    let tables: [(&str, Writer); 5] = [
        ("audit/availability.csv", |a, w| a.write_availability(w)),
        ("audit/skew_kurt.csv", |a, w| a.write_skew_kurt(w)),
        ("audit/correlations.csv", |a, w| a.write_correlations(w)),
        ("audit/cronbach.csv", |a, w| a.write_cronbach(w)),
        ("audit/pca.csv", |a, w| a.write_pca(w)),
    ];
    let mut staging = Staging::new(&args.out)?;
    for (name, write) in tables {
        let path = staging.path(name)?;
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        let mut out = io::BufWriter::new(file);
        write(&audit, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let written = staging.commit()?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(audit.summary().as_bytes())?;
    out.flush()?;
    for path in written {
        status(&format!("wrote {}", path.display()));
    }
    Ok(())
}

fn validate(args: &InputArgs) -> Result<()> {
    let inputs = Inputs::load(args.framework.as_deref(), args.data.as_deref())?;
    healthy_city_score::check(&inputs.framework, &inputs.catalogue)?;
    status(&format!(
        "ok: `{}` ({} indicators), {} cities, {} indicators in the catalogue, {} observations",
        inputs.framework.file(),
        inputs.framework.indicators().count(),
        inputs.cities.len(),
        inputs.catalogue.len(),
        inputs.observations.len()
    ));
    Ok(())
}

fn import_coinr(args: &CoinrArgs) -> Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
    };
    let (idata, imeta) = (read(&args.idata)?, read(&args.imeta)?);
    let import = healthy_city_ingest::import_coinr(
        &idata,
        &args.idata.display().to_string(),
        &imeta,
        &args.imeta.display().to_string(),
        args.year,
    )
    .context("cannot import the COINr tables")?;
    healthy_city_ingest::write_coinr_import(&import, &args.out)
        .with_context(|| format!("cannot write the import to `{}`", args.out.display()))?;
    status(&format!(
        "wrote {} ({} observations); score it with `healthy-city run --framework {}`",
        healthy_city_ingest::COINR_FILES
            .map(|f| args.out.join(f).display().to_string())
            .join(", "),
        import.n_observations,
        args.out.join("framework.toml").display()
    ));
    Ok(())
}

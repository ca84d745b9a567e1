//! Observations as Parquet, through polars (the edge where DataFrames belong).

use std::io::Write;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use crate::error::{Error, Problem, Result};
use crate::observations::{Flag, Observation, Observations, COLUMNS};

fn parquet_error(file: &str, err: &PolarsError) -> Error {
    Error::Parquet {
        file: file.to_string(),
        message: err.to_string(),
    }
}

/// The observations as a polars DataFrame with the columns of [`COLUMNS`].
pub fn to_dataframe(observations: &Observations) -> PolarsResult<DataFrame> {
    let rows = observations.rows();
    let columns = vec![
        Column::new(
            "city".into(),
            rows.iter().map(|r| r.city.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "indicator".into(),
            rows.iter()
                .map(|r| r.indicator.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "year".into(),
            rows.iter().map(|r| r.year).collect::<Vec<_>>(),
        ),
        Column::new(
            "value".into(),
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            rows.iter().map(|r| r.source.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "flag".into(),
            rows.iter().map(|r| r.flag.as_str()).collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(rows.len(), columns)
}

pub(crate) fn write<W: Write>(observations: &Observations, out: W, file: &str) -> Result<()> {
    let mut frame = to_dataframe(observations).map_err(|e| parquet_error(file, &e))?;
    ParquetWriter::new(out)
        .finish(&mut frame)
        .map_err(|e| parquet_error(file, &e))?;
    Ok(())
}

pub(crate) fn read<R: MmapBytesReader>(reader: R, file: &str) -> Result<Observations> {
    let frame = ParquetReader::new(reader)
        .finish()
        .map_err(|e| parquet_error(file, &e))?;
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    if names != COLUMNS {
        return Err(Error::Parquet {
            file: file.to_string(),
            message: format!(
                "the columns are `{}`; observations need exactly `{}`",
                names.join(","),
                COLUMNS.join(",")
            ),
        });
    }
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let column = frame.column(name).map_err(|e| parquet_error(file, &e))?;
        let strings = column.str().map_err(|e| parquet_error(file, &e))?;
        Ok(strings.iter().map(|s| s.map(str::to_string)).collect())
    };
    let city = text("city")?;
    let indicator = text("indicator")?;
    let source = text("source")?;
    let flag = text("flag")?;
    let year_column = frame
        .column("year")
        .and_then(|c| c.cast(&DataType::Int32))
        .map_err(|e| parquet_error(file, &e))?;
    let year: Vec<Option<i32>> = year_column
        .i32()
        .map_err(|e| parquet_error(file, &e))?
        .iter()
        .collect();
    let value_column = frame
        .column("value")
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| parquet_error(file, &e))?;
    let value: Vec<Option<f64>> = value_column
        .f64()
        .map_err(|e| parquet_error(file, &e))?
        .iter()
        .collect();

    let mut rows = Vec::with_capacity(frame.height());
    let mut problems = Vec::new();
    for i in 0..frame.height() {
        let city = city[i].clone().unwrap_or_default();
        let indicator = indicator[i].clone().unwrap_or_default();
        let mut problem = |message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line: Some(i + 1),
                message: format!("row {}: {message}", i + 1),
            });
        };
        let flag = match flag[i].as_deref().unwrap_or("").parse::<Flag>() {
            Ok(f) => f,
            Err(message) => {
                problem(message);
                continue;
            }
        };
        match (year[i], value[i]) {
            (Some(year), Some(value)) if value.is_finite() => rows.push(Observation {
                city,
                indicator,
                year,
                value,
                source: source[i].clone().unwrap_or_default(),
                flag,
            }),
            _ => problem(format!(
                "city `{city}`, indicator `{indicator}`: year or value is missing or not a number"
            )),
        }
    }
    Error::check(problems)?;
    Ok(Observations::from_rows(rows, file))
}

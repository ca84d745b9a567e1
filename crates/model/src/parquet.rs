//! Observations as Parquet, through polars (the edge where DataFrames belong).

use std::io::Write;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use crate::error::{Error, Problem, Result};
use crate::observations::{Flag, Observation, Observations, COLUMNS, REQUIRED_COLUMNS};

fn parquet_error(file: &str, err: &PolarsError) -> Error {
    Error::Parquet {
        file: file.to_string(),
        message: err.to_string(),
    }
}

/// The observations as a polars DataFrame with the columns of [`COLUMNS`] (`low` and `high`
/// nullable Float64).
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
        Column::new(
            "low".into(),
            rows.iter().map(|r| r.low).collect::<Vec<Option<f64>>>(),
        ),
        Column::new(
            "high".into(),
            rows.iter().map(|r| r.high).collect::<Vec<Option<f64>>>(),
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
    let with_interval = names == COLUMNS;
    if !with_interval && names != REQUIRED_COLUMNS {
        return Err(Error::Parquet {
            file: file.to_string(),
            message: format!(
                "the columns are `{}`; observations need exactly `{}` (or without `low,high`)",
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
    let bound = |name: &str| -> Result<Vec<Option<f64>>> {
        if !with_interval {
            return Ok(vec![None; frame.height()]);
        }
        let column = frame
            .column(name)
            .and_then(|c| c.cast(&DataType::Float64))
            .map_err(|e| parquet_error(file, &e))?;
        Ok(column
            .f64()
            .map_err(|e| parquet_error(file, &e))?
            .iter()
            .collect())
    };
    let (low, high) = (bound("low")?, bound("high")?);

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
            (Some(year), Some(value)) if value.is_finite() => {
                let row = Observation {
                    city,
                    indicator,
                    year,
                    value,
                    source: source[i].clone().unwrap_or_default(),
                    flag,
                    low: low[i],
                    high: high[i],
                };
                match row.interval_problem() {
                    Some(message) => problem(message),
                    None => rows.push(row),
                }
            }
            _ => problem(format!(
                "city `{city}`, indicator `{indicator}`: year or value is missing or not a number"
            )),
        }
    }
    Error::check(problems)?;
    Ok(Observations::from_rows(rows, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_bytes(mut frame: DataFrame) -> Vec<u8> {
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        bytes
    }

    fn base_columns() -> Vec<Column> {
        vec![
            Column::new("city".into(), ["london"]),
            Column::new("indicator".into(), ["obesity"]),
            Column::new("year".into(), [2022i32]),
            Column::new("value".into(), [26.82f64]),
            Column::new("source".into(), ["gho-portal"]),
            Column::new("flag".into(), ["proxy"]),
        ]
    }

    #[test]
    fn reads_a_parquet_file_without_the_interval_columns() {
        let bytes = frame_bytes(DataFrame::new(1, base_columns()).unwrap());
        let obs = read(std::io::Cursor::new(bytes), "old.parquet").unwrap();
        assert_eq!(
            (obs.rows()[0].value, obs.rows()[0].low, obs.rows()[0].high),
            (26.82, None, None)
        );
    }

    #[test]
    fn rejects_a_parquet_interval_that_does_not_hold_the_value() {
        let mut columns = base_columns();
        columns.push(Column::new("low".into(), [Some(27.0f64)]));
        columns.push(Column::new("high".into(), [Some(29.9f64)]));
        let bytes = frame_bytes(DataFrame::new(1, columns).unwrap());
        let err = read(std::io::Cursor::new(bytes), "obs.parquet")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "obs.parquet:1: row 1: city `london`, indicator `obesity`, year 2022: `low` 27 is above `value` 26.82: the interval must hold the value (low <= value <= high)");
    }
}

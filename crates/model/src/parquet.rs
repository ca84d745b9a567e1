//! Observations as Parquet, through polars (the edge where DataFrames belong).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use crate::catalogue::Level;
use crate::error::{echo, Error, Problem, Result};
use crate::limits::{magnitude_problem, number, year_range, years_text, YEARS_VARIABLE};
use crate::observations::{Flag, Observation, Observations};

fn parquet_error(file: &str, err: &PolarsError) -> Error {
    Error::Parquet {
        file: file.to_string(),
        message: err.to_string(),
    }
}

/// The observations as a polars DataFrame with the columns of [`crate::COLUMNS`] (`low` and `high`
/// nullable Float64; `level` only when a row has one).
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
    let mut columns = columns;
    if observations.has_levels() {
        columns.push(Column::new(
            "level".into(),
            rows.iter()
                .map(|r| r.level.map(Level::as_str))
                .collect::<Vec<Option<&str>>>(),
        ));
    }
    DataFrame::new(rows.len(), columns)
}

pub(crate) fn write<W: Write>(observations: &Observations, out: W, file: &str) -> Result<()> {
    let mut frame = to_dataframe(observations).map_err(|e| parquet_error(file, &e))?;
    ParquetWriter::new(out)
        .finish(&mut frame)
        .map_err(|e| parquet_error(file, &e))?;
    Ok(())
}

/// What a Parquet column holds, as healthy-city reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text (plain, large, view or dictionary-encoded strings) or bytes read as text.
    Text,
    /// Integers of any width, signed or unsigned.
    Integer,
    /// Floating-point numbers (32 or 64 bits).
    Float,
    /// Fixed-point decimals (precision up to 38), read as their value.
    Decimal,
    /// Dates, date-times, times of day and durations.
    Temporal,
    /// Booleans.
    Boolean,
    /// A column whose type is null: every cell is empty.
    Empty,
}

/// One column of a Parquet file: its name, its type as the file states it, and how it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetColumn {
    /// The column's name.
    pub name: String,
    /// The file's type of the column, for messages (`Int16`, `Decimal(10, 2)`, `Date32`...).
    pub type_name: String,
    /// How it reads.
    pub kind: ColumnKind,
}

/// The column types healthy-city reads, for messages.
pub const ACCEPTED_TYPES: &str = "text (UTF-8 strings, plain or dictionary-encoded), integers of any width, floating-point numbers, decimals of precision up to 38, booleans, dates and times";

fn kind_of(dtype: &ArrowDataType) -> Option<ColumnKind> {
    use ArrowDataType as A;
    Some(match dtype {
        A::Utf8 | A::LargeUtf8 | A::Utf8View | A::Binary | A::LargeBinary | A::BinaryView => {
            ColumnKind::Text
        }
        A::Dictionary(_, values, _) => match kind_of(values) {
            Some(ColumnKind::Text) => ColumnKind::Text,
            _ => return None,
        },
        A::Int8 | A::Int16 | A::Int32 | A::Int64 | A::UInt8 | A::UInt16 | A::UInt32 | A::UInt64 => {
            ColumnKind::Integer
        }
        A::Float32 | A::Float64 => ColumnKind::Float,
        A::Decimal(precision, _) if *precision <= 38 => ColumnKind::Decimal,
        A::Date32 | A::Date64 | A::Timestamp(..) | A::Time32(_) | A::Time64(_) | A::Duration(_) => {
            ColumnKind::Temporal
        }
        A::Boolean => ColumnKind::Boolean,
        A::Null => ColumnKind::Empty,
        _ => return None,
    })
}

fn type_name(dtype: &ArrowDataType) -> String {
    use ArrowDataType as A;
    match dtype {
        A::Struct(_) => "struct".to_string(),
        A::Map(..) => "map".to_string(),
        A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => "list".to_string(),
        A::Decimal(p, s) | A::Decimal256(p, s) | A::Decimal32(p, s) | A::Decimal64(p, s) => {
            format!("decimal({p}, {s})")
        }
        A::FixedSizeBinary(n) => format!("fixed-size binary ({n} bytes)"),
        other => format!("{other:?}"),
    }
}

/// Reads a Parquet file's schema from its own column types (not the Arrow schema a writer may
/// have embedded, so that dictionary-encoded strings read as text) and checks every column:
/// each is returned with how it reads, or the whole is an error naming every column of a type
/// healthy-city cannot read (struct, map, list, 16-bit floats, 256-bit decimals...), its type
/// and the types accepted. No polars conversion is attempted on a column before this check,
/// so no column type can panic the reader.
pub fn parquet_columns<R: MmapBytesReader>(
    reader: &mut ParquetReader<R>,
) -> std::result::Result<Vec<ParquetColumn>, String> {
    let metadata = reader
        .get_metadata()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let mut stripped = (**metadata).clone();
    stripped.key_value_metadata = None;
    reader.set_metadata(std::sync::Arc::new(stripped));
    let schema = reader
        .schema()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let mut columns = Vec::new();
    let mut unreadable = Vec::new();
    for field in schema.iter_values() {
        let name = field.name.to_string();
        let type_name = type_name(&field.dtype);
        match kind_of(&field.dtype) {
            Some(kind) => columns.push(ParquetColumn {
                name,
                type_name,
                kind,
            }),
            None => unreadable.push(format!("column `{}` has type {type_name}", echo(&name))),
        }
    }
    if unreadable.is_empty() {
        Ok(columns)
    } else {
        Err(format!(
            "{}: healthy-city reads {ACCEPTED_TYPES}; write the column as one of those or leave it out",
            unreadable.join(", ")
        ))
    }
}

/// Reads a whole Parquet file after [`parquet_columns`] has checked every column's type.
/// The error is a message without the file's name (callers add it).
///
/// polars' Parquet decoder asserts on some damaged files (a page holding fewer values than
/// its header says, a bitmap shorter than its column) instead of returning an error; such a
/// panic is caught here and reported as a damaged file, and its message is kept off standard
/// error (see [`quiet_decoder_panics`]).
pub fn read_parquet_frame(
    bytes: &[u8],
) -> std::result::Result<(DataFrame, Vec<ParquetColumn>), String> {
    let slices = ParquetSlices::open(bytes, usize::MAX)?;
    let frame = slices.frame((0, slices.height), None)?;
    Ok((frame, slices.columns))
}

/// Most rows a Parquet file read by healthy-city may hold (the shipped observations hold about
/// 20,000): a damaged or hostile file claiming more would make the decoder allocate without bound.
pub const MAX_PARQUET_ROWS: usize = 50_000_000;

/// Largest page, compressed or not, accepted in a Parquet file (256 MiB).
const MAX_PAGE_BYTES: usize = 256 << 20;

/// Checks what polars' decoder trusts without checking: the row counts of the file and its row
/// groups, every column chunk's byte range, and every page header's value count and sizes.
fn check_pages(bytes: &[u8]) -> std::result::Result<(), String> {
    use polars_parquet::parquet::page::CompressedPage;
    use polars_parquet::parquet::read::{get_page_iterator, read_metadata};
    let damaged = |why: &str| {
        format!("the file is damaged: {why} (truncated or altered); write it again from its source")
    };
    let metadata = read_metadata(&mut std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    if metadata.num_rows > MAX_PARQUET_ROWS {
        return Err(format!(
            "the file says it holds {} rows; healthy-city reads at most {MAX_PARQUET_ROWS}",
            metadata.num_rows
        ));
    }
    let total = metadata
        .row_groups
        .iter()
        .try_fold(0usize, |sum, g| sum.checked_add(g.num_rows()));
    if total != Some(metadata.num_rows) {
        return Err(damaged("its row groups do not add up to its row count"));
    }
    let length = bytes.len() as u64;
    let buffer: polars_buffer::Buffer<u8> = bytes.to_vec().into();
    for group in &metadata.row_groups {
        let rows = group.num_rows();
        for column in group.parquet_columns() {
            let range = column.byte_range();
            if range.start > range.end || range.end > length {
                return Err(damaged("a column chunk lies outside the file"));
            }
            let values = usize::try_from(column.num_values()).ok();
            if values.is_none_or(|v| v > rows) {
                return Err(damaged(
                    "a column chunk holds more values than its row group has rows",
                ));
            }
            let pages = get_page_iterator(
                column,
                std::io::Cursor::new(buffer.clone()),
                Vec::new(),
                MAX_PAGE_BYTES,
            )
            .map_err(|e| damaged(&e.to_string()))?;
            for page in pages {
                match page.map_err(|e| damaged(&e.to_string()))? {
                    CompressedPage::Data(page) => {
                        if page.num_values() > rows
                            || page.num_rows().is_some_and(|n| n > rows)
                            || page.uncompressed_size() > MAX_PAGE_BYTES
                        {
                            return Err(damaged(
                                "a data page holds more values than its row group has rows",
                            ));
                        }
                    }
                    CompressedPage::Dict(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// Parquet reads in progress (see [`quiet_decoder_panics`]).
static READING: AtomicUsize = AtomicUsize::new(0);

/// Runs `decode`, a call into a third-party decoder (polars, calamine) that can panic on a
/// damaged file; `None` if it panicked. The panic's message is kept off standard error, since
/// the caller reports the file as damaged.
pub fn catch_decoder_panic<T>(decode: impl FnOnce() -> T) -> Option<T> {
    quiet_decoder_panics();
    READING.fetch_add(1, Ordering::SeqCst);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).ok();
    READING.fetch_sub(1, Ordering::SeqCst);
    out
}

/// Installs, once, a panic hook that keeps the messages of panics raised inside polars or
/// calamine while a file is being decoded off standard error (they are caught and reported as a damaged
/// file); every other panic goes to the hook that was installed before.
fn quiet_decoder_panics() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| {
                let file = l.file();
                file.contains("polars") || file.contains("calamine")
            });
            if !(in_decoder && READING.load(Ordering::SeqCst) > 0) {
                previous(info);
            }
        }));
    });
}

/// Rows decoded at a time by [`read`]: a large file is read slice by slice (whole row groups,
/// about this many rows), so that its decoded columns are never all held at once.
const SLICE_ROWS: usize = 1 << 20;

/// A Parquet file opened for reading by slices of whole row groups (see [`read`]): its
/// columns checked by [`parquet_columns`] and its pages by `check_pages`.
struct ParquetSlices<'a> {
    bytes: &'a [u8],
    metadata: polars::io::parquet::metadata::FileMetadataRef,
    columns: Vec<ParquetColumn>,
    /// `(first row, rows)` of each slice, in order.
    bounds: Vec<(usize, usize)>,
    height: usize,
}

impl<'a> ParquetSlices<'a> {
    fn open(bytes: &'a [u8], rows: usize) -> std::result::Result<Self, String> {
        let read = catch_decoder_panic(move || {
            let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
            let columns = parquet_columns(&mut reader)?;
            check_pages(bytes)?;
            let metadata = reader
                .get_metadata()
                .map_err(|e| format!("not a readable Parquet file: {e}"))?
                .clone();
            let mut bounds: Vec<(usize, usize)> = Vec::new();
            let mut first = 0;
            for group in &metadata.row_groups {
                match bounds.last_mut() {
                    Some((_, n)) if *n < rows => *n += group.num_rows(),
                    _ => bounds.push((first, group.num_rows())),
                }
                first += group.num_rows();
            }
            bounds.retain(|&(_, n)| n > 0);
            Ok(ParquetSlices {
                bytes,
                height: metadata.num_rows,
                metadata,
                columns,
                bounds,
            })
        });
        read.unwrap_or_else(|| Err(DAMAGED.to_string()))
    }

    /// The rows `first..first + rows`, or only `column` of them.
    fn frame(
        &self,
        (first, rows): (usize, usize),
        column: Option<&str>,
    ) -> std::result::Result<DataFrame, String> {
        let read = catch_decoder_panic(move || {
            let mut reader = ParquetReader::new(std::io::Cursor::new(self.bytes));
            reader.set_metadata(self.metadata.clone());
            reader
                .with_slice(Some((first, rows)))
                .with_columns(column.map(|c| vec![c.to_string()]))
                .finish()
                .map_err(|e| format!("not a readable Parquet file: {e}"))
        });
        read.unwrap_or_else(|| Err(DAMAGED.to_string()))
    }
}

const DAMAGED: &str = "the file is damaged: its data pages do not match its own description (truncated or altered); write it again from its source";

pub(crate) fn read(bytes: &[u8], file: &str) -> Result<Observations> {
    read_by(bytes, file, SLICE_ROWS)
}

/// [`read`] by slices of about `slice_rows` rows.
fn read_by(bytes: &[u8], file: &str, slice_rows: usize) -> Result<Observations> {
    let parquet = |message: String| Error::Parquet {
        file: file.to_string(),
        message,
    };
    let years = year_range()?;
    let slices = ParquetSlices::open(bytes, slice_rows).map_err(parquet)?;
    let columns = &slices.columns;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    crate::observations::column_positions(&names).map_err(parquet)?;
    if slices.height == 0 {
        return Err(parquet(
            "the observations file holds no observation: it has the columns but no row".to_string(),
        ));
    }
    let mut rows = Vec::with_capacity(slices.height);
    let mut problems = Vec::new();
    for (k, &bounds) in slices.bounds.iter().enumerate() {
        let frame = slices.frame(bounds, None).map_err(parquet)?;
        if frame.height() != bounds.1 {
            return Err(parquet(format!(
                "the file is damaged: rows {}-{} decode to {} rows; write the file again",
                bounds.0 + 1,
                bounds.0 + bounds.1,
                frame.height()
            )));
        }
        // A required column empty in every row is one problem, not one per row: the first
        // slice tells, and the whole column (alone) is read to check the rest.
        let empty_everywhere = |name: &str| -> std::result::Result<bool, String> {
            if k > 0
                || frame
                    .column(name)
                    .map_or(true, |c| c.null_count() < frame.height())
            {
                return Ok(false);
            }
            let whole = slices.frame((0, slices.height), Some(name))?;
            Ok(whole
                .column(name)
                .is_ok_and(|c| c.null_count() == whole.height()))
        };
        let empty = [
            empty_everywhere("city").map_err(parquet)?,
            empty_everywhere("indicator").map_err(parquet)?,
        ];
        read_slice(
            &frame,
            columns,
            bounds.0,
            empty,
            &years,
            file,
            &mut rows,
            &mut problems,
        )
        .map_err(parquet)?;
    }
    Error::check(problems)?;
    Ok(Observations::from_rows(rows, file))
}

/// The observations of one slice of a Parquet file, its first row at `first` (0-based) of the
/// file, into `rows`; row problems into `problems`. `Err`: the file's columns cannot be read
/// as observations (a message without the file's name). `empty`: the city and indicator
/// columns are empty in every row of the file.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
fn read_slice(
    frame: &DataFrame,
    columns: &[ParquetColumn],
    first: usize,
    empty: [bool; 2],
    years: &std::ops::RangeInclusive<i32>,
    file: &str,
    rows: &mut Vec<Observation>,
    problems: &mut Vec<Problem>,
) -> std::result::Result<(), String> {
    let kind = |name: &str| {
        columns
            .iter()
            .find(|c| c.name == name)
            .map_or(ColumnKind::Empty, |c| c.kind)
    };
    let type_of = |name: &str| {
        columns
            .iter()
            .find(|c| c.name == name)
            .map_or_else(String::new, |c| c.type_name.clone())
    };
    let mut schema_problems = Vec::new();
    let all_null = |name: &str| {
        frame
            .column(name)
            .is_ok_and(|c| c.null_count() == frame.height())
    };
    // A text column as polars holds it (`None`: empty in every row, or unreadable, said in
    // `problems`); its rows are read one by one below, never copied into a column of Strings.
    let text = |name: &str, required: bool, problems: &mut Vec<String>| -> Option<StringChunked> {
        // An optional column empty in this slice reads as absent in it; a required one is
        // empty only if it is in every row of the file (else each row says what it lacks).
        let empty_in_file = match name {
            "city" => empty[0],
            "indicator" => empty[1],
            _ => all_null(name),
        };
        let kind = if empty_in_file {
            ColumnKind::Empty
        } else {
            kind(name)
        };
        match kind {
            ColumnKind::Text => {
                let cast = frame.column(name).and_then(|c| c.cast(&DataType::String));
                match cast {
                    Ok(column) => match column.str() {
                        Ok(strings) => Some(strings.clone()),
                        Err(e) => {
                            problems.push(format!("column `{name}` cannot be read as text: {e}"));
                            None
                        }
                    },
                    Err(e) => {
                        problems.push(format!(
                            "column `{name}` cannot be read as text (is it UTF-8?): {e}"
                        ));
                        None
                    }
                }
            }
            ColumnKind::Empty if !required => None,
            ColumnKind::Empty => {
                problems.push(format!(
                    "column `{name}` is empty in every row: give each observation its {name}"
                ));
                None
            }
            _ => {
                problems.push(format!(
                    "column `{name}` has type {}: it must hold text",
                    type_of(name)
                ));
                None
            }
        }
    };
    let city = text("city", true, &mut schema_problems);
    let indicator = text("indicator", true, &mut schema_problems);
    let source = text("source", false, &mut schema_problems);
    let flag = text("flag", false, &mut schema_problems);
    let level = text("level", false, &mut schema_problems);
    // A number column as polars holds it, cast to 64-bit floats (`None`: empty in every row,
    // or unreadable, said in `problems`); read row by row below, never copied into a Vec.
    let numbers = |name: &str, problems: &mut Vec<String>| -> Option<Float64Chunked> {
        match kind(name) {
            ColumnKind::Integer | ColumnKind::Float | ColumnKind::Decimal => {
                let cast = frame.column(name).and_then(|c| c.cast(&DataType::Float64));
                if let Ok(Ok(values)) = cast.as_ref().map(|c| c.f64()) {
                    Some(values.clone())
                } else {
                    problems.push(format!(
                        "column `{name}` of type {} cannot be read as numbers",
                        type_of(name)
                    ));
                    None
                }
            }
            ColumnKind::Empty => None,
            ColumnKind::Temporal if name == "year" => {
                problems.push(format!(
                    "column `year` has type {}: write the year as an integer such as 2019, not a date",
                    type_of(name)
                ));
                None
            }
            _ => {
                problems.push(format!(
                    "column `{name}` has type {}: it must hold numbers (integers, floating-point or decimals)",
                    type_of(name)
                ));
                None
            }
        }
    };
    let year = numbers("year", &mut schema_problems);
    let value = numbers("value", &mut schema_problems);
    let low = numbers("low", &mut schema_problems);
    let high = numbers("high", &mut schema_problems);
    if !schema_problems.is_empty() {
        return Err(schema_problems.join("; "));
    }
    // A damaged file can decode to columns of different lengths (found by the large fuzz run):
    // every column must hold one value per row before any row is read.
    let height = frame.height();
    let lengths = [
        ("city", len_or(city.as_ref(), height)),
        ("indicator", len_or(indicator.as_ref(), height)),
        ("source", len_or(source.as_ref(), height)),
        ("flag", len_or(flag.as_ref(), height)),
        ("level", len_or(level.as_ref(), height)),
        ("year", len_or(year.as_ref(), height)),
        ("value", len_or(value.as_ref(), height)),
        ("low", len_or(low.as_ref(), height)),
        ("high", len_or(high.as_ref(), height)),
    ];
    if let Some((name, n)) = lengths.iter().find(|(_, n)| *n != frame.height()) {
        return Err(format!(
            "the file is damaged: column `{name}` decodes to {n} values for {} rows; write the file again",
            frame.height()
        ));
    }

    let (mut year_cells, mut value_cells, mut low_cells, mut high_cells) = (
        cells(year.as_ref().map(ChunkedArray::iter), height),
        cells(value.as_ref().map(ChunkedArray::iter), height),
        cells(low.as_ref().map(ChunkedArray::iter), height),
        cells(high.as_ref().map(ChunkedArray::iter), height),
    );
    let (mut city_cells, mut indicator_cells, mut source_cells) = (
        cells(city.as_ref().map(ChunkedArray::iter), height),
        cells(indicator.as_ref().map(ChunkedArray::iter), height),
        cells(source.as_ref().map(ChunkedArray::iter), height),
    );
    let (mut flag_cells, mut level_cells) = (
        cells(flag.as_ref().map(ChunkedArray::iter), height),
        cells(level.as_ref().map(ChunkedArray::iter), height),
    );
    for i in 0..frame.height() {
        // Each text is read from its column once, when its row is, and where a row is is
        // formatted only for a problem: at millions of rows, a string per row costs.
        let city = crate::Text::from(city_cells.next().flatten().unwrap_or_default());
        let indicator = crate::Text::from(indicator_cells.next().flatten().unwrap_or_default());
        let source_cell = source_cells.next().flatten();
        let flag_cell = flag_cells.next().flatten();
        let level_cell = level_cells.next().flatten();
        let (year_cell, value_cell) = (year_cells.next().flatten(), value_cells.next().flatten());
        let (low, high) = (low_cells.next().flatten(), high_cells.next().flatten());
        let i = first + i;
        let at = || {
            format!(
                "row {}: city `{}`, indicator `{}`",
                i + 1,
                echo(&city),
                echo(&indicator)
            )
        };
        let mut problem = |message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line: Some(i + 1),
                message,
            });
        };
        if city.trim().is_empty() || indicator.trim().is_empty() {
            problem(format!(
                "{}: the city and the indicator must both be given",
                at()
            ));
            continue;
        }
        let flag = match flag_cell.unwrap_or("").parse::<Flag>() {
            Ok(f) => f,
            Err(message) => {
                problem(format!("{}: {message}", at()));
                continue;
            }
        };
        let level = match level_cell.unwrap_or("") {
            "" => None,
            text => match text.parse::<Level>() {
                Ok(level) => Some(level),
                Err(message) => {
                    problem(format!("{}: {message}", at()));
                    continue;
                }
            },
        };
        let Some(year_number) = year_cell else {
            problem(format!("{}: the year is missing", at()));
            continue;
        };
        let year = match whole_year(year_number, years) {
            Ok(year) => year,
            Err(message) => {
                problem(format!("{}: {message}", at()));
                continue;
            }
        };
        let at = || format!("{}, year {year}", at());
        let Some(value) = value_cell else {
            problem(format!(
                "{}: the value is missing (leave a missing value out rather than writing an empty row)",
                at()
            ));
            continue;
        };
        if let Some(why) = magnitude_problem(value) {
            problem(format!("{}: the value {} {why}", at(), number(value)));
            continue;
        }
        let mut bad_bound = false;
        for (name, bound) in [("low", low), ("high", high)] {
            if let Some(why) = bound.and_then(magnitude_problem) {
                problem(format!(
                    "{}: `{name}` {} {why}",
                    at(),
                    number(bound.unwrap_or_default())
                ));
                bad_bound = true;
            }
        }
        if bad_bound {
            continue;
        }
        let row = Observation {
            city,
            indicator,
            year,
            value,
            source: source_cell.unwrap_or_default().into(),
            flag,
            low,
            high,
            level,
        };
        match row.interval_problem() {
            Some(message) => problem(format!("row {}: {message}", i + 1)),
            None => rows.push(row),
        }
    }
    Ok(())
}

/// The cells of a column, row by row (`height` missing cells for a column read as empty).
fn cells<'a, V: Clone + 'a>(
    column: Option<impl Iterator<Item = Option<V>> + 'a>,
    height: usize,
) -> Box<dyn Iterator<Item = Option<V>> + 'a> {
    match column {
        Some(cells) => Box::new(cells),
        None => Box::new(std::iter::repeat_n(None, height)),
    }
}

/// The length of a column read, `height` for one read as empty.
fn len_or<T: PolarsDataType>(column: Option<&ChunkedArray<T>>, height: usize) -> usize {
    column.map_or(height, ChunkedArray::len)
}

/// A year read as a number: whole, and within `years`.
fn whole_year(
    year: f64,
    years: &std::ops::RangeInclusive<i32>,
) -> std::result::Result<i32, String> {
    if !year.is_finite() || year.fract() != 0.0 {
        return Err(format!(
            "year {} is not a whole number: write the year as an integer such as 2019",
            number(year)
        ));
    }
    if year < f64::from(*years.start()) || year > f64::from(*years.end()) {
        return Err(format!(
            "year {} is outside the accepted years {}: fix the year, or set {YEARS_VARIABLE}=FIRST-LAST to accept others",
            number(year),
            years_text(years)
        ));
    }
    // Within an i32 range, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation)]
    Ok(year as i32)
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

    /// Twelve observations in row groups of `group` rows; `bad` (0-based) lacks its value.
    fn grouped(group: usize, bad: Option<usize>, city: bool) -> Vec<u8> {
        let n = 12;
        let mut frame = DataFrame::new(
            n,
            vec![
                Column::new(
                    "city".into(),
                    (0..n)
                        .map(|i| city.then(|| format!("c{}", i % 5)))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "indicator".into(),
                    (0..n).map(|i| format!("x{}", i / 5)).collect::<Vec<_>>(),
                ),
                Column::new("year".into(), vec![2020i32; n]),
                Column::new(
                    "value".into(),
                    (0..n)
                        .map(|i| (Some(i) != bad).then_some(i as f64 / 4.0))
                        .collect::<Vec<_>>(),
                ),
            ],
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(group))
            .finish(&mut frame)
            .unwrap();
        bytes
    }

    #[test]
    fn a_file_read_slice_by_slice_gives_the_rows_and_row_numbers_of_one_read_whole() {
        let bytes = grouped(3, None, true);
        let bounds = |rows| ParquetSlices::open(&bytes, rows).unwrap().bounds;
        assert_eq!(bounds(3), [(0, 3), (3, 3), (6, 3), (9, 3)]);
        assert_eq!(bounds(4), [(0, 6), (6, 6)]);
        assert_eq!(bounds(usize::MAX), [(0, 12)]);
        let whole = read_by(&bytes, "g.parquet", usize::MAX).unwrap();
        assert_eq!(whole.rows().len(), 12);
        for slice_rows in [1, 3, 4, 5] {
            let sliced = read_by(&bytes, "g.parquet", slice_rows).unwrap();
            assert_eq!(sliced.rows(), whole.rows(), "slices of {slice_rows} rows");
        }
        assert_eq!(whole.rows()[7].city.as_str(), "c2");
        assert_eq!(whole.rows()[7].indicator.as_str(), "x1");
        assert!((whole.rows()[7].value - 1.75).abs() < 1e-15);
        // A problem in the third slice names the file's row, not the slice's.
        let err = read_by(&grouped(3, Some(7), true), "g.parquet", 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "g.parquet:8: row 8: city `c2`, indicator `x1`, year 2020: the value is missing"
            ),
            "{err}"
        );
        // A required column empty in every row of every slice is one problem.
        let err = read_by(&grouped(3, None, false), "g.parquet", 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column `city` is empty in every row") && !err.contains("row 4"),
            "{err}"
        );
    }

    #[test]
    fn reads_a_parquet_file_without_the_interval_columns() {
        let bytes = frame_bytes(DataFrame::new(1, base_columns()).unwrap());
        let obs = read(&bytes, "old.parquet").unwrap();
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
        let err = read(&bytes, "obs.parquet").unwrap_err().to_string();
        assert_eq!(err, "obs.parquet:1: row 1: city `london`, indicator `obesity`, year 2022: `low` 27 is above `value` 26.82: the interval must hold the value (low <= value <= high)");
    }

    #[test]
    fn reads_a_parquet_file_of_the_four_required_columns_in_any_order() {
        let columns: Vec<Column> = base_columns().into_iter().take(4).rev().collect();
        let bytes = frame_bytes(DataFrame::new(1, columns).unwrap());
        let obs = read(&bytes, "mine.parquet").unwrap();
        let row = &obs.rows()[0];
        assert_eq!(
            (
                row.city.as_str(),
                row.indicator.as_str(),
                row.year,
                row.value
            ),
            ("london", "obesity", 2022, 26.82)
        );
        assert_eq!((row.source.as_str(), row.flag), ("", Flag::None));
        let mut columns = base_columns();
        columns.remove(2);
        columns.push(Column::new("notes".into(), ["x"]));
        let bytes = frame_bytes(DataFrame::new(1, columns).unwrap());
        let err = read(&bytes, "mine.parquet").unwrap_err().to_string();
        assert_eq!(err, "parquet file `mine.parquet`: the columns are `city,indicator,value,source,flag,notes` (`year` missing; `notes` is not an observations column): observations need `city,indicator,year,value`, and may add `source,flag,low,high,level` (in any order)");
    }
}

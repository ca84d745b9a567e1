//! Tests of the robustness checks (issue 12): every class of bad number, year, Parquet column
//! type and echoed value, with the error it gets.

use std::fmt::Write as _;
use std::sync::Arc;

use polars_arrow::array::{
    Array, BinaryViewArray, BooleanArray, NullArray, PrimitiveArray, StructArray, Utf8ViewArray,
};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, TimeUnit};
use polars_arrow::record_batch::RecordBatchT;
use polars_parquet::write::{
    CompressionOptions, Encoding, FileWriter, RowGroupIterator, StatisticsOptions, Version,
    WriteOptions,
};

use crate::{echo, Catalogue, Cities, Error, Framework, Observations, Problem, Scenario};

const CITIES: &str = "[[city]]\nid = \"london\"\nname = \"London\"\ncountry = \"GBR\"\nregion = \"Europe\"\nlatitude = 51.5\nlongitude = -0.1\n";
const HEADER: &str = "city,indicator,year,value,source,flag,low,high\n";

fn csv_error(rows: &str) -> String {
    Observations::from_csv(format!("{HEADER}{rows}").as_bytes(), "obs.csv")
        .unwrap_err()
        .to_string()
}

// ---------------------------------------------------------------- echo and problem lists

#[test]
fn echo_escapes_control_and_bidi_characters_and_cuts_long_values() {
    assert_eq!(echo("plain id"), "plain id");
    assert_eq!(
        echo("a\u{1b}[2J\r\u{7}\0\u{7f}\u{85}b"),
        "a\\u{1b}[2J\\u{d}\\u{7}\\u{0}\\u{7f}\\u{85}b"
    );
    assert_eq!(echo("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
    assert_eq!(echo(&"é".repeat(80)), "é".repeat(80));
    assert_eq!(
        echo(&"é".repeat(81)),
        format!("{}… (81 characters)", "é".repeat(60))
    );
}

#[test]
fn values_echoed_in_errors_are_escaped_and_cut() {
    let long = "y".repeat(10_000);
    let e = csv_error(&format!(
        "lon\u{1b}]0;pwned\u{7}don,pm25,2019,abc{long},s,,,\n"
    ));
    assert!(e.contains("city `lon\\u{1b}]0;pwned\\u{7}don`"), "{e}");
    assert!(e.contains("… (10003 characters)"), "{e}");
    assert!(!e.contains('\u{1b}') && e.len() < 400, "{e}");
    // A problem built elsewhere with a raw value is made safe when displayed.
    let p = Problem {
        file: "f\u{1b}.toml".to_string(),
        line: Some(3),
        message: format!("unknown key `{}\u{9b}`", "k".repeat(200)),
    };
    let shown = p.to_string();
    assert!(
        shown.starts_with("f\\u{1b}.toml:3: unknown key `kkk"),
        "{shown}"
    );
    assert!(shown.ends_with("… (201 characters)`"), "{shown}");
}

#[test]
fn an_echoed_value_is_cut_once_keeping_its_length() {
    // The unknown-city check echoes the id; the display's safety net must not cut the echo
    // again (which would replace the 10,000 characters by the echo's own length).
    let rows = format!("{},pm25,2019,1,s,,,\n", "a".repeat(10_000));
    let obs = Observations::from_csv(format!("{HEADER}{rows}").as_bytes(), "obs.csv").unwrap();
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let shown = obs.validate(&cities, &catalogue).unwrap_err().to_string();
    assert!(
        shown.contains(&format!(
            "unknown city `{}… (10000 characters)`",
            "a".repeat(60)
        )),
        "{shown}"
    );
}

#[test]
fn a_long_list_of_problems_stops_after_twenty_and_counts_the_rest_by_kind() {
    let mut rows = String::new();
    for i in 0..30 {
        let _ = writeln!(rows, "city{i},pm25,2019,1,s,,,");
    }
    rows.push_str("london,pm25,2019,1,s,,,\n");
    let obs = Observations::from_csv(format!("{HEADER}{rows}").as_bytes(), "obs.csv").unwrap();
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let err = obs.validate(&cities, &catalogue).unwrap_err();
    let Error::Invalid { problems } = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 30, "the full list stays available to code");
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[0], "30 problems found:");
    assert_eq!(lines.len(), 1 + 20 + 1, "{shown}");
    assert!(
        lines[21].starts_with(
            "  … and 10 more of the same kind, the first: obs.csv:22: unknown city `city20`"
        ),
        "{shown}"
    );
}

const CATALOGUE: &str = "[[indicator]]\nid = \"pm25\"\nname = \"P\"\nunit = \"u\"\ndirection = \"lower\"\nlevel = \"city\"\nsource = { adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n";

#[test]
fn an_empty_registry_catalogue_or_observations_file_says_so_in_one_line() {
    let e = Cities::parse("", "cities.toml").unwrap_err().to_string();
    assert_eq!(e, "cities.toml: the registry lists no city: a registry needs at least one unit (`[[city]]` entries with `id` and `name`, or CSV rows `id,name`)");
    let e = Catalogue::parse("# nothing\n", "catalogue.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "catalogue.toml: the catalogue lists no indicator: a catalogue needs at least one indicator (`[[indicator]]` entries with `id` and `direction`, or CSV rows `id,direction`)");
    let e = Observations::from_csv(HEADER.as_bytes(), "obs.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the observations file holds no observation"),
        "{e}"
    );
    let e = Observations::from_csv(b" \n", "obs.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "`obs.csv`: the observations file is empty: it needs the header `city,indicator,year,value` (optionally `,source,flag,low,high,level`) and one row per observation");
    // A registry built empty in memory is reported once, not once per row.
    let obs = Observations::from_csv(
        format!("{HEADER}a,pm25,2019,1,s,,,\nb,pm25,2019,1,s,,,\n").as_bytes(),
        "obs.csv",
    )
    .unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let e = obs
        .validate(&Cities::default(), &catalogue)
        .unwrap_err()
        .to_string();
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("lists no city"), "{e}");
}

// ---------------------------------------------------------------- observation values and years (CSV)

#[test]
fn csv_values_must_be_finite_and_at_most_1e15_in_magnitude() {
    for value in ["1e308", "-1e308", "1e16", "inf", "-inf", "NaN"] {
        let e = csv_error(&format!("london,pm25,2019,{value},s,,,\n"));
        assert!(
            e.starts_with(&format!(
                "obs.csv:2: city `london`, indicator `pm25`, year 2019: value `{value}`"
            )),
            "{value}: {e}"
        );
    }
    assert!(csv_error("london,pm25,2019,1e308,s,,,\n").contains("magnitude above 1e15"));
    assert!(csv_error("london,pm25,2019,inf,s,,,\n").contains("is infinite"));
    let e = csv_error("london,pm25,2019,5,s,,-1e300,\n");
    assert!(
        e.contains("year 2019: `low` `-1e300` has magnitude above 1e15"),
        "{e}"
    );
    // The bound itself is accepted.
    let ok = Observations::from_csv(
        format!("{HEADER}london,pm25,2019,-1e15,s,,,1e15\n").as_bytes(),
        "obs.csv",
    )
    .unwrap();
    assert_eq!(ok.rows()[0].value, -1e15);
}

#[test]
fn csv_years_must_be_whole_and_within_1800_to_2100() {
    let e = csv_error("london,pm25,2019.5,1,s,,,\n");
    assert!(e.contains("obs.csv:2: city `london`, indicator `pm25`: year `2019.5` is not a whole number: write the year as an integer such as 2019"), "{e}");
    for year in ["99999", "0", "-2019", "1799", "2101"] {
        let e = csv_error(&format!("london,pm25,{year},1,s,,,\n"));
        assert!(e.contains(&format!("obs.csv:2: city `london`, indicator `pm25`: year {year} is outside the accepted years 1800..=2100: fix the year, or set HEALTHY_CITY_YEARS=FIRST-LAST")), "{year}: {e}");
    }
    let e = csv_error("london,pm25,99999999999,1,s,,,\n");
    assert!(
        e.contains("year `99999999999` is not a whole number"),
        "{e}"
    );
    for year in ["1800", "2100"] {
        assert!(Observations::from_csv(
            format!("{HEADER}london,pm25,{year},1,s,,,\n").as_bytes(),
            "o"
        )
        .is_ok());
    }
}

#[test]
fn csv_rows_need_a_city_and_an_indicator() {
    let e = csv_error(",pm25,2019,1,s,,,\n");
    assert!(
        e.contains(
            "obs.csv:2: city ``, indicator `pm25`: the city and the indicator must both be given"
        ),
        "{e}"
    );
}

// ---------------------------------------------------------------- framework and scenario settings

const FRAMEWORK: &str = "[index]\nid = \"t\"\nname = \"T\"\n\n[methods]\nnormalisation = \"minmax\"\n\n[[group]]\nid = \"index\"\n\n[[indicator]]\nid = \"pm25\"\nparent = \"index\"\nweight = 1\n\n[[indicator]]\nid = \"no2\"\nparent = \"index\"\n";

fn framework_error(text: &str) -> String {
    Framework::parse(text, "f.toml").unwrap_err().to_string()
}

#[test]
fn node_weights_must_be_finite_and_from_0_to_1e12() {
    for weight in ["1e308", "1e13", "inf", "nan", "-1"] {
        let e = framework_error(&FRAMEWORK.replace("weight = 1", &format!("weight = {weight}")));
        assert!(e.contains("f.toml:12: `pm25` has weight"), "{weight}: {e}");
        assert!(
            e.contains("weights must be finite, not negative and at most 1e12"),
            "{e}"
        );
    }
    assert!(Framework::parse(&FRAMEWORK.replace("weight = 1", "weight = 1e12"), "f.toml").is_ok());
}

#[test]
fn the_generalised_mean_power_is_finite_non_zero_and_at_most_1000() {
    let with = |p: &str| {
        FRAMEWORK.replace(
            "normalisation = \"minmax\"",
            &format!("aggregation = {{ method = \"generalised\", p = {p} }}"),
        )
    };
    assert!(Framework::parse(&with("400"), "f.toml").is_ok());
    assert!(Framework::parse(&with("-1000"), "f.toml").is_ok());
    let e = framework_error(&with("1001"));
    assert!(
        e.contains("line 6") && e.contains("p = 1001 is outside the accepted -1000..=1000"),
        "{e}"
    );
    let e = framework_error(&with("0"));
    assert!(e.contains("must be finite and not 0"), "{e}");
    let e = framework_error(&with("inf"));
    assert!(e.contains("must be finite and not 0"), "{e}");
}

#[test]
fn goalposts_targets_scale_and_denominator_scale_are_bounded() {
    let indicator =
        |settings: &str| FRAMEWORK.replace("weight = 1\n", &format!("weight = 1\n{settings}\n"));
    let e = framework_error(&indicator(
        "normalisation = \"goalposts\"\ngoalposts = [0, 1e16]",
    ));
    assert!(e.contains("f.toml:12: indicator `pm25`: goalposts [0, 1e16] must be finite, at most 1e15 in magnitude, with lo < hi"), "{e}");
    let e = framework_error(&indicator(
        "normalisation = \"goalposts\"\ngoalposts = [5, 5]",
    ));
    assert!(e.contains("with lo < hi"), "{e}");
    let e = framework_error(&indicator("normalisation = \"dist2targ\"\ntarget = -inf"));
    assert!(
        e.contains("f.toml:12: indicator `pm25`: target -inf is infinite"),
        "{e}"
    );
    let e = framework_error(&indicator(
        "denominator = \"pop\"\ndenominator_scale = 1e300",
    ));
    assert!(
        e.contains("denominator_scale 1e300 must be a finite number above 0 and at most 1e15"),
        "{e}"
    );
    let e = framework_error(&FRAMEWORK.replace(
        "normalisation = \"minmax\"",
        "normalisation = \"minmax\"\nscale = [0, 1e308]",
    ));
    assert!(e.contains("f.toml:7: methods.scale [0, 1e308] must be two finite numbers, each at most 1e15 in magnitude"), "{e}");
    let e = framework_error(&FRAMEWORK.replace("normalisation = \"minmax\"", "round = 400"));
    assert!(
        e.contains("f.toml:6: methods.round = 400: scores can be rounded to at most 15 decimals"),
        "{e}"
    );
    let e =
        framework_error(&FRAMEWORK.replace("[methods]", "[data]\nyears = [0, 2019]\n\n[methods]"));
    assert!(
        e.contains("f.toml:6: data.years [0, 2019] must lie within the accepted years 1800..=2100"),
        "{e}"
    );
}

#[test]
fn transform_and_treatment_parameters_are_bounded() {
    let with = |treatment: &str| {
        FRAMEWORK.replace(
            "normalisation = \"minmax\"",
            &format!("treatment = {treatment}"),
        )
    };
    let e = framework_error(&with("{ method = \"boxcox\", lambda = 1e6 }"));
    assert!(
        e.contains("line 6")
            && e.contains("boxcox `lambda` 1000000 must be finite and within -10..=10"),
        "{e}"
    );
    assert!(Framework::parse(&with("{ method = \"boxcox\", lambda = -10 }"), "f.toml").is_ok());
    let e = framework_error(&with("{ method = \"winsorise\", skew_thresh = -2 }"));
    assert!(
        e.contains("winsorise needs `skew_thresh` and `kurt_thresh` above 0"),
        "{e}"
    );
    let e = framework_error(&with("{ method = \"winsorise\", kurt_thresh = nan }"));
    assert!(e.contains("kurt_thresh NaN"), "{e}");
    let e = framework_error(&with("{ method = \"winsorise\", winmax = 100000000000 }"));
    assert!(
        e.contains("`winmax` 100000000000 must be at most 1000000"),
        "{e}"
    );
    let e = framework_error(&FRAMEWORK.replace(
        "normalisation = \"minmax\"",
        "normalisation = { method = \"zscore\", mean = 0, sd = 1e300 }",
    ));
    assert!(
        e.contains("line 6") && e.contains("must each be at most 1e15 in magnitude"),
        "{e}"
    );
}

#[test]
fn scenario_weights_scale_and_round_are_bounded_with_their_lines() {
    let framework = Framework::parse(FRAMEWORK, "f.toml").unwrap();
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let apply = |text: &str| {
        Scenario::parse(text, "s.toml")
            .and_then(|s| s.apply(&framework, &cities))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let head = "[scenario]\nid = \"s\"\nname = \"S\"\n";
    let e = apply(&format!("{head}[weights]\npm25 = 1e308\n")).unwrap_err();
    assert!(e.contains("s.toml:5: weights.pm25: weight 1e308: weights must be finite, not negative and at most 1e12"), "{e}");
    let e = apply(&format!("{head}[weights]\npm25 = 0\nno2 = 0\n")).unwrap_err();
    assert!(
        e.contains("every child of group `index` has weight 0"),
        "{e}"
    );
    let e = apply(&format!(
        "{head}[methods]\nscale = [-1e300, 0]\nround = 99\n"
    ))
    .unwrap_err();
    assert!(
        e.contains(
            "s.toml:5: methods.scale [-1e300, 0] must be two finite numbers, each at most 1e15"
        ),
        "{e}"
    );
    assert!(e.contains("s.toml:6: methods.round = 99"), "{e}");
    let e = apply(&format!(
        "{head}[methods]\naggregation = {{ method = \"generalised\", p = 5000 }}\n"
    ))
    .unwrap_err();
    assert!(
        e.contains("line 5") && e.contains("p = 5000 is outside"),
        "{e}"
    );
    assert_eq!(apply(&format!("{head}[weights]\npm25 = 1e12\n")), Ok(()));
}

// ---------------------------------------------------------------- Parquet column types and years

fn leaves(dtype: &ArrowDataType) -> usize {
    match dtype {
        ArrowDataType::Struct(fields) => fields.iter().map(|f| leaves(&f.dtype)).sum(),
        ArrowDataType::List(f) | ArrowDataType::LargeList(f) | ArrowDataType::Map(f, _) => {
            leaves(&f.dtype)
        }
        _ => 1,
    }
}

/// A Parquet file of these columns, written with the Arrow writer polars uses (so that types
/// polars is built without can be written).
fn parquet(columns: Vec<(&str, Box<dyn Array>)>) -> Vec<u8> {
    let len = columns.first().map_or(0, |c| c.1.len());
    let schema: ArrowSchema = columns
        .iter()
        .map(|(n, a)| Field::new((*n).into(), a.dtype().clone(), true))
        .collect();
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V2,
        compression: CompressionOptions::Uncompressed,
        data_page_size: None,
    };
    let encodings: Vec<Vec<Encoding>> = schema
        .iter_values()
        .map(|f| match f.dtype {
            ArrowDataType::Dictionary(..) => vec![Encoding::RleDictionary],
            _ => vec![Encoding::Plain; leaves(&f.dtype)],
        })
        .collect();
    let arrays: Vec<Box<dyn Array>> = columns.into_iter().map(|(_, a)| a).collect();
    let chunk = RecordBatchT::new(len, Arc::new(schema.clone()), arrays);
    let groups = RowGroupIterator::try_new(
        vec![Ok(chunk)].into_iter(),
        &schema,
        options,
        encodings.into(),
    )
    .unwrap();
    let mut bytes = Vec::new();
    let mut writer = FileWriter::try_new(&mut bytes, schema, options).unwrap();
    for group in groups {
        writer.write(len as u64, group.unwrap()).unwrap();
    }
    writer.end(None).unwrap();
    bytes
}

fn text(values: &[&str]) -> Box<dyn Array> {
    Box::new(Utf8ViewArray::from_slice(
        values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
    ))
}

/// Observations columns with the year and value columns given (one row, London pm25).
fn observations(
    year: Box<dyn Array>,
    value: Box<dyn Array>,
) -> Vec<(&'static str, Box<dyn Array>)> {
    vec![
        ("city", text(&["london"])),
        ("indicator", text(&["pm25"])),
        ("year", year),
        ("value", value),
        ("source", text(&["s"])),
        ("flag", text(&[""])),
    ]
}

#[allow(clippy::needless_pass_by_value)] // Callers pass the file they just wrote.
fn read(bytes: Vec<u8>) -> crate::Result<Observations> {
    crate::parquet::read(&bytes, "obs.parquet")
}

fn f64s(v: f64) -> Box<dyn Array> {
    Box::new(PrimitiveArray::<f64>::from_slice([v]))
}

#[test]
fn parquet_years_of_any_integer_width_are_read() {
    let years: Vec<Box<dyn Array>> = vec![
        Box::new(PrimitiveArray::<i16>::from_slice([2019])),
        Box::new(PrimitiveArray::<u16>::from_slice([2019])),
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        Box::new(PrimitiveArray::<i64>::from_slice([2019])),
        Box::new(PrimitiveArray::<u32>::from_slice([2019])),
        Box::new(PrimitiveArray::<u64>::from_slice([2019])),
        Box::new(PrimitiveArray::<f64>::from_slice([2019.0])),
        Box::new(PrimitiveArray::<f32>::from_slice([2019.0])),
    ];
    for year in years {
        let dtype = format!("{:?}", year.dtype());
        let obs = read(parquet(observations(year, f64s(11.5)))).unwrap();
        assert_eq!(
            (obs.rows()[0].year, obs.rows()[0].value),
            (2019, 11.5),
            "{dtype}"
        );
    }
    // Small integer values and an 8-bit year (out of range, but read and then rejected).
    let obs = read(parquet(observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2020])),
        Box::new(PrimitiveArray::<u8>::from_slice([42])),
    )))
    .unwrap();
    assert_eq!(obs.rows()[0].value, 42.0);
    let e = read(parquet(observations(
        Box::new(PrimitiveArray::<i8>::from_slice([19])),
        f64s(1.0),
    )))
    .unwrap_err()
    .to_string();
    assert!(e.contains("obs.parquet:1: row 1: city `london`, indicator `pm25`: year 19 is outside the accepted years 1800..=2100"), "{e}");
}

#[test]
fn parquet_years_must_be_whole_in_range_and_not_dates() {
    for (year, expected) in [
        (2019.5, "year 2019.5 is not a whole number"),
        (
            99999.0,
            "year 99999 is outside the accepted years 1800..=2100",
        ),
        (0.0, "year 0 is outside"),
        (-2019.0, "year -2019 is outside"),
        (f64::NAN, "year NaN is not a whole number"),
    ] {
        let e = read(parquet(observations(f64s(year), f64s(1.0))))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "obs.parquet:1: row 1: city `london`, indicator `pm25`: {expected}"
            )),
            "{year}: {e}"
        );
    }
    let dates: Vec<Box<dyn Array>> = vec![
        Box::new(PrimitiveArray::<i32>::from_slice([17897]).to(ArrowDataType::Date32)),
        Box::new(
            PrimitiveArray::<i64>::from_slice([1])
                .to(ArrowDataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
    ];
    for year in dates {
        let e = read(parquet(observations(year, f64s(1.0))))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column `year` has type")
                && e.contains("write the year as an integer such as 2019, not a date"),
            "{e}"
        );
    }
}

#[test]
fn parquet_decimal_values_are_read_as_their_value() {
    let value = PrimitiveArray::<i128>::from_slice([1234]).to(ArrowDataType::Decimal(10, 2));
    let obs = read(parquet(observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        Box::new(value),
    )))
    .unwrap();
    // 1234 with scale 2 is 12.34, exactly as the nearest f64.
    assert_eq!(obs.rows()[0].value, 12.34);
}

#[test]
fn parquet_values_out_of_range_are_rejected_naming_the_row() {
    for (value, why) in [
        ("1e308", "has magnitude above 1e15"),
        ("inf", "is infinite"),
        ("NaN", "is not a number"),
    ] {
        let e = read(parquet(observations(
            Box::new(PrimitiveArray::<i32>::from_slice([2019])),
            f64s(value.parse().unwrap()),
        )))
        .unwrap_err()
        .to_string();
        assert!(e.contains(&format!("obs.parquet:1: row 1: city `london`, indicator `pm25`, year 2019: the value {value} {why}")), "{e}");
    }
}

#[test]
fn parquet_nested_and_unknown_column_types_are_errors_naming_the_column() {
    let nested = StructArray::new(
        ArrowDataType::Struct(vec![Field::new("x".into(), ArrowDataType::Utf8View, true)]),
        1,
        vec![text(&["a"])],
        None,
    );
    let mut columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns[4] = ("source", Box::new(nested));
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "parquet file `obs.parquet`: column `source` has type struct: healthy-city reads text"
        ),
        "{e}"
    );
    // A text column holding numbers, a number column holding text, booleans.
    let mut columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        text(&["12"]),
    );
    columns[1] = (
        "indicator",
        Box::new(PrimitiveArray::<i32>::from_slice([7])),
    );
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(
        e.contains("column `indicator` has type Int32: it must hold text"),
        "{e}"
    );
    assert!(
        e.contains("column `value` has type Utf8View: it must hold numbers"),
        "{e}"
    );
    let e = read(parquet(observations(
        Box::new(BooleanArray::from_slice([true])),
        f64s(1.0),
    )))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("column `year` has type Boolean: it must hold numbers"),
        "{e}"
    );
    // Bytes are read as text when they are UTF-8.
    let mut columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns[4] = (
        "source",
        Box::new(BinaryViewArray::from_slice([Some(b"who".as_slice())])),
    );
    assert_eq!(read(parquet(columns)).unwrap().rows()[0].source, "who");
}

#[test]
fn parquet_empty_null_extra_and_missing_columns_are_errors() {
    // No row.
    let empty = vec![
        ("city", text(&[])),
        ("indicator", text(&[])),
        (
            "year",
            Box::new(PrimitiveArray::<i32>::from_slice([])) as Box<dyn Array>,
        ),
        (
            "value",
            Box::new(PrimitiveArray::<f64>::from_slice([])) as Box<dyn Array>,
        ),
        ("source", text(&[])),
        ("flag", text(&[])),
    ];
    let e = read(parquet(empty)).unwrap_err().to_string();
    assert!(
        e.contains("the observations file holds no observation"),
        "{e}"
    );
    // An all-null value column; an all-null flag column is an empty flag.
    let mut columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        Box::new(NullArray::new(ArrowDataType::Null, 1)),
    );
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(
        e.contains("row 1: city `london`, indicator `pm25`, year 2019: the value is missing"),
        "{e}"
    );
    columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns[5] = ("flag", Box::new(NullArray::new(ArrowDataType::Null, 1)));
    assert!(read(parquet(columns)).is_ok());
    columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns[0] = ("city", Box::new(NullArray::new(ArrowDataType::Null, 1)));
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(e.contains("column `city` is empty in every row"), "{e}");
    // An extra column, a missing one.
    columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns.push(("note\u{1b}", text(&["x"])));
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(
        e.contains("(`note\\u{1b}` is not an observations column)"),
        "{e}"
    );
    columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    // `source` is optional; `year` is not.
    columns.remove(4);
    assert_eq!(read(parquet(columns.clone())).unwrap().rows()[0].source, "");
    columns.remove(2);
    let e = read(parquet(columns)).unwrap_err().to_string();
    assert!(e.contains("(`year` missing)"), "{e}");
}

#[test]
fn parquet_garbage_is_an_error_not_a_panic() {
    for bytes in [
        b"PAR1".to_vec(),
        b"PAR1\0\0\0\0PAR1".to_vec(),
        vec![0u8; 100],
        Vec::new(),
    ] {
        assert!(read(bytes).is_err());
    }
}

#[test]
fn a_parquet_file_damaged_at_any_byte_is_an_error_or_sound_never_a_panic_or_abort() {
    let bytes = parquet(observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(11.5),
    ));
    for at in 0..bytes.len() {
        for b in [0x00, 0xff, 0x7f] {
            let mut damaged = bytes.clone();
            damaged[at] = b;
            if let Ok(obs) = read(damaged) {
                for row in obs.rows() {
                    assert!((1800..=2100).contains(&row.year) && row.value.abs() <= 1e15);
                }
            }
        }
    }
}

#[test]
fn validate_rejects_values_and_years_out_of_range_in_observations_built_in_memory() {
    let row = |year: i32, value: f64| crate::Observation {
        city: "london".into(),
        indicator: "pm25".into(),
        year,
        value,
        source: "s".into(),
        flag: crate::Flag::None,
        low: None,
        high: None,
        level: None,
    };
    let obs = Observations::from_rows(
        vec![row(2019, 1e308), row(3000, 1.0)],
        "ingested observations",
    );
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let e = obs.validate(&cities, &catalogue).unwrap_err().to_string();
    assert!(e.contains("ingested observations:1: city `london`, indicator `pm25`, year 2019: `value` 1e308 has magnitude above 1e15"), "{e}");
    assert!(e.contains("ingested observations:2: city `london`, indicator `pm25`: year 3000 is outside the accepted years 1800..=2100"), "{e}");
}

#[test]
fn every_shipped_file_passes_the_new_checks() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../indicators");
    let cities = Cities::load(format!("{root}/cities.toml").as_ref()).unwrap();
    let catalogue = Catalogue::load(format!("{root}/catalogue.toml").as_ref()).unwrap();
    let observations =
        Observations::load(format!("{root}/snapshot/observations.csv").as_ref()).unwrap();
    observations.validate(&cities, &catalogue).unwrap();
    for framework in ["healthy-city", "lenstore-2021"] {
        let framework =
            Framework::load(format!("{root}/frameworks/{framework}.toml").as_ref()).unwrap();
        framework.check_catalogue(&catalogue).unwrap();
        if framework.id == "healthy-city" {
            for scenario in [
                "environment-led",
                "equal-weights",
                "outcome-led",
                "pca-weights",
            ] {
                Scenario::load(format!("{root}/scenarios/{scenario}.toml").as_ref())
                    .and_then(|s| s.apply(&framework, &cities))
                    .unwrap();
            }
        }
    }
    // The snapshot round-trips through Parquet under the new reader.
    let mut bytes = Vec::new();
    observations.write_parquet(&mut bytes).unwrap();
    assert_eq!(read(bytes).unwrap().rows(), observations.rows());
}

#[test]
fn parquet_dictionary_encoded_strings_are_read_as_text() {
    use polars::prelude::{ParquetReader, SerReader};
    use polars_arrow::array::{DictionaryArray, Utf8Array};
    let large: Box<dyn Array> = Box::new(Utf8Array::<i64>::from_slice(["london"]));
    let view: Box<dyn Array> = Box::new(Utf8ViewArray::from_slice([Some("pm25")]));
    let dictionary = |values: Box<dyn Array>| -> Box<dyn Array> {
        Box::new(
            DictionaryArray::<u32>::try_from_keys(
                PrimitiveArray::from_slice([0u32]),
                values,
                false,
            )
            .unwrap(),
        )
    };
    let mut columns = observations(
        Box::new(PrimitiveArray::<i32>::from_slice([2019])),
        f64s(1.0),
    );
    columns[0] = ("city", dictionary(large));
    columns[1] = ("indicator", dictionary(view));
    let bytes = parquet(columns);
    // The file declares the columns as dictionaries (which polars, built without categoricals,
    // cannot turn into a column)...
    let declared = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
        .schema()
        .unwrap();
    assert!(matches!(
        declared.get("city").unwrap().dtype,
        ArrowDataType::Dictionary(..)
    ));
    // ...and they are read as the text they hold.
    let obs = read(bytes).unwrap();
    assert_eq!(
        (
            obs.rows()[0].city.as_str(),
            obs.rows()[0].indicator.as_str()
        ),
        ("london", "pm25")
    );
}

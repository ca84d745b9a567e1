//! Fuzz suite for every ingest parser: each publisher's parser (a pure function of the body),
//! the generic table adapter and the COINr import, fed arbitrary bytes and structure-aware
//! mutations of a valid sample (numbers replaced by extreme values, fields by control
//! characters, empty or 10,000-character text, lines deleted or repeated, the file truncated,
//! bytes inserted).
//!
//! Each case asserts: no panic, no hang (the case runs under a 60 s watchdog), a result or an
//! error, and every value a parser accepts finite, within ±1e15 and with a year within
//! 1800..=2100. The number of cases per target is `HEALTHY_CITY_FUZZ_CASES` (default 64):
//!
//! ```text
//! HEALTHY_CITY_FUZZ_CASES=100000 cargo test -p healthy-city-ingest --test fuzz --release
//! ```

use std::io::Write as _;

use healthy_city_fuzzkit::{cases, watchdog};
use healthy_city_ingest::{
    import_coinr, parse_aqli_csv, parse_cdc_500_cities, parse_eurostat_csv, parse_eurostat_tsv,
    parse_gho_csv, parse_gho_odata, parse_jsonstat, parse_lenstore, parse_master_index,
    parse_oecd_fua_csv, parse_sdmx_json, parse_socrata, parse_table, parse_wb_api, parse_wdi_csv,
    parse_wdi_zip, parse_who_aap_csv, parse_who_aap_xlsx, Result, SourceTable,
};
use healthy_city_model::Columns;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Every value a parser accepted is finite, within ±1e15, with a year within 1800..=2100; its
/// error, if it failed, is printable and bounded (no input echoed whole).
fn check(what: &str, result: &Result<SourceTable>) {
    match result {
        Ok(table) => {
            for r in &table.records {
                assert!(
                    r.value.is_finite() && r.value.abs() <= 1e15,
                    "{what}: accepted value {} at {}",
                    r.value,
                    table.at(r.line)
                );
                assert!(
                    (1800..=2100).contains(&r.year),
                    "{what}: accepted year {} at {}",
                    r.year,
                    table.at(r.line)
                );
                for bound in [r.low, r.high].into_iter().flatten() {
                    assert!(
                        bound.is_finite() && bound.abs() <= 1e15,
                        "{what}: accepted interval bound {bound}"
                    );
                }
            }
        }
        Err(e) => check_message(what, &e.to_string()),
    }
}

/// An error message holds no control character but its own line breaks and is bounded.
fn check_message(what: &str, message: &str) {
    assert!(
        !message.chars().any(|c| c.is_control() && c != '\n'),
        "{what}: control character in {message:?}"
    );
    assert!(
        message.chars().count() < 20_000,
        "{what}: message of {} characters",
        message.chars().count()
    );
}

/// One structure-aware change to a sample.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the k-th number with an extreme text.
    Number(usize, &'static str),
    /// Replace the k-th field (between `,`, tab, `"`, `:` and line ends) with a text.
    Field(usize, String),
    /// Delete line k.
    DeleteLine(usize),
    /// Repeat line k.
    RepeatLine(usize),
    /// Keep the first k bytes (of 1024ths of the length).
    Truncate(usize),
    /// Insert a byte at k (of 1024ths of the length).
    Insert(usize, u8),
}

const EXTREMES: [&str; 23] = [
    "2000000000000",
    "4294967296",
    "18446744073709551615",
    "1e308",
    "-1e308",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0",
    "-0",
    "1e-320",
    "99999999999999999999999",
    "-99999999999999999999",
    "1e16",
    "-2019",
    "99999",
    "0",
    "2019.5",
    "1800",
    "2101",
    "",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{1b}]0;title\u{7}\u{1b}[2J".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        Just("\r\n\r\n".to_string()),
        Just(",,,".to_string()),
        Just("\t".to_string()),
        Just("null".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        Just("<html>".to_string()),
        Just("x".repeat(10_000)),
        Just("NA".to_string()),
        Just("\u{feff}".to_string()),
        "\\PC{0,12}",
        any::<String>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), prop::sample::select(EXTREMES.to_vec()))
            .prop_map(|(k, v)| Mutation::Number(k, v)),
        3 => (any::<usize>(), text_strategy()).prop_map(|(k, t)| Mutation::Field(k, t)),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::RepeatLine),
        1 => (0usize..1024).prop_map(Mutation::Truncate),
        1 => (0usize..1024, any::<u8>()).prop_map(|(k, b)| Mutation::Insert(k, b)),
    ]
}

/// Byte ranges of the numbers of a text (digits with `.`, `-`, `e`).
fn numbers(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_digit() {
            let start = if i > 0 && text[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut end = i;
            while end < text.len()
                && (text[end].is_ascii_digit() || matches!(text[end], b'.' | b'e' | b'E'))
            {
                end += 1;
            }
            out.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the fields of a text (between delimiters).
fn fields(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        if matches!(b, b',' | b'\t' | b'"' | b':' | b'\n' | b'\r') {
            if i > start {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    if text.len() > start {
        out.push((start, text.len()));
    }
    out
}

fn splice(bytes: &mut Vec<u8>, (start, end): (usize, usize), with: &[u8]) {
    bytes.splice(start..end, with.iter().copied());
}

fn lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if bytes.len() > start {
        out.push((start, bytes.len()));
    }
    out
}

fn apply(sample: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for m in mutations {
        match m {
            Mutation::Number(k, v) => {
                let found = numbers(&bytes);
                if !found.is_empty() {
                    splice(&mut bytes, found[k % found.len()], v.as_bytes());
                }
            }
            Mutation::Field(k, t) => {
                let found = fields(&bytes);
                if !found.is_empty() {
                    splice(&mut bytes, found[k % found.len()], t.as_bytes());
                }
            }
            Mutation::DeleteLine(k) => {
                let found = lines(&bytes);
                if !found.is_empty() {
                    splice(&mut bytes, found[k % found.len()], b"");
                }
            }
            Mutation::RepeatLine(k) => {
                let found = lines(&bytes);
                if !found.is_empty() {
                    let (s, e) = found[k % found.len()];
                    let line = bytes[s..e].to_vec();
                    splice(&mut bytes, (e, e), &line);
                }
            }
            Mutation::Truncate(k) => {
                let keep = bytes.len() * k / 1024;
                bytes.truncate(keep);
            }
            Mutation::Insert(k, b) => {
                let at = bytes.len() * k / 1024;
                bytes.insert(at, *b);
            }
        }
    }
    bytes
}

/// Arbitrary bytes, or the sample changed by one to four mutations.
fn input(sample: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..600),
        4 => prop::collection::vec(mutation(), 1..5).prop_map(move |m| apply(sample, &m)),
    ]
}

/// Runs `parse` on [`cases`] inputs derived from `sample`, each under the watchdog.
fn fuzz(name: &'static str, sample: &'static [u8], parse: fn(&[u8]) -> Result<SourceTable>) {
    // The sample itself parses: the mutations start from a valid file.
    let valid = parse(sample);
    assert!(
        valid.is_ok(),
        "{name}: the sample does not parse: {valid:?}"
    );
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&input(sample), |bytes| {
            let result = watchdog(name, move || parse(&bytes));
            check(name, &result);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

const WDI: &str = "\u{feff}\"Data Source\",\"World Development Indicators\",\r
\r
\"Last Updated Date\",\"2025-01-28\",\r
\r
\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2019\",\"2020\",\"2021\",\r
\"United Kingdom\",\"GBR\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"81.4048780487805\",\"80.3512195121951\",\"\",\r
\"Euro area\",\"EMU\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"82.1\",\"\",\"81.9\",\r
\"Hong Kong SAR, China\",\"HKG\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"\",\"85.4963414634146\",\"85.5\",\r
";

const WB_API: &str = r#"[{"page":1,"pages":1,"per_page":20000,"total":4,"sourceid":"2","lastupdated":"2026-07-13"},[{"indicator":{"id":"NY.GDP.MKTP.CD","value":"GDP (current US$)"},"country":{"id":"MX","value":"Mexico"},"countryiso3code":"MEX","date":"2025","value":1832641364775.52,"unit":"","obs_status":"","decimal":0},{"indicator":{"id":"NY.GDP.MKTP.CD","value":"GDP (current US$)"},"country":{"id":"MX","value":"Mexico"},"countryiso3code":"MEX","date":"2024","value":"1830489311088.89","unit":"","obs_status":"","decimal":0},{"indicator":{"id":"NY.GDP.MKTP.CD","value":"GDP (current US$)"},"country":{"id":"XC","value":"Euro area"},"countryiso3code":"EMU","date":"2025","value":null,"unit":"","obs_status":"","decimal":0}]]"#;

const GHO_CSV: &str = "IndicatorCode,Indicator,ValueType,ParentLocationCode,ParentLocation,Location type,SpatialDimValueCode,Location,Period type,Period,IsLatestYear,Dim1 type,Dim1,Dim1ValueCode,Dim2 type,Dim2,Dim2ValueCode,Dim3 type,Dim3,Dim3ValueCode,DataSourceDimValueCode,DataSource,FactValueNumericPrefix,FactValueNumeric,FactValueUoM,FactValueNumericLowPrefix,FactValueNumericLow,FactValueNumericHighPrefix,FactValueNumericHigh,Value,FactValueTranslationID,FactComments,Language,DateModified
NCD_BMI_30A,\"Prevalence of obesity among adults (%)\",numeric,EUR,Europe,Country,GBR,United Kingdom,Year,2022,true,Sex,Both sexes,SEX_BTSX,Age Group,18+  years,AGEGROUP_YEARS18-PLUS,,,,,,,26.82,,,23.9,,29.9,26.8 [23.9-29.9],,,EN,2024-02-28T23:00:00.000Z
NCD_BMI_30A,\"Prevalence of obesity among adults (%)\",numeric,,,WHO region,EUR,Europe,Year,2022,true,Sex,Both sexes,SEX_BTSX,Age Group,18+  years,AGEGROUP_YEARS18-PLUS,,,,,,,24.1,,,22.0,,26.0,24.1 [22.0-26.0],,,EN,2024-02-28T23:00:00.000Z
SA_0000001400,Alcohol,numeric,EMR,Eastern Mediterranean,Country,AFG,Afghanistan,Year,2020,true,Beverage Types,All types,ALCOHOLTYPE_SA_TOTAL,,,,,,,DATASOURCE_GISAHAFG,\"FAO\",,0.009,,,,,,0,,,EN,2024-08-11T22:00:00.000Z
";

const GHO_ODATA: &str = r#"{
  "@odata.context": "https://ghoapi.azureedge.net/api/$metadata#NCD_PAA",
  "value": [
    {"Id": 1, "IndicatorCode": "NCD_PAA", "SpatialDimType": "COUNTRY", "SpatialDim": "GBR",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_BTSX",
     "Value": "19.0 [15.0-23.5]", "NumericValue": 18.987, "Low": 15.0, "High": 23.5},
    {"Id": 2, "IndicatorCode": "NCD_PAA", "SpatialDimType": "REGION", "SpatialDim": "EUR",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_BTSX",
     "Value": "28.9 [26.1-32.0]", "NumericValue": 28.9},
    {"Id": 5, "IndicatorCode": "NCD_PAA", "SpatialDimType": "COUNTRY", "SpatialDim": "FRA",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2021, "Dim1": "SEX_BTSX",
     "Value": "No data", "NumericValue": null}
  ]
}"#;

const AAP: &str = "WHO Region,ISO3,WHO Country Name,City or Locality,Measurement Year,PM2.5 (μg/m3),PM10 (μg/m3),NO2 (μg/m3),Version of the database
Eur,GBR,United Kingdom,London,2019,11.41,20.51,34.83,2022
Amr,CAN,Canada,London,2019,7,,11,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,2022
Eur,DEU,Germany,Frankfurt Am Main,2013,16.94,23.27,,2016
";

const MASTER_INDEX: &str = "# Master Index Workbench v3.2.1 (released 2026-07-18)
city,measure_id,measure,area,subtheme,unit,direction,data_level,approx,value,year,source,note
London,LIV-01,Homicide rate,Liveable,Safety & Stability,per 100k,lower,Mixed,none,1.28,2023-25,\"ONS\",\"London region\"
Tokyo,LIV-01,Homicide rate,Liveable,Safety & Stability,per 100k,lower,Mixed,none,,n/a,\"Mixed\",\"NULL\"
London,GRN-02,Open space access,Green,Parks,%,higher,City,modelled,41.5,2020,UN-Habitat,
London,CMP-09,Something national,Competitive,X,%,higher,Country proxy,none,3.5,2024,OECD,
";

const LENSTORE: &str = "City,Rank,Sunshine hours(City),Cost of a bottle of water(City),Obesity levels(Country),Pollution(Index score) (City)
London,38,1633,£1.16,27.80%,58.91
Fukuoka,7,2769,£0.78,4.30%,
\"Washington, D.C.\",41,2528,£1.45,36.20%,-
";

const JSONSTAT: &str = r#"{"version":"2.0","class":"dataset","label":"Population on 1 January","source":"ESTAT","updated":"2025-06-20",
"id":["freq","indic_ur","cities","time"],"size":[1,1,2,3],
"dimension":{"freq":{"category":{"index":{"A":0}}},"indic_ur":{"category":{"index":{"DE1001V":0}}},
"cities":{"category":{"index":{"UK001C":0,"DE001C":1}}},"time":{"category":{"index":{"2020":0,"2021":1,"2022":2}}}},
"value":{"0":8961989,"2":9002488,"4":3677472},"status":{"2":"e","5":":"}}"#;

const EUROSTAT_TSV: &str = "freq,indic_ur,cities\\TIME_PERIOD\t2020 \t2021 \t2022 \nA,DE1001V,DE002F\t3100000\t3150000 e\t: \nA,DE1001V,DE004F\t:\t: c\t1080000\n";

const SDMX: &str = r#"{"meta":{"schema":"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json"},
"data":{"dataSets":[{"structure":0,"action":"Information","series":{
"0:0:0":{"observations":{"0":[81.2,0],"1":[80.1,1]}},
"1:0:0":{"observations":{"1":[82.9,null]}}}}],
"structures":[{"dimensions":{"series":[{"id":"REF_AREA","values":[{"id":"UKI"},{"id":"FR1"}]},{"id":"MEASURE","values":[{"id":"LFEXP"}]},{"id":"SEX","values":[{"id":"_T"}]}],
"observation":[{"id":"TIME_PERIOD","values":[{"id":"2019"},{"id":"2020"}]}]},
"attributes":{"observation":[{"id":"OBS_STATUS","values":[{"id":"A"},{"id":"E"}]}]}}]}}"#;

const SOCRATA: &str = r#"[{"year":"2021","stateabbr":"NY","statedesc":"New York","locationname":"New York","datasource":"BRFSS","measure":"Obesity among adults","data_value_unit":"%","data_value_type":"Age-adjusted prevalence","data_value":"25.1","low_confidence_limit":"24.8","high_confidence_limit":"25.4","measureid":"OBESITY","datavaluetypeid":"AgeAdjPrv"},
{"year":"2021","stateabbr":"NY","locationname":"New York","measureid":"OBESITY","datavaluetypeid":"CrdPrv"}]"#;

const TABLE: &str =
    "City,Year,PM2.5,Note\nLondon,2019,11.4,ok\nParis,2019,14.2,\nBerlin,2020,NA,missing\n";

fn table_columns() -> Columns {
    Columns {
        place: "City".to_string(),
        year: "Year".to_string(),
        value: None,
        measure: None,
        sheet: None,
        aliases: None,
    }
}

#[test]
fn fuzz_wdi_csv() {
    fuzz("wdi csv", WDI.as_bytes(), |b| parse_wdi_csv(b, "wdi.csv"));
}

#[test]
fn fuzz_wb_api() {
    fuzz("wb api", WB_API.as_bytes(), |b| {
        parse_wb_api(b, "wb").map(|(_, t)| t)
    });
}

#[test]
fn fuzz_gho_csv() {
    fuzz("gho csv", GHO_CSV.as_bytes(), |b| {
        parse_gho_csv(b, "gho.csv")
    });
}

#[test]
fn fuzz_gho_odata() {
    fuzz("gho odata", GHO_ODATA.as_bytes(), |b| {
        parse_gho_odata(b, "gho")
    });
}

#[test]
fn fuzz_who_aap_csv() {
    fuzz("who aap csv", AAP.as_bytes(), |b| {
        parse_who_aap_csv(b, "aap.csv")
    });
}

#[test]
fn fuzz_master_index() {
    fuzz("master index", MASTER_INDEX.as_bytes(), |b| {
        parse_master_index(b, "mi.csv")
    });
}

#[test]
fn fuzz_lenstore() {
    fuzz("lenstore", LENSTORE.as_bytes(), |b| {
        parse_lenstore(b, "lenstore.csv", 2021)
    });
}

#[test]
fn fuzz_jsonstat() {
    fuzz("jsonstat", JSONSTAT.as_bytes(), |b| {
        parse_jsonstat(b, "urb")
    });
}

#[test]
fn fuzz_eurostat_tsv() {
    fuzz("eurostat tsv", EUROSTAT_TSV.as_bytes(), |b| {
        parse_eurostat_tsv(b, "urb.tsv")
    });
}

#[test]
fn fuzz_sdmx_json() {
    fuzz("sdmx json", SDMX.as_bytes(), |b| parse_sdmx_json(b, "oecd"));
}

#[test]
fn fuzz_socrata() {
    fuzz("socrata", SOCRATA.as_bytes(), |b| {
        parse_socrata(b, "places")
    });
}

const EUROSTAT_CSV: &str = "indic_ur;cities;TIME_PERIOD;OBS_VALUE;OBS_FLAG;Observation status (Flag) V2 structure;CONF_STATUS;Confidentiality status (flag)\r
EN1002V;AT001C;2000;;;;C;confidential\r
EN2026V;UK001C;2013;36.70;;;;\r
SA2013V;NL;2019;;m;\"missing value; data cannot exist\";;\r
SA2029I;UK001C;2011;6;b;break in time series;;\r
";

const OECD_FUA: &str = "\"country\",\"city\",\"variable\",\"2018\",\"2019\",\"lon\",\"lat\"
\"Canada\",\"London\",\"Mean population exposure to PM2.5 air pollution\",7.5,7.4,-81.2452768,42.9849233
\"United Kingdom\",\"London\",\"Mean population exposure to PM2.5 air pollution\",11.4,11.1,-0.1275862,51.5072178
";

const AQLI: &str = "id,name,name0,population,pm2019,pm2018,who2019,who2018
1005,Berlin,Germany,3721033,11.67,14.03,0.65,0.88
187,,Aruba,117524,5.12,4.6,0.01,NA
";

const CITIES_500: &str = "StateAbbr,PlaceName,PlaceFIPS,Population2010,OBESITY_CrudePrev,OBESITY_Crude95CI,OBESITY_AdjPrev,OBESITY_Adj95CI,Geolocation
NY,New York,3651000,8175133,24.8,\"(24.8, 24.8)\",25.1,\"(25.1, 25.1)\",\"(40.69496068900, -73.9313850409)\"
AL,Montgomery,0151000,205764,,,36.5,\"( 36.2,  36.8)\",\"(32.3, -86.2)\"
";

#[test]
fn fuzz_eurostat_csv() {
    fuzz("eurostat csv", EUROSTAT_CSV.as_bytes(), |b| {
        parse_eurostat_csv(b, "urb.csv")
    });
}

#[test]
fn fuzz_oecd_fua_csv() {
    fuzz("oecd fua csv", OECD_FUA.as_bytes(), |b| {
        parse_oecd_fua_csv(b, "Pollution.csv")
    });
}

#[test]
fn fuzz_aqli_csv() {
    fuzz("aqli csv", AQLI.as_bytes(), |b| {
        parse_aqli_csv(b, "gadm1.csv")
    });
}

#[test]
fn fuzz_cdc_500_cities() {
    fuzz("cdc 500 cities", CITIES_500.as_bytes(), |b| {
        parse_cdc_500_cities(b, "500.csv", "2018")
    });
}

#[test]
fn fuzz_generic_table_csv() {
    fuzz("table csv", TABLE.as_bytes(), |b| {
        parse_table(b, "t.csv", &table_columns(), "PM2.5")
    });
}

/// The zip, XLSX and gzip readers: arbitrary bytes behind the `PK` or gzip signature, and a
/// valid archive (a WDI zip, an AAP workbook, a gzip Eurostat TSV, read by the TSV adapter and
/// the generic table) with bytes changed or cut.
#[test]
fn fuzz_zip_and_xlsx_containers() {
    let wdi_zip = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(
            "API_SP.DYN.LE00.IN_DS2_en_csv_v2_1.csv",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(WDI.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(parse_wdi_zip(&wdi_zip, "wdi.zip").is_ok());
    let xlsx = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, line) in AAP.lines().enumerate() {
            for (c, cell) in line.split(',').enumerate() {
                let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
                match cell.parse::<f64>() {
                    Ok(v) => sheet.write_number(r, c, v).unwrap(),
                    Err(_) => sheet.write_string(r, c, cell).unwrap(),
                };
            }
        }
        book.save_to_buffer().unwrap()
    };
    assert!(parse_who_aap_xlsx(&xlsx, "aap.xlsx").is_ok());
    let tsv_gz = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(EUROSTAT_TSV.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    assert!(parse_eurostat_tsv(&tsv_gz, "urb.tsv.gz").is_ok());
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let container = |valid: Vec<u8>| {
        let magic = valid[..2].to_vec();
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..600).prop_map(move |mut b| {
                b.splice(0..0, magic.iter().copied());
                b
            }),
            (
                prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
                0usize..=1024
            )
                .prop_map(move |(changes, keep)| {
                    let mut b = valid.clone();
                    for (at, byte) in changes {
                        let at = at % b.len();
                        b[at] = byte;
                    }
                    b.truncate((b.len() * keep / 1024).max(4));
                    b
                }),
        ]
    };
    runner
        .run(
            &(container(wdi_zip), container(xlsx), container(tsv_gz)),
            |(zip, xlsx, gz)| {
                let (a, b, c, d, e) = watchdog("containers", move || {
                    (
                        parse_wdi_zip(&zip, "wdi.zip"),
                        parse_who_aap_xlsx(&xlsx, "aap.xlsx"),
                        parse_table(&xlsx, "t.xlsx", &table_columns(), "PM2.5"),
                        parse_eurostat_tsv(&gz, "urb.tsv.gz"),
                        parse_table(&gz, "t.csv.gz", &table_columns(), "PM2.5"),
                    )
                });
                check("wdi zip", &a);
                check("aap xlsx", &b);
                check("table xlsx", &c);
                check("eurostat tsv gz", &d);
                check("table csv gz", &e);
                Ok(())
            },
        )
        .unwrap();
}

const IMETA: &str = "Level,iCode,iName,Direction,Weight,Parent,Type,Unit,Target
1,LIV_04,Life expectancy,1,2,Health,Indicator,years,85
1,GRN_01,PM2.5,-1,1,Env,Indicator,,
2,Health,Health,1,1,Index,Aggregate,,
2,Env,Environment,1,3,Index,Aggregate,,
3,Index,The index,1,1,,Aggregate,,
,Region,Region,,,,Group,,
,Time,Time,,,,Other,,
";
const IDATA: &str = "uCode,uName,Region,Time,LIV_04,GRN_01
SIN,Singapore,Asia,2019,83.9,12
LON,London,Europe,2019,,9.5
LON,London,Europe,2020,81.2,9.1
";

/// The COINr import over mutated iMeta and iData together: an import either fails with a
/// printable error or gives observations whose every value is finite, within ±1e15, with a
/// year within 1800..=2100, and a framework whose every weight is a finite number, 0 or more.
#[test]
fn fuzz_coinr_import() {
    let valid = import_coinr(
        IDATA.as_bytes(),
        "iData.csv",
        IMETA.as_bytes(),
        "iMeta.csv",
        None,
        None,
    );
    assert!(valid.is_ok(), "{valid:?}");
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(input(IMETA.as_bytes()), input(IDATA.as_bytes())),
            |(meta, data)| {
                let result = watchdog("coinr", move || {
                    import_coinr(&data, "iData.csv", &meta, "iMeta.csv", None, None)
                });
                match result {
                    Ok(import) => {
                        for line in import.observations.lines().skip(1) {
                            let cells: Vec<&str> = line.split(',').collect();
                            let year: i32 = cells[2].parse().unwrap();
                            let value: f64 = cells[3].parse().unwrap();
                            assert!((1800..=2100).contains(&year), "{line}");
                            assert!(value.is_finite() && value.abs() <= 1e15, "{line}");
                        }
                        for line in import.framework.lines() {
                            if let Some(w) = line.strip_prefix("weight = ") {
                                let w: f64 = w.parse().unwrap();
                                assert!(w.is_finite() && w >= 0.0, "{line}");
                            }
                        }
                    }
                    Err(e) => check_message("coinr", &e.to_string()),
                }
                Ok(())
            },
        )
        .unwrap();
}

/// A 10 MB field (a place, a value, a year) is never echoed whole: every parser's error is
/// short, its input cut to 60 characters and its length.
#[test]
fn a_ten_megabyte_field_is_cut_in_every_error() {
    let huge = "9".repeat(10_000_000);
    let place = format!("\u{1b}[2J{}", "L".repeat(10_000_000));
    let cases: Vec<(&str, Result<SourceTable>)> = vec![
        (
            "wdi",
            parse_wdi_csv(WDI.replace("82.1", &format!("x{huge}")).as_bytes(), "w"),
        ),
        (
            "gho",
            parse_gho_csv(
                GHO_CSV.replace("26.82", &format!("x{huge}")).as_bytes(),
                "g",
            ),
        ),
        (
            "aap",
            parse_who_aap_csv(AAP.replace("2013", &huge).as_bytes(), "a"),
        ),
        (
            "lenstore",
            parse_lenstore(
                LENSTORE.replace("1633", &format!("x{huge}")).as_bytes(),
                "l",
                2021,
            ),
        ),
        (
            "master index",
            parse_master_index(
                MASTER_INDEX.replace("41.5", &format!("x{huge}")).as_bytes(),
                "m",
            ),
        ),
        (
            "table value",
            parse_table(
                TABLE.replace("11.4", &huge).as_bytes(),
                "t",
                &table_columns(),
                "PM2.5",
            ),
        ),
        (
            "table year",
            parse_table(
                TABLE
                    .replace("London,2019", &format!("{place},{huge}"))
                    .as_bytes(),
                "t",
                &table_columns(),
                "PM2.5",
            ),
        ),
        (
            "socrata",
            parse_socrata(SOCRATA.replace("25.1", &format!("x{huge}")).as_bytes(), "c"),
        ),
        (
            "tsv",
            parse_eurostat_tsv(
                EUROSTAT_TSV
                    .replace("1080000", &format!("x{huge}"))
                    .as_bytes(),
                "e",
            ),
        ),
    ];
    for (name, result) in cases {
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.is_empty(), "{name}: accepted");
        assert!(
            message.chars().count() < 1000,
            "{name}: {} characters",
            message.chars().count()
        );
        assert!(
            message.contains("(10000001 characters)")
                || message.contains("(10000000 characters)")
                || message.contains("(10000004 characters)"),
            "{name}: {message}"
        );
        check_message(name, &message);
    }
    let meta = IMETA.replace("The index", &place);
    let data = IDATA.replace("83.9", &format!("x{huge}"));
    let message = import_coinr(
        data.as_bytes(),
        "iData.csv",
        meta.as_bytes(),
        "iMeta.csv",
        None,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(message.chars().count() < 1000, "coinr: {message}");
    assert!(message.contains("… (10000001 characters)"), "{message}");
}

/// Every parser rejects a value beyond ±1e15 and a year outside 1800..=2100, naming the file,
/// the position, the place and the year.
#[test]
fn every_parser_rejects_a_huge_value_and_a_year_out_of_range() {
    type Parse = fn(&[u8]) -> Result<SourceTable>;
    /// A text of the sample and what replaces it.
    type Change = (&'static str, &'static str);
    type Target = (
        &'static str,
        &'static str,
        Parse,
        Change,
        Change,
        &'static str,
    );
    let targets: [Target; 12] = [
        (
            "wdi",
            WDI,
            |b| parse_wdi_csv(b, "wdi.csv"),
            ("\"82.1\"", "\"1e300\""),
            ("\"2019\"", "\"2200\""),
            "`wdi.csv` line 7: place `EMU`, measure `SP.DYN.LE00.IN`, year 2019:",
        ),
        (
            "wb api",
            WB_API,
            |b| parse_wb_api(b, "wb").map(|(_, t)| t),
            ("1832641364775.52", "1e300"),
            ("\"2025\"", "\"2200\""),
            "`wb` record 1: place `MEX`",
        ),
        (
            "gho csv",
            GHO_CSV,
            |b| parse_gho_csv(b, "gho.csv"),
            (",0.009,", ",1e300,"),
            (",2020,", ",2200,"),
            "`gho.csv` line 4: place `AFG`, measure `SA_0000001400`",
        ),
        (
            "gho odata",
            GHO_ODATA,
            |b| parse_gho_odata(b, "gho"),
            (
                "\"NumericValue\": 18.987, \"Low\": 15.0, \"High\": 23.5",
                "\"NumericValue\": 1e300",
            ),
            ("\"TimeDim\": 2022", "\"TimeDim\": 2200"),
            "`gho` record 1: place `GBR`",
        ),
        (
            "aap",
            AAP,
            |b| parse_who_aap_csv(b, "aap.csv"),
            ("16.94", "1e300"),
            ("2013", "2200"),
            "`aap.csv` line 5: place `DEU/Frankfurt Am Main`",
        ),
        (
            "master index",
            MASTER_INDEX,
            |b| parse_master_index(b, "mi.csv"),
            ("41.5", "1e300"),
            ("", ""),
            "`mi.csv` line 5: place `London`, measure `GRN-02`",
        ),
        (
            "jsonstat",
            JSONSTAT,
            |b| parse_jsonstat(b, "urb"),
            ("8961989", "1e300"),
            ("\"2020\":0", "\"2200\":0"),
            "place `UK001C`",
        ),
        (
            "tsv",
            EUROSTAT_TSV,
            |b| parse_eurostat_tsv(b, "urb.tsv"),
            ("1080000", "1e300"),
            ("2022 ", "2200 "),
            "`urb.tsv` line 3: place `DE004F`",
        ),
        (
            "sdmx",
            SDMX,
            |b| parse_sdmx_json(b, "oecd"),
            ("81.2", "1e300"),
            ("{\"id\":\"2019\"}", "{\"id\":\"2200\"}"),
            "place `UKI`",
        ),
        (
            "socrata",
            SOCRATA,
            |b| parse_socrata(b, "places"),
            ("\"25.1\"", "\"1e300\""),
            ("\"year\":\"2021\"", "\"year\":\"2200\""),
            "`places` record 1: place `NY/New York`",
        ),
        (
            "table",
            TABLE,
            |b| parse_table(b, "t.csv", &table_columns(), "PM2.5"),
            ("11.4", "1e300"),
            ("London,2019", "London,2200"),
            "`t.csv` line 2: place `London`",
        ),
        (
            "lenstore",
            LENSTORE,
            |b| parse_lenstore(b, "l.csv", 2021),
            ("1633", "1e300"),
            ("", ""),
            "`l.csv` line 2: place `London`",
        ),
    ];
    for (name, sample, parse, (value, huge), (year, far), at) in targets {
        let text = sample.replacen(value, huge, 1);
        assert_ne!(text, sample, "{name}: the sample has no `{value}`");
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(at), "{name}: {err}");
        assert!(
            err.contains("the value `1e300` is beyond ±1e15, the largest magnitude accepted"),
            "{name}: {err}"
        );
        if !year.is_empty() {
            let text = sample.replacen(year, far, 1);
            assert_ne!(text, sample, "{name}: the sample has no `{year}`");
            let err = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(
                err.contains("year 2200: the year 2200 is outside 1800..=2100"),
                "{name}: {err}"
            );
        }
    }
    // The Master Index's free-text year names no year beyond 2100.
    let err = parse_master_index(
        MASTER_INDEX.replace(",2020,", ",2200,").as_bytes(),
        "mi.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("has no reference year (`year` is `2200`)"),
        "{err}"
    );
    // Lenstore's year is the catalogue release's.
    let err = parse_lenstore(LENSTORE.as_bytes(), "l.csv", 3000)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the year 3000 is outside 1800..=2100"),
        "{err}"
    );
}

/// The generic table adapter's Parquet reader: arbitrary bytes behind the `PAR1` signature,
/// and a valid file with values replaced by extremes (1e308, NaN, infinities, years far out)
/// or with bytes changed or cut.
#[test]
fn fuzz_generic_table_parquet() {
    use polars::prelude::{df, ParquetWriter};
    let parquet = |values: [f64; 2], years: [i32; 2]| {
        let mut frame = df!(
            "City" => ["London", "Paris"],
            "Year" => years,
            "PM2.5" => values
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        bytes
    };
    let valid = parquet([11.4, 14.2], [2019, 2020]);
    assert!(parse_table(&valid, "t.parquet", &table_columns(), "PM2.5").is_ok());
    let extremes = [
        1e308,
        -1e308,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e-320,
        1e16,
    ];
    let years = [2019, 1799, 2101, 99_999, 0, -2019, i32::MAX, i32::MIN];
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600).prop_map(|mut b| {
            b.splice(0..0, *b"PAR1");
            b
        }),
        (
            prop::sample::select(extremes.to_vec()),
            prop::sample::select(years.to_vec())
        )
            .prop_map(move |(v, y)| parquet([v, 1.0], [y, 2020])),
        (
            prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            0usize..=1024
        )
            .prop_map(move |(changes, keep)| {
                let mut b = valid.clone();
                for (at, byte) in changes {
                    let at = at % b.len();
                    b[at] = byte;
                }
                b.truncate((b.len() * keep / 1024).max(4));
                b
            }),
    ];
    runner
        .run(&strategy, |bytes| {
            let result = watchdog("table parquet", move || {
                parse_table(&bytes, "t.parquet", &table_columns(), "PM2.5")
            });
            check("table parquet", &result);
            Ok(())
        })
        .unwrap();
}

/// A workbook of a few kilobytes whose two cells are far apart (A1 and a cell a million rows
/// and 16,000 columns away) would be terabytes as one dense range: it is read cell by cell
/// and either parsed or refused, never an aborted process.
#[test]
fn a_sparse_workbook_is_not_read_as_a_dense_range() {
    let sparse = |far: &[(u32, u16)]| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, name) in [
            "ISO3",
            "City or Locality",
            "Measurement Year",
            "PM2.5 (μg/m3)",
            "City",
            "Year",
        ]
        .iter()
        .enumerate()
        {
            sheet
                .write_string(0, u16::try_from(c).unwrap(), *name)
                .unwrap();
        }
        sheet.write_string(1, 0, "GBR").unwrap();
        sheet.write_string(1, 1, "London").unwrap();
        sheet.write_number(1, 2, 2019.0).unwrap();
        sheet.write_number(1, 3, 11.4).unwrap();
        sheet.write_string(1, 4, "London").unwrap();
        sheet.write_number(1, 5, 2019.0).unwrap();
        for &(r, c) in far {
            sheet.write_string(r, c, "x").unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let columns = Columns {
        place: "City".to_string(),
        year: "Year".to_string(),
        value: Some("PM2.5 (μg/m3)".to_string()),
        measure: None,
        sheet: None,
        aliases: None,
    };
    // One far cell, a million rows down: only the rows that hold cells are read, and the far
    // row is named by its own number (its year is empty).
    let bytes = sparse(&[(1_000_000, 16_000)]);
    let err = watchdog("sparse", move || parse_who_aap_xlsx(&bytes, "aap.xlsx"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "`aap.xlsx` row 1000001: `/`: measurement year `` is not a whole number"
    );
    let bytes = sparse(&[(1_000_000, 16_000)]);
    let err = parse_table(&bytes, "t.xlsx", &columns, "pm25")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("`t.xlsx` row 1000001: place ``"), "{err}");
    // Without it, the rows read are the sheet's.
    let table = parse_table(&sparse(&[]), "t.xlsx", &columns, "pm25").unwrap();
    assert_eq!(
        (
            table.records[0].place.as_str(),
            table.records[0].line,
            table.records[0].value
        ),
        ("London", 2, 11.4)
    );
    // 4,000 rows each with a cell in column 16,000: 64 million cells, refused (at 10 million).
    let far: Vec<(u32, u16)> = (10..4010).map(|r| (r, 16_000)).collect();
    let bytes = sparse(&far);
    let err = parse_who_aap_xlsx(&bytes, "aap.xlsx")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "`aap.xlsx`: sheet `Sheet1` spreads over more than 10000000 cells: is it the publisher's workbook?"
    );
    assert!(parse_table(&bytes, "t.xlsx", &columns, "pm25")
        .unwrap_err()
        .to_string()
        .contains("spreads over more than 10000000 cells"));
}

/// A column name with escape sequences is escaped in the position an error names too.
#[test]
fn an_escape_sequence_in_a_column_name_is_escaped_in_the_position() {
    let data = IDATA.replace("GRN_01\n", "GRN_01,\u{1b}]0;title\u{7}\n");
    let err = import_coinr(
        data.as_bytes(),
        "iData.csv",
        IMETA.as_bytes(),
        "iMeta.csv",
        None,
        None,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "`iData.csv` line 1, column `\\u{1b}]0;title\\u{7}`: column `\\u{1b}]0;title\\u{7}` is not in iMeta: add a row for it (Type `Other` to keep it out of the index) or drop the column"
    );
}

/// A workbook from the 100,000-case run whose cells refer to shared strings it does not hold:
/// calamine indexed past its table and panicked; it is an error naming the damaged sheet.
#[test]
fn a_workbook_whose_cells_refer_to_missing_shared_strings_is_an_error() {
    let bytes = include_bytes!("data/damaged-shared-strings.xlsx");
    let result = watchdog("damaged workbook", move || {
        healthy_city_ingest::parse_who_aap_xlsx(bytes, "aap.xlsx").map(|t| t.records.len())
    });
    let err = result
        .expect_err("a damaged workbook is an error")
        .to_string();
    assert!(err.contains("is damaged"), "{err}");
}

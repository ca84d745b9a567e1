//! The European city registry, generated from the Urban Audit city list of the Masselot et al.
//! (2023) panel: one `[[city]]` per Urban Audit code, with the code as its `eurostat` alias.
//!
//! Nothing is matched by guesswork. A city's id and name come from the world registry when a
//! world city carries the code as its `eurostat` alias (so London is `london` in both
//! indices); every other city takes its English label. Coordinates and population are the
//! source's; the country is the Eurostat code's ISO 3166-1 alpha-3 (Eurostat writes `UK` and
//! `EL` for the United Kingdom and Greece).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use healthy_city_model::Cities;

use crate::error::{Error, Result};
use crate::read::{csv_with_header, data_line, gunzip_if_gzip};

/// Eurostat's country codes (ISO 3166-1 alpha-2 except `EL` and `UK`) and their ISO3 codes:
/// the EU, EFTA and candidate countries of the Urban Audit.
const COUNTRIES: [(&str, &str); 38] = [
    ("AL", "ALB"),
    ("AT", "AUT"),
    ("BE", "BEL"),
    ("BG", "BGR"),
    ("CH", "CHE"),
    ("CY", "CYP"),
    ("CZ", "CZE"),
    ("DE", "DEU"),
    ("DK", "DNK"),
    ("EE", "EST"),
    ("EL", "GRC"),
    ("ES", "ESP"),
    ("FI", "FIN"),
    ("FR", "FRA"),
    ("HR", "HRV"),
    ("HU", "HUN"),
    ("IE", "IRL"),
    ("IS", "ISL"),
    ("IT", "ITA"),
    ("LI", "LIE"),
    ("LT", "LTU"),
    ("LU", "LUX"),
    ("LV", "LVA"),
    ("ME", "MNE"),
    ("MK", "MKD"),
    ("MT", "MLT"),
    ("NL", "NLD"),
    ("NO", "NOR"),
    ("PL", "POL"),
    ("PT", "PRT"),
    ("RO", "ROU"),
    ("RS", "SRB"),
    ("SE", "SWE"),
    ("SI", "SVN"),
    ("SK", "SVK"),
    ("TR", "TUR"),
    ("UK", "GBR"),
    ("XK", "XKX"),
];

/// The ISO3 code of a Eurostat country code.
fn iso3(eurostat: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(code, _)| *code == eurostat)
        .map(|&(_, iso3)| iso3)
}

/// The columns of the panel's `metadata.csv.gz` the registry reads.
const COLUMNS: [&str; 7] = [
    "URAU_CODE",
    "CNTR_CODE",
    "URAU_NAME",
    "LABEL",
    "lon",
    "lat",
    "region",
];

/// The registry TOML for the cities of the Masselot et al. panel's `metadata.csv.gz` (`bytes`,
/// gzipped or not; `file` names it in errors), taking the id and name of each city that a
/// `world` city aliases by its Urban Audit code (`eurostat`).
///
/// An Urban Audit code listed twice or under another country than its own (`UK001C` under
/// `FR`), a country code outside the Urban Audit's, a coordinate
/// that is not a number, or a row without a code or a name is an error naming the line.
pub fn urban_audit_registry(bytes: &[u8], file: &str, world: &Cities) -> Result<String> {
    let bytes = gunzip_if_gzip(bytes, file)?;
    let (mut reader, mut lines, header) = csv_with_header(&bytes, file, false)?;
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| Error::Format {
            file: file.to_string(),
            at: None,
            message: format!(
                "no `{name}` column: expected the Masselot et al. panel's metadata.csv.gz (columns {})",
                COLUMNS.join(", ")
            ),
        })
    };
    let [code_at, country_at, local_at, label_at, lon_at, lat_at, region_at] = COLUMNS.map(column);
    let (code_at, country_at, local_at, label_at) = (code_at?, country_at?, local_at?, label_at?);
    let (lon_at, lat_at, region_at) = (lon_at?, lat_at?, region_at?);
    let pop_at = header.iter().position(|h| h == "pop");
    let world_by_code: BTreeMap<String, (&str, &str)> = world
        .iter()
        .flat_map(|city| {
            city.aliases
                .get("eurostat")
                .into_iter()
                .flatten()
                .map(move |code| (code.to_uppercase(), (city.id.as_str(), city.name.as_str())))
        })
        .collect();
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let Some(line) = data_line(&mut lines, &record, header.len(), b',', file)? else {
            continue;
        };
        let field = |at: usize| record.get(at).unwrap_or("").trim();
        let fail = |message: String| Error::Format {
            file: file.to_string(),
            at: Some(format!("line {line}")),
            message,
        };
        let code = field(code_at).to_uppercase();
        if code.is_empty() {
            return Err(fail(
                "the `URAU_CODE` cell is empty: every row is one Urban Audit city".into(),
            ));
        }
        if !seen.insert(code.clone()) {
            return Err(fail(format!(
                "Urban Audit code `{code}` is listed twice: keep one row per city"
            )));
        }
        let country = iso3(field(country_at)).ok_or_else(|| {
            fail(format!(
                "city `{code}`: country code `{}` is not one of the Urban Audit's ({})",
                field(country_at),
                COUNTRIES.map(|(c, _)| c).join(", ")
            ))
        })?;
        // An Urban Audit code starts with its country's Eurostat code (`UK001C`): a city
        // listed under another country is a misassigned row, not a city to register.
        if !code.starts_with(field(country_at)) {
            return Err(fail(format!(
                "city `{code}` is listed in country `{}`, but its code is of country `{}`: correct the row's `CNTR_CODE`",
                field(country_at),
                code.get(..2).unwrap_or(&code)
            )));
        }
        let label = field(label_at);
        let local = field(local_at);
        if label.is_empty() && local.is_empty() {
            return Err(fail(format!(
                "city `{code}` has neither a `LABEL` nor a `URAU_NAME`"
            )));
        }
        let coordinate = |at: usize, name: &str, limit: f64| -> Result<Option<f64>> {
            match field(at) {
                "" | "NA" => Ok(None),
                text => match text.parse::<f64>() {
                    Ok(v) if v.is_finite() && v.abs() <= limit => Ok(Some(v)),
                    _ => Err(fail(format!(
                        "city `{code}`: `{name}` is `{text}`, not a number within ±{limit}"
                    ))),
                },
            }
        };
        let lon = coordinate(lon_at, "lon", 180.0)?;
        let lat = coordinate(lat_at, "lat", 90.0)?;
        let population = pop_at
            .map(field)
            .and_then(|p| p.parse::<f64>().ok())
            .filter(|p| p.is_finite() && *p > 0.0);
        rows.push(Row {
            code,
            country,
            label: if label.is_empty() { local } else { label }.to_string(),
            local: if local.is_empty() { label } else { local }.to_string(),
            coordinates: lat.zip(lon),
            population,
            region: field(region_at).to_string(),
        });
    }
    if rows.is_empty() {
        return Err(Error::Format {
            file: file.to_string(),
            at: None,
            message: "no city rows".into(),
        });
    }
    // World ids first, so that a label never takes a world city's id (Frankfurt (Oder) must
    // not become `frankfurt`, which is Frankfurt am Main).
    let mut taken: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| world_by_code.get(&r.code).map(|(id, _)| (*id).to_string()))
        .collect();
    let mut out = String::from(HEADER);
    for row in &rows {
        let (id, name) = if let Some((id, name)) = world_by_code.get(&row.code) {
            ((*id).to_string(), (*name).to_string())
        } else {
            // The English label's id; on a clash the local name's (with its qualifier, such
            // as "(Oder)"), then the label's with the country code, then the Urban Audit code.
            let candidates = [
                (slug(&row.label), row.label.clone()),
                (slug(&row.local), row.local.clone()),
                (
                    format!("{}-{}", slug(&row.label), row.code[..2].to_lowercase()),
                    row.label.clone(),
                ),
                (row.code.to_lowercase(), row.label.clone()),
            ];
            let chosen = candidates
                .into_iter()
                .find(|(id, _)| !id.is_empty() && !taken.contains(id))
                .unwrap_or_else(|| (row.code.to_lowercase(), row.label.clone()));
            taken.insert(chosen.0.clone());
            chosen
        };
        let _ = writeln!(out, "\n[[city]]");
        let _ = writeln!(out, "id = {}", quoted(&id));
        let _ = writeln!(out, "name = {}", quoted(&name));
        let _ = writeln!(out, "country = {}", quoted(row.country));
        if !row.region.is_empty() {
            let _ = writeln!(
                out,
                "region = {}",
                quoted(&format!("{} Europe", row.region))
            );
        }
        if let Some((lat, lon)) = row.coordinates {
            let _ = writeln!(out, "latitude = {}", round4(lat));
            let _ = writeln!(out, "longitude = {}", round4(lon));
        }
        let _ = writeln!(out, "aliases = {{ eurostat = [{}] }}", quoted(&row.code));
        if let Some(p) = row.population {
            let _ = writeln!(
                out,
                "attributes = {{ population = {} }}",
                quoted(&format!("{p:.0}"))
            );
        }
    }
    Ok(out)
}

/// The generated file's explanation.
const HEADER: &str = "\
# The European city registry: the 854 Urban Audit cities of Masselot et al. (2023).
#
# GENERATED: do not edit. Rebuild with
#   healthy-city import urban-audit --metadata ../shared/data/masselot-854-cities/metadata.csv.gz \\
#     --world indicators/cities.toml --out indicators/europe/cities.toml
# from the panel's metadata.csv.gz (github.com/PierreMasselot/Paper--2023--LancetPH--EUcityTRM,
# commit 7fe287a, data/metadata.csv.gz).
#
# - id, name: the world registry's (indicators/cities.toml) where a world city has the Urban Audit
#   code as its `eurostat` alias; else from the English label (`LABEL`), or the local name
#   (`URAU_NAME`) where two labels would give one id (Frankfurt (Oder)).
# - country: ISO3 of the Eurostat country code (`UK` is GBR, `EL` is GRC).
# - region: the paper's European region (`region`: Western, Northern, Southern, Eastern).
# - latitude/longitude: the paper's city coordinates (`lat`, `lon`), rounded to 4 decimals.
# - aliases.eurostat: the Urban Audit city code (`URAU_CODE`); every Urban Audit source (Eurostat's
#   city statistics and the Masselot panel) matches through it. NL002C is Alkmaar, not Amsterdam
#   (NL001C).
# - attributes.population: the paper's mean Urban Audit population over 2000-2020, rounded.
";

/// One city row of the metadata.
struct Row {
    code: String,
    country: &'static str,
    label: String,
    local: String,
    coordinates: Option<(f64, f64)>,
    population: Option<f64>,
    region: String,
}

/// `x` rounded to 4 decimals, written without trailing zeros (but as a TOML float).
fn round4(x: f64) -> String {
    let rounded = (x * 1e4).round() / 1e4;
    let text = format!("{rounded}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A registry id from a name: ASCII letters and digits, lowercased, accents dropped
/// (`Łódź` -> `lodz`, `Düsseldorf` -> `dusseldorf`, `Dessau-Roßlau` -> `dessau-rosslau`), every
/// other run of characters one `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars().flat_map(fold) {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// `c` as ASCII letters: Latin letters with diacritics to their base letter (the Urban Audit's
/// names use Latin-1, Latin Extended-A and Romanian's comma-below letters); anything else
/// unchanged (then a separator in [`slug`]).
fn fold(c: char) -> Vec<char> {
    let base = match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => 'a',
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' | 'Ç' | 'Ć' | 'Č' => 'c',
        'ď' | 'đ' | 'Ď' | 'Đ' => 'd',
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'È'..='Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => 'e',
        'ğ' | 'ģ' | 'Ğ' | 'Ģ' => 'g',
        'ì'..='ï' | 'ī' | 'į' | 'ı' | 'Ì'..='Ï' | 'Ī' | 'Į' | 'İ' => 'i',
        'ķ' | 'Ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ł' | 'Ĺ' | 'Ļ' | 'Ľ' | 'Ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' | 'Ñ' | 'Ń' | 'Ņ' | 'Ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ő' | 'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ő' => 'o',
        'ŕ' | 'ř' | 'Ŕ' | 'Ř' => 'r',
        'ś' | 'ş' | 'š' | 'ș' | 'Ś' | 'Ş' | 'Š' | 'Ș' => 's',
        'ţ' | 'ť' | 'ț' | 'Ţ' | 'Ť' | 'Ț' => 't',
        'ù'..='ü' | 'ū' | 'ů' | 'ű' | 'ų' | 'Ù'..='Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => 'z',
        'ß' => return vec!['s', 's'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        'œ' | 'Œ' => return vec!['o', 'e'],
        c => c,
    };
    vec![base]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> Cities {
        Cities::parse(
            r#"
[[city]]
id = "frankfurt"
name = "Frankfurt"
country = "DEU"
aliases = { eurostat = ["DE005C"] }
"#,
            "world.toml",
        )
        .unwrap()
    }

    const HEAD: &str = "\"URAU_CODE\",\"CNTR_CODE\",\"URAU_NAME\",\"lon\",\"lat\",\"region\",\"LABEL\",\"cntr_name\",\"pop\"\n";

    #[test]
    fn a_world_city_keeps_its_id_and_a_clashing_label_takes_the_local_name() {
        let text = format!(
            "{HEAD}\"DE005C\",\"DE\",\"Frankfurt am Main\",8.6820917,50.1106444,\"Western\",\"Frankfurt\",\"Germany\",685866.5\n\
             \"DE027C\",\"DE\",\"Frankfurt (Oder)\",14.549452,52.3412273,\"Western\",\"Frankfurt\",\"Germany\",61850.55\n\
             \"PL002C\",\"PL\",\"Łódź\",19.45,51.77,\"Eastern\",\"Łódź\",\"Poland\",NA\n\
             \"UK001C\",\"UK\",\"London\",-0.1277,51.5073,\"Western\",\"London\",\"United Kingdom\",7935110.9\n"
        );
        let toml = urban_audit_registry(text.as_bytes(), "metadata.csv", &world()).unwrap();
        let cities = Cities::parse(&toml, "europe.toml").unwrap();
        let ids: Vec<&str> = cities.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["frankfurt", "frankfurt-oder", "lodz", "london"]);
        let oder = cities.by_alias("eurostat", "DE027C").unwrap();
        assert_eq!(oder.name, "Frankfurt (Oder)");
        let london = cities.by_alias("eurostat", "UK001C").unwrap();
        assert_eq!(london.country.as_deref(), Some("GBR"));
        assert_eq!(london.coordinates, Some((51.5073, -0.1277)));
        assert_eq!(
            london.attributes.get("population").map(String::as_str),
            Some("7935111")
        );
        assert!(cities
            .by_alias("eurostat", "PL002C")
            .unwrap()
            .attributes
            .is_empty());
    }

    #[test]
    fn a_repeated_code_or_an_unknown_country_is_an_error_naming_the_line() {
        let twice = format!(
            "{HEAD}\"UK001C\",\"UK\",\"London\",0,51,\"Western\",\"London\",\"UK\",1\n\"UK001C\",\"UK\",\"London\",0,51,\"Western\",\"London\",\"UK\",1\n"
        );
        let err = urban_audit_registry(twice.as_bytes(), "m.csv", &world()).unwrap_err();
        assert!(
            err.to_string().contains("line 3") && err.to_string().contains("listed twice"),
            "{err}"
        );
        let country = format!("{HEAD}\"US001C\",\"US\",\"Boston\",0,42,\"\",\"Boston\",\"US\",1\n");
        let err = urban_audit_registry(country.as_bytes(), "m.csv", &world()).unwrap_err();
        assert!(
            err.to_string().contains("line 2") && err.to_string().contains("`US`"),
            "{err}"
        );
        let elsewhere =
            format!("{HEAD}\"UK001C\",\"FR\",\"London\",0,51,\"\",\"London\",\"UK\",1\n");
        let err = urban_audit_registry(elsewhere.as_bytes(), "m.csv", &world()).unwrap_err();
        assert!(
            err.to_string().contains("line 2") && err.to_string().contains("of country `UK`"),
            "{err}"
        );
        let lat = format!("{HEAD}\"UK001C\",\"UK\",\"London\",0,north,\"\",\"London\",\"UK\",1\n");
        let err = urban_audit_registry(lat.as_bytes(), "m.csv", &world()).unwrap_err();
        assert!(err.to_string().contains("`lat` is `north`"), "{err}");
    }

    #[test]
    fn slugs_fold_accents_and_separate_words() {
        assert_eq!(slug("Dessau-Roßlau"), "dessau-rosslau");
        assert_eq!(slug("Mülheim A.d.ruhr"), "mulheim-a-d-ruhr");
        assert_eq!(slug("Cǎlǎraşi"), "calarasi");
        assert_eq!(slug("Biel/Bienne"), "biel-bienne");
        assert_eq!(slug("Middelburg   "), "middelburg");
    }
}

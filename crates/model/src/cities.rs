//! The city registry: `indicators/cities.toml`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{echo, read_text, toml_entries, Error, Problem, Result};
use crate::sheet::Sheet;

/// The error of a registry with no unit.
fn empty(file: &str) -> Error {
    Error::Invalid {
        problems: vec![Problem {
            file: file.to_string(),
            line: None,
            message: "the registry lists no city: a registry needs at least one unit (`[[city]]` entries with `id` and `name`, or CSV rows `id,name`)".to_string(),
        }],
    }
}

/// One city of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// Stable identifier, lowercase ASCII with `-` (e.g. `new-york`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-3 code of the country whose national series proxy the city (optional:
    /// a unit with none receives no national value).
    pub country: Option<String>,
    /// Region used for group statistics (e.g. `Europe`); optional.
    pub region: Option<String>,
    /// Latitude and longitude in degrees (WGS84), when given (both or neither).
    pub coordinates: Option<(f64, f64)>,
    /// How each source spells or codes the city, keyed by source (e.g. `who_aap`).
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Further attributes that group the cities (e.g. `income = "High income"`,
    /// `coast = "landlocked"`), read from the city's `attributes` table; see
    /// [`City::attribute`].
    pub attributes: BTreeMap<String, String>,
    /// Line of the city's `id` in its file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    city: Vec<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCity {
    id: String,
    name: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// Registry columns that are fields of their own, not `attributes` keys.
pub const RESERVED_ATTRIBUTES: &[&str] =
    &["id", "name", "country", "region", "latitude", "longitude"];

impl City {
    /// The value of a registry column that groups cities: `region`, `country`, or a key of
    /// the city's `attributes` table. `None` when the city has no value for it.
    pub fn attribute(&self, column: &str) -> Option<&str> {
        match column {
            "region" => self.region.as_deref(),
            "country" => self.country.as_deref(),
            _ => self.attributes.get(column).map(String::as_str),
        }
    }
}

/// The registry of cities, in file order.
#[derive(Debug, Clone, Default)]
pub struct Cities {
    entries: Vec<City>,
    by_id: HashMap<String, usize>,
    /// `(source, alias)` -> index; aliases compared case-insensitively.
    by_alias: HashMap<(String, String), usize>,
    file: String,
}

impl Cities {
    /// Reads and validates a registry file: TOML (`[[city]]` entries), or CSV when the name
    /// ends in `.csv` (a header row, then one unit per row).
    pub fn load(path: &Path) -> Result<Self> {
        let file = path.display().to_string();
        let text = read_text(path)?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            Self::parse_csv(&text, &file)
        } else {
            Self::parse(&text, &file)
        }
    }

    /// Parses and validates a TOML registry from text; `file` names it in errors. Every bad
    /// entry is reported.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| Error::toml(file, "cities", &e, text))?;
        if raw.city.is_empty() {
            return Err(empty(file));
        }
        let (entries, mut problems) = toml_entries::<RawCity>(raw.city, text, file, "city");
        let mut registry = Cities {
            file: file.to_string(),
            ..Cities::default()
        };
        for (line, raw_city) in entries {
            let coordinates = match (raw_city.latitude, raw_city.longitude) {
                (Some(latitude), Some(longitude)) => Ok(Some((latitude, longitude))),
                (None, None) => Ok(None),
                _ => Err(()),
            };
            let city = City {
                id: raw_city.id,
                name: raw_city.name,
                country: raw_city.country,
                region: raw_city.region,
                coordinates: coordinates.unwrap_or(None),
                aliases: raw_city.aliases,
                attributes: raw_city.attributes,
                line,
            };
            let mut found = registry.add(city);
            if coordinates.is_err() {
                found.push("give both `latitude` and `longitude`, or neither".to_string());
            }
            problems.extend(Problem::all_at(file, line, found));
        }
        problems.sort_by_key(|p| p.line);
        Error::check(problems)?;
        Ok(registry)
    }

    /// Parses and validates a CSV registry: `id` and `name` are required; `country`,
    /// `region`, `latitude` and `longitude` are optional; every other column is an attribute
    /// (see [`City::attribute`]), empty cells meaning no value. Every bad row is reported.
    pub fn parse_csv(text: &str, file: &str) -> Result<Self> {
        let sheet = Sheet::parse(text, file)?;
        let said = sheet.header_problems(&["id", "name"], |name| {
            if RESERVED_ATTRIBUTES.contains(&name) || is_identifier(name) {
                Ok(())
            } else {
                Err(format!(
                    "`{}` is not a column name (lowercase letters, digits, `-` and `_`)",
                    echo(name)
                ))
            }
        });
        if !said.is_empty() {
            return Err(Error::Csv {
                file: file.to_string(),
                line: Some(1),
                message: format!(
                    "the header is `{}` ({}): a registry needs `id,name` and may add `country,region,latitude,longitude` and attribute columns (e.g. `income`)",
                    echo(&sheet.header.join(",")),
                    said.join("; ")
                ),
            });
        }
        let mut registry = Cities {
            file: file.to_string(),
            ..Cities::default()
        };
        let mut problems = Vec::new();
        for (line, record) in &sheet.rows {
            let cell = |name: &str| sheet.cell(record, name);
            let mut found: Vec<String> = sheet.width_problem(record).into_iter().collect();
            let mut number = |name: &str| -> Option<f64> {
                let text = cell(name)?;
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        found.push(format!(
                            "`{name}` `{}` is not a number in degrees",
                            echo(text)
                        ));
                        None
                    }
                }
            };
            let (latitude, longitude) = (number("latitude"), number("longitude"));
            let attributes = sheet
                .header
                .iter()
                .filter(|h| !RESERVED_ATTRIBUTES.contains(&h.as_str()))
                .filter_map(|h| cell(h).map(|v| (h.clone(), v.to_string())))
                .collect();
            let city = City {
                id: cell("id").unwrap_or_default().to_string(),
                name: cell("name").unwrap_or_default().to_string(),
                country: cell("country").map(str::to_string),
                region: cell("region").map(str::to_string),
                coordinates: latitude.zip(longitude),
                aliases: BTreeMap::new(),
                attributes,
                line: *line,
            };
            if city.name.is_empty() {
                found.push(format!(
                    "unit `{}` has no name: give it one",
                    echo(&city.id)
                ));
            }
            if cell("latitude").is_some() != cell("longitude").is_some() {
                found.push("give both `latitude` and `longitude`, or neither".to_string());
            }
            found.extend(registry.add(city));
            problems.extend(Problem::all_at(file, *line, found));
        }
        if registry.is_empty() && problems.is_empty() {
            return Err(empty(file));
        }
        Error::check(problems)?;
        Ok(registry)
    }

    /// Checks a city and adds it (unless its id is taken); returns what is wrong with it.
    fn add(&mut self, city: City) -> Vec<String> {
        let mut problems = Vec::new();
        let shown = echo(&city.id);
        if !is_identifier(&city.id) {
            problems.push(format!(
                "city id `{shown}` must be lowercase letters, digits and `-`"
            ));
        }
        if let Some(country) = &city.country {
            if country.len() != 3 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                problems.push(format!(
                    "city `{shown}`: country `{}` is not an ISO3 code (three capital letters, e.g. `GBR`)",
                    echo(country)
                ));
            }
        }
        if let Some((latitude, longitude)) = city.coordinates {
            if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
                problems.push(format!(
                    "city `{shown}`: coordinates ({latitude}, {longitude}) are outside latitude -90..90 / longitude -180..180"
                ));
            }
        }
        if self.by_id.contains_key(&city.id) {
            problems.push(format!("duplicate city id `{shown}`"));
            return problems;
        }
        let index = self.entries.len();
        for (source, names) in &city.aliases {
            for name in names {
                let key = (source.clone(), name.to_lowercase());
                if let Some(&other) = self.by_alias.get(&key) {
                    problems.push(format!(
                        "alias `{}` for source `{}` is given to both `{}` and `{shown}`",
                        echo(name),
                        echo(source),
                        echo(&self.entries[other].id)
                    ));
                } else {
                    self.by_alias.insert(key, index);
                }
            }
        }
        for key in city.attributes.keys() {
            if !is_identifier(key) || RESERVED_ATTRIBUTES.contains(&key.as_str()) {
                problems.push(format!(
                    "city `{shown}`: attribute `{}` must be lowercase letters, digits, `-` and `_`, and not one of {}",
                    echo(key),
                    RESERVED_ATTRIBUTES.join(", ")
                ));
            }
        }
        self.by_id.insert(city.id.clone(), index);
        self.entries.push(city);
        problems
    }

    /// The file the registry was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A city by id.
    pub fn get(&self, id: &str) -> Option<&City> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// Position of a city in the registry.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The city a source's name or code stands for, through the aliases (case-insensitive).
    pub fn by_alias(&self, source: &str, name: &str) -> Option<&City> {
        self.by_alias
            .get(&(source.to_string(), name.to_lowercase()))
            .map(|&i| &self.entries[i])
    }

    /// All cities, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &City> {
        self.entries.iter()
    }

    /// Number of cities.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Whether `id` is a valid identifier: lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
pub fn is_identifier(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe"
latitude = 51.51
longitude = -0.13
aliases = { who_aap = ["GBR/London"], lenstore = ["London"] }

[[city]]
id = "paris"
name = "Paris"
country = "FRA"
region = "Europe"
latitude = 48.86
longitude = 2.35
"#;

    #[test]
    fn attributes_group_cities_beside_region_and_country() {
        let text = TWO.replace(
            "aliases = { who_aap",
            "attributes = { income = \"High income\", coast = \"coastal\" }\naliases = { who_aap",
        );
        let cities = Cities::parse(&text, "cities.toml").unwrap();
        let london = cities.get("london").unwrap();
        assert_eq!(london.attribute("income"), Some("High income"));
        assert_eq!(london.attribute("region"), Some("Europe"));
        assert_eq!(london.attribute("country"), Some("GBR"));
        assert_eq!(cities.get("paris").unwrap().attribute("income"), None);
        let bad = TWO.replace(
            "aliases = { who_aap",
            "attributes = { Region = \"x\" }\naliases = { who_aap",
        );
        let err = Cities::parse(&bad, "cities.toml").unwrap_err().to_string();
        assert!(err.contains("attribute `Region`"), "{err}");
    }

    #[test]
    fn reads_cities_and_matches_aliases_case_insensitively() {
        let cities = Cities::parse(TWO, "cities.toml").unwrap();
        assert_eq!(cities.len(), 2);
        assert_eq!(cities.get("paris").unwrap().country.as_deref(), Some("FRA"));
        assert_eq!(
            cities.by_alias("who_aap", "gbr/london").unwrap().id,
            "london"
        );
        assert!(cities.by_alias("who_aap", "CAN/London").is_none());
        assert_eq!(cities.get("paris").unwrap().line, 11);
    }

    #[test]
    fn rejects_a_duplicate_city_id_naming_its_line() {
        let text = format!("{TWO}\n[[city]]\nid = \"paris\"\nname = \"P\"\ncountry = \"FRA\"\nregion = \"Europe\"\nlatitude = 0.0\nlongitude = 0.0\n");
        let err = Cities::parse(&text, "cities.toml").unwrap_err().to_string();
        assert_eq!(err, "cities.toml:19: duplicate city id `paris`");
    }

    #[test]
    fn rejects_a_country_that_is_not_iso3() {
        let text = TWO.replace("\"FRA\"", "\"France\"");
        let err = Cities::parse(&text, "c.toml").unwrap_err().to_string();
        assert!(
            err.contains("c.toml:11: city `paris`: country `France` is not an ISO3 code"),
            "{err}"
        );
    }

    #[test]
    fn a_unit_needs_only_an_id_and_a_name_and_every_bad_entry_is_reported_at_once() {
        let text = "[[city]]\nid = \"fra\"\nname = \"France\"\n\n[[city]]\nid = \"deu\"\nname = \"Germany\"\nlatitude = 52.5\n\n[[city]]\nid = \"ita\"\n\n[[city]]\nid = \"esp\"\nname = \"Spain\"\nlatitude = \"north\"\nlongitude = 1.0\n\n[[city]]\nid = \"fra\"\nname = \"France again\"\n";
        let err = Cities::parse(text, "units.toml").unwrap_err().to_string();
        assert_eq!(
            err,
            "4 problems found:\n  units.toml:5: give both `latitude` and `longitude`, or neither\n  units.toml:10: city `ita`: missing field `name`\n  units.toml:13: city `esp`: invalid type: string \"north\", expected f64 in `latitude`\n  units.toml:19: duplicate city id `fra`"
        );
        let ok = Cities::parse("[[city]]\nid = \"fra\"\nname = \"France\"\n", "u.toml").unwrap();
        let fra = ok.get("fra").unwrap();
        assert_eq!(
            (
                fra.country.as_deref(),
                fra.region.as_deref(),
                fra.coordinates
            ),
            (None, None, None)
        );
        assert_eq!(fra.attribute("region"), None);
    }

    #[test]
    fn a_csv_registry_needs_id_and_name_and_its_other_columns_are_attributes() {
        let text = "id,name,region,income,latitude,longitude\nfra,France,Europe,High income,,\nmli,Mali,Africa,,12.6,-8.0\n";
        let cities = Cities::parse_csv(text, "units.csv").unwrap();
        let fra = cities.get("fra").unwrap();
        assert_eq!(fra.region.as_deref(), Some("Europe"));
        assert_eq!(fra.attribute("income"), Some("High income"));
        assert_eq!(
            (fra.country.as_deref(), fra.coordinates, fra.line),
            (None, None, 2)
        );
        let mli = cities.get("mli").unwrap();
        assert_eq!(
            (mli.attribute("income"), mli.coordinates),
            (None, Some((12.6, -8.0)))
        );
        let err = Cities::parse_csv("id,label\nfra,France\n", "u.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`u.csv`:1: the header is `id,label` (`name` missing): a registry needs `id,name` and may add `country,region,latitude,longitude` and attribute columns (e.g. `income`)");
        let err = Cities::parse_csv(
            "id,name,latitude,longitude\nFRA,France,,\nita,,1,\nita,Italy,x,2\n",
            "u.csv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "5 problems found:\n  u.csv:2: city id `FRA` must be lowercase letters, digits and `-`\n  u.csv:3: unit `ita` has no name: give it one\n  u.csv:3: give both `latitude` and `longitude`, or neither\n  u.csv:4: `latitude` `x` is not a number in degrees\n  u.csv:4: duplicate city id `ita`");
    }
}

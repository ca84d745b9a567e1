//! The city registry: `indicators/cities.toml`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{echo, line_of, read_text, Error, Problem, Result};

/// One city of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// Stable identifier, lowercase ASCII with `-` (e.g. `new-york`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-3 code of the country whose national series proxy the city.
    pub country: String,
    /// Region used for group statistics (e.g. `Europe`).
    pub region: String,
    /// Latitude in degrees (WGS84).
    pub latitude: f64,
    /// Longitude in degrees (WGS84).
    pub longitude: f64,
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
    city: Vec<RawCity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCity {
    id: Spanned<String>,
    name: String,
    country: String,
    region: String,
    latitude: f64,
    longitude: f64,
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
            "region" => Some(self.region.as_str()),
            "country" => Some(self.country.as_str()),
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
    /// Reads and validates a registry file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Parses and validates a registry from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| Error::toml(file, "cities", &e, text))?;
        if raw.city.is_empty() {
            return Err(Error::Invalid {
                problems: vec![Problem {
                    file: file.to_string(),
                    line: None,
                    message: "the registry lists no city: a registry needs at least one `[[city]]` entry (id, name, country, region, latitude, longitude)".to_string(),
                }],
            });
        }
        let mut problems = Vec::new();
        let mut registry = Cities {
            file: file.to_string(),
            ..Cities::default()
        };
        for raw_city in raw.city {
            let line = line_of(text, raw_city.id.span().start);
            let id = raw_city.id.into_inner();
            let shown = echo(&id);
            let mut problem = |message: String| {
                problems.push(Problem {
                    file: file.to_string(),
                    line: Some(line),
                    message,
                });
            };
            if !is_identifier(&id) {
                problem(format!(
                    "city id `{shown}` must be lowercase letters, digits and `-`"
                ));
            }
            if raw_city.country.len() != 3
                || !raw_city.country.chars().all(|c| c.is_ascii_uppercase())
            {
                problem(format!(
                    "city `{shown}`: country `{}` is not an ISO3 code (three capital letters, e.g. `GBR`)",
                    echo(&raw_city.country)
                ));
            }
            if !(-90.0..=90.0).contains(&raw_city.latitude)
                || !(-180.0..=180.0).contains(&raw_city.longitude)
            {
                problem(format!(
                    "city `{shown}`: coordinates ({}, {}) are outside latitude -90..90 / longitude -180..180",
                    raw_city.latitude, raw_city.longitude
                ));
            }
            if registry.by_id.contains_key(&id) {
                problem(format!("duplicate city id `{shown}`"));
                continue;
            }
            let index = registry.entries.len();
            for (source, names) in &raw_city.aliases {
                for name in names {
                    let key = (source.clone(), name.to_lowercase());
                    if let Some(&other) = registry.by_alias.get(&key) {
                        problem(format!(
                            "alias `{}` for source `{}` is given to both `{}` and `{shown}`",
                            echo(name),
                            echo(source),
                            echo(&registry.entries[other].id)
                        ));
                    } else {
                        registry.by_alias.insert(key, index);
                    }
                }
            }
            for key in raw_city.attributes.keys() {
                if !is_identifier(key) || RESERVED_ATTRIBUTES.contains(&key.as_str()) {
                    problem(format!(
                        "city `{shown}`: attribute `{}` must be lowercase letters, digits, `-` and `_`, and not one of {}",
                        echo(key),
                        RESERVED_ATTRIBUTES.join(", ")
                    ));
                }
            }
            registry.by_id.insert(id.clone(), index);
            registry.entries.push(City {
                id,
                name: raw_city.name,
                country: raw_city.country,
                region: raw_city.region,
                latitude: raw_city.latitude,
                longitude: raw_city.longitude,
                aliases: raw_city.aliases,
                attributes: raw_city.attributes,
                line,
            });
        }
        Error::check(problems)?;
        Ok(registry)
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
        assert_eq!(cities.get("paris").unwrap().country, "FRA");
        assert_eq!(
            cities.by_alias("who_aap", "gbr/london").unwrap().id,
            "london"
        );
        assert!(cities.by_alias("who_aap", "CAN/London").is_none());
        assert_eq!(cities.get("paris").unwrap().line, 12);
    }

    #[test]
    fn rejects_a_duplicate_city_id_naming_its_line() {
        let text = format!("{TWO}\n[[city]]\nid = \"paris\"\nname = \"P\"\ncountry = \"FRA\"\nregion = \"Europe\"\nlatitude = 0.0\nlongitude = 0.0\n");
        let err = Cities::parse(&text, "cities.toml").unwrap_err().to_string();
        assert_eq!(err, "cities.toml:20: duplicate city id `paris`");
    }

    #[test]
    fn rejects_a_country_that_is_not_iso3() {
        let text = TWO.replace("\"FRA\"", "\"France\"");
        let err = Cities::parse(&text, "c.toml").unwrap_err().to_string();
        assert!(
            err.contains("c.toml:12: city `paris`: country `France` is not an ISO3 code"),
            "{err}"
        );
    }
}

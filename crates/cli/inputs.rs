//! The inputs of a scoring run: framework, cities, catalogue, observations, from files or from
//! the defaults embedded in the binary.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use healthy_city_model::{Catalogue, Cities, Framework, Observations};

/// The default framework, registry, catalogue and snapshot, built into the binary so that an
/// installed `healthy-city run` works from any folder.
pub mod embedded {
    pub const FRAMEWORK: &str = include_str!("../../indicators/frameworks/healthy-city.toml");
    pub const FRAMEWORK_NAME: &str = "<embedded>/indicators/frameworks/healthy-city.toml";
    pub const CITIES: &str = include_str!("../../indicators/cities.toml");
    pub const CITIES_NAME: &str = "<embedded>/indicators/cities.toml";
    pub const CATALOGUE: &str = include_str!("../../indicators/catalogue.toml");
    pub const CATALOGUE_NAME: &str = "<embedded>/indicators/catalogue.toml";
    pub const OBSERVATIONS: &str = include_str!("../../indicators/snapshot/observations.csv");
    pub const OBSERVATIONS_NAME: &str = "<embedded>/indicators/snapshot/observations.csv";

    /// The shipped frameworks, by id: `--framework ID` names one when no file of that name
    /// exists. Each reads the embedded registry, catalogue and snapshot.
    pub const SHIPPED: [(&str, &str, &str); 2] = [
        ("healthy-city", FRAMEWORK, FRAMEWORK_NAME),
        (
            "lenstore-2021",
            include_str!("../../indicators/frameworks/lenstore-2021.toml"),
            "<embedded>/indicators/frameworks/lenstore-2021.toml",
        ),
    ];

    /// The shipped framework `path` names (its text and name), when no file is there and it
    /// is a shipped id.
    pub fn shipped(path: &std::path::Path) -> Option<(&'static str, &'static str)> {
        if path.exists() {
            return None;
        }
        let name = path.to_str()?;
        SHIPPED
            .iter()
            .find(|(id, _, _)| *id == name)
            .map(|&(_, text, file)| (text, file))
    }

    /// The shipped frameworks' ids, for the message naming a framework that is neither a file
    /// nor shipped.
    pub fn shipped_ids() -> String {
        SHIPPED
            .iter()
            .map(|(id, _, _)| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything a run scores.
pub struct Inputs {
    pub framework: Framework,
    pub cities: Cities,
    pub catalogue: Catalogue,
    pub observations: Observations,
}

impl Inputs {
    /// Loads the inputs: the given framework (or the embedded one), the files its [data] table
    /// names (relative to it), the embedded defaults for what it does not name, and `data`
    /// instead of its observations when given. Everything is validated.
    pub fn load(framework: Option<&Path>, data: Option<&Path>) -> Result<Self> {
        let (framework, base) = match framework {
            None => (
                Framework::parse(embedded::FRAMEWORK, embedded::FRAMEWORK_NAME)?,
                None,
            ),
            Some(path) if embedded::shipped(path).is_some() => {
                let (text, name) = embedded::shipped(path).unwrap_or_default();
                (Framework::parse(text, name)?, None)
            }
            Some(path) if !path.exists() && path.extension().is_none() => {
                anyhow::bail!(
                    "no framework file `{}` and no shipped framework of that name: give a framework file's path, or one of the shipped frameworks {}",
                    path.display(),
                    embedded::shipped_ids()
                )
            }
            Some(path) => (
                Framework::load(path)?,
                Some(path.parent().map_or_else(PathBuf::new, Path::to_path_buf)),
            ),
        };
        // A file named by a framework on disk is read from disk; the embedded framework's
        // files are embedded.
        let resolve = |named: &Option<String>| -> Option<PathBuf> {
            match (&base, named) {
                (Some(base), Some(name)) => Some(base.join(name)),
                _ => None,
            }
        };
        let cities = match resolve(&framework.data.cities) {
            Some(path) => Cities::load(&path)?,
            None => Cities::parse(embedded::CITIES, embedded::CITIES_NAME)?,
        };
        let catalogue = match resolve(&framework.data.catalogue) {
            Some(path) => Catalogue::load(&path)?,
            None => Catalogue::parse(embedded::CATALOGUE, embedded::CATALOGUE_NAME)?,
        };
        let observations = match data
            .map(Path::to_path_buf)
            .or_else(|| resolve(&framework.data.observations))
        {
            Some(path) => Observations::load(&path)?,
            None => Observations::from_csv(
                embedded::OBSERVATIONS.as_bytes(),
                embedded::OBSERVATIONS_NAME,
            )?,
        };
        framework
            .check_catalogue(&catalogue)
            .context("the framework does not match the catalogue")?;
        observations.validate(&cities, &catalogue)?;
        Ok(Inputs {
            framework,
            cities,
            catalogue,
            observations,
        })
    }
}

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

    /// A shipped framework: its text and the registry, catalogue and snapshot it scores, each
    /// as (text, name).
    pub struct Shipped {
        pub id: &'static str,
        pub framework: (&'static str, &'static str),
        pub cities: (&'static str, &'static str),
        pub catalogue: (&'static str, &'static str),
        pub observations: (&'static str, &'static str),
    }

    const WORLD_CITIES: (&str, &str) = (CITIES, CITIES_NAME);
    const WORLD_CATALOGUE: (&str, &str) = (CATALOGUE, CATALOGUE_NAME);
    const WORLD_OBSERVATIONS: (&str, &str) = (OBSERVATIONS, OBSERVATIONS_NAME);

    /// The shipped frameworks, by id: `--framework ID` names one when no file of that name
    /// exists. The world indices read the world registry, catalogue and snapshot; the
    /// European index its own (indicators/europe).
    pub const SHIPPED: [Shipped; 3] = [
        Shipped {
            id: "healthy-city",
            framework: (FRAMEWORK, FRAMEWORK_NAME),
            cities: WORLD_CITIES,
            catalogue: WORLD_CATALOGUE,
            observations: WORLD_OBSERVATIONS,
        },
        Shipped {
            id: "lenstore-2021",
            framework: (
                include_str!("../../indicators/frameworks/lenstore-2021.toml"),
                "<embedded>/indicators/frameworks/lenstore-2021.toml",
            ),
            cities: WORLD_CITIES,
            catalogue: WORLD_CATALOGUE,
            observations: WORLD_OBSERVATIONS,
        },
        Shipped {
            id: "europe",
            framework: (
                include_str!("../../indicators/frameworks/europe.toml"),
                "<embedded>/indicators/frameworks/europe.toml",
            ),
            cities: (
                include_str!("../../indicators/europe/cities.toml"),
                "<embedded>/indicators/europe/cities.toml",
            ),
            catalogue: (
                include_str!("../../indicators/europe/catalogue.toml"),
                "<embedded>/indicators/europe/catalogue.toml",
            ),
            observations: (
                include_str!("../../indicators/europe/snapshot/observations.csv"),
                "<embedded>/indicators/europe/snapshot/observations.csv",
            ),
        },
    ];

    /// The shipped framework `path` names, when no file is there and it is a shipped id.
    pub fn shipped(path: &std::path::Path) -> Option<&'static Shipped> {
        if path.exists() {
            return None;
        }
        let name = path.to_str()?;
        SHIPPED.iter().find(|s| s.id == name)
    }

    /// The shipped frameworks' ids, for the message naming a framework that is neither a file
    /// nor shipped.
    pub fn shipped_ids() -> String {
        SHIPPED
            .iter()
            .map(|s| format!("`{}`", s.id))
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
        let shipped = match framework {
            None => Some(&embedded::SHIPPED[0]),
            Some(path) => embedded::shipped(path),
        };
        let (framework, base) = match (framework, shipped) {
            (_, Some(shipped)) => (
                Framework::parse(shipped.framework.0, shipped.framework.1)?,
                None,
            ),
            (Some(path), None) if !path.exists() && path.extension().is_none() => {
                anyhow::bail!(
                    "no framework file `{}` and no shipped framework of that name: give a framework file's path, or one of the shipped frameworks {}",
                    path.display(),
                    embedded::shipped_ids()
                )
            }
            (Some(path), None) => (
                Framework::load(path)?,
                Some(path.parent().map_or_else(PathBuf::new, Path::to_path_buf)),
            ),
            (None, None) => unreachable!("no framework is the shipped default"),
        };
        // A file named by a framework on disk is read from disk; a shipped framework's files
        // are embedded (a framework on disk that names none takes the world index's).
        let resolve = |named: &Option<String>| -> Option<PathBuf> {
            match (&base, named) {
                (Some(base), Some(name)) => Some(base.join(name)),
                _ => None,
            }
        };
        let defaults = shipped.unwrap_or(&embedded::SHIPPED[0]);
        let cities = match resolve(&framework.data.cities) {
            Some(path) => Cities::load(&path)?,
            None => Cities::parse(defaults.cities.0, defaults.cities.1)?,
        };
        let catalogue = match resolve(&framework.data.catalogue) {
            Some(path) => Catalogue::load(&path)?,
            None => Catalogue::parse(defaults.catalogue.0, defaults.catalogue.1)?,
        };
        let observations = match data
            .map(Path::to_path_buf)
            .or_else(|| resolve(&framework.data.observations))
        {
            Some(path) => Observations::load(&path)?,
            None => {
                Observations::from_csv(defaults.observations.0.as_bytes(), defaults.observations.1)?
            }
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

//! A panel: the observations of a framework's indicators laid out as contiguous f64 matrices,
//! one (cities x indicators) matrix per year.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use healthy_city_model::{Cities, Framework, Level, Observations};

use crate::error::{Error, Result};

/// Raw values of a framework's indicators: `years x cities x indicators`, NaN where missing.
#[derive(Debug, Clone)]
pub struct Panel {
    /// City ids, in registry order.
    pub cities: Vec<String>,
    /// Years, ascending.
    pub years: Vec<i32>,
    /// Indicator ids, in framework order.
    pub indicators: Vec<String>,
    /// Values, year-major: `values[(y * cities + c) * indicators + i]`.
    pub values: Vec<f64>,
    /// Where each value was measured (city, metro, region, national); same layout as
    /// `values` (a missing value's level is `City` and never read).
    pub level: Vec<Level>,
}

impl Panel {
    /// Lays out the observations of the framework's indicators, for its peer cities and years.
    pub fn build(
        framework: &Framework,
        cities: &Cities,
        observations: &Observations,
    ) -> Result<Self> {
        let indicators: Vec<String> = framework.indicators().map(|n| n.id.clone()).collect();
        let indicator_slot: FxHashMap<&str, usize> = indicators
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        for peer in &framework.data.peers {
            if cities.get(peer).is_none() {
                return Err(Error::UnknownPeer {
                    city: peer.clone(),
                    file: framework.file().to_string(),
                });
            }
        }
        let in_years = |year: i32| {
            framework
                .data
                .years
                .is_none_or(|[first, last]| (first..=last).contains(&year))
        };
        let peers: FxHashSet<&str> = framework.data.peers.iter().map(String::as_str).collect();
        let is_peer = |city: &str| peers.is_empty() || peers.contains(city);
        let relevant = observations.rows().iter().filter(|o| {
            indicator_slot.contains_key(o.indicator.as_str())
                && in_years(o.year)
                && is_peer(&o.city)
        });
        let mut years = BTreeSet::new();
        let mut present: FxHashSet<&str> = FxHashSet::default();
        for o in relevant.clone() {
            years.insert(o.year);
            present.insert(o.city.as_str());
        }
        if years.is_empty() {
            return Err(Error::NoData {
                framework: framework.id.clone(),
                years: framework.data.years,
            });
        }
        let city_ids: Vec<String> = if framework.data.peers.is_empty() {
            cities
                .iter()
                .filter(|c| present.contains(c.id.as_str()))
                .map(|c| c.id.clone())
                .collect()
        } else {
            framework.data.peers.clone()
        };
        let city_slot: FxHashMap<&str, usize> = city_ids
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let years: Vec<i32> = years.into_iter().collect();
        let year_slot: FxHashMap<i32, usize> =
            years.iter().enumerate().map(|(i, &y)| (y, i)).collect();
        let (nc, ni) = (city_ids.len(), indicators.len());
        let mut values = vec![f64::NAN; years.len() * nc * ni];
        let mut level = vec![Level::City; values.len()];
        for o in relevant {
            let (Some(&c), Some(&y)) = (city_slot.get(o.city.as_str()), year_slot.get(&o.year))
            else {
                continue;
            };
            let at = (y * nc + c) * ni + indicator_slot[o.indicator.as_str()];
            values[at] = o.value;
            level[at] = o.effective_level();
        }
        Ok(Panel {
            cities: city_ids,
            years,
            indicators,
            values,
            level,
        })
    }

    /// Number of cities.
    pub fn n_cities(&self) -> usize {
        self.cities.len()
    }

    /// Number of indicators.
    pub fn n_indicators(&self) -> usize {
        self.indicators.len()
    }

    /// The `cities x indicators` matrix of year slot `y`.
    pub fn year(&self, y: usize) -> &[f64] {
        let size = self.cities.len() * self.indicators.len();
        &self.values[y * size..(y + 1) * size]
    }
}

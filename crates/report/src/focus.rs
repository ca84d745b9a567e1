//! The city a chart highlights and the year it shows, the same two types in every chart: a
//! [`Focus`] is the city's slot in the chart's own list of cities, found once by id or name; a
//! [`Year`] is a calendar year, never a slot into a list of years.

use std::fmt;

use healthy_city_score::Results;

use crate::error::{Error, Result};

/// The city a chart highlights (or, for the trajectory and the profile, the city it is about):
/// its slot in the chart's cities — the results' cities for the charts drawn from
/// [`Results`], the analysis's peer cities for the others (comparison, rank intervals, weight
/// map), in the order the chart's data holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Focus(usize);

impl Focus {
    /// The city at `slot` of the chart's cities.
    pub const fn new(slot: usize) -> Self {
        Self(slot)
    }

    /// The city `name` (an id or a display name, in any case) among the results' cities.
    pub fn find(results: &Results, name: &str) -> Result<Self> {
        city(results, name).map(Self)
    }

    /// The city's slot.
    pub const fn slot(self) -> usize {
        self.0
    }

    /// The slot, checked against the `n_cities` cities of `chart`.
    pub(crate) fn within(self, n_cities: usize, chart: &'static str) -> Result<usize> {
        if self.0 < n_cities {
            Ok(self.0)
        } else {
            Err(Error::FocusSlot {
                chart,
                slot: self.0,
                n_cities,
            })
        }
    }
}

/// The year a chart shows, as a calendar year (2019). Charts drawn from [`Results`] find it in
/// the results and draw it only if it is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Year(pub i32);

impl Year {
    /// The latest ranked year of the results.
    pub fn latest_ranked(results: &Results) -> Result<Self> {
        ranked_year(results, None).map(|y| Self(results.years[y]))
    }

    /// The year's slot in the results, if it is there and ranked.
    pub(crate) fn ranked_slot(self, results: &Results) -> Result<usize> {
        let slot = results
            .years
            .iter()
            .position(|&y| y == self.0)
            .ok_or_else(|| Error::UnknownYear {
                year: self.0,
                years: results
                    .years
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        ranked_year(results, Some(slot))
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i32> for Year {
    fn from(year: i32) -> Self {
        Self(year)
    }
}

/// Resolves a year slot: the given one if in range and ranked, else the latest ranked year.
pub(crate) fn ranked_year(results: &Results, year: Option<usize>) -> Result<usize> {
    match year {
        Some(slot) if slot >= results.years.len() => Err(Error::YearSlot {
            slot,
            n_years: results.years.len(),
        }),
        Some(slot) if !results.year_ranked[slot] => Err(Error::YearNotRanked {
            year: results.years[slot],
        }),
        Some(slot) => Ok(slot),
        None => results
            .latest_ranked_year()
            .ok_or_else(|| Error::NoRankedYear {
                index: results.index_id.clone(),
            }),
    }
}

/// Resolves a city by id or display name.
pub(crate) fn city(results: &Results, name: &str) -> Result<usize> {
    results.city_slot(name).ok_or_else(|| Error::UnknownCity {
        city: name.to_string(),
        known: results.cities.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn an_unranked_year_slot_is_refused_with_its_year() {
        let r = testdata::results();
        assert_eq!(ranked_year(&r, None).unwrap(), 2);
        let err = ranked_year(&r, Some(7)).unwrap_err().to_string();
        assert_eq!(err, "year slot 7 is out of range: the results hold 3 years");
        assert!(city(&r, "Atlantis")
            .unwrap_err()
            .to_string()
            .contains("london, paris, tokyo"));
    }

    #[test]
    fn a_year_is_found_by_its_calendar_year_and_must_be_ranked() {
        let r = testdata::results();
        assert_eq!(Year::latest_ranked(&r).unwrap(), Year(2019));
        assert_eq!(Year(2017).ranked_slot(&r).unwrap(), 0);
        assert_eq!(
            Year(2030).ranked_slot(&r).unwrap_err().to_string(),
            "year 2030 is not in the results: they hold 2017, 2018, 2019"
        );
        // 2018 is ranked: Paris and Tokyo are, London is not.
        assert_eq!(Year(2018).ranked_slot(&r).unwrap(), 1);
    }

    #[test]
    fn a_focus_city_is_found_by_id_or_name_and_checked_against_the_chart() {
        let r = testdata::results();
        assert_eq!(Focus::find(&r, "paris").unwrap(), Focus::new(1));
        assert_eq!(Focus::find(&r, "TOKYO").unwrap().slot(), 2);
        assert_eq!(
            Focus::find(&r, "Atlantis").unwrap_err().to_string(),
            "unknown city `Atlantis`; the results hold: london, paris, tokyo"
        );
        assert_eq!(
            Focus::new(3).within(3, "ranking").unwrap_err().to_string(),
            "the ranking chart has 3 cities: no city at slot 3"
        );
    }
}

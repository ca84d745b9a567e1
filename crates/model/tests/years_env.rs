//! `HEALTHY_CITY_YEARS` sets the accepted years (its own test binary, since it sets the
//! process environment).

use healthy_city_model::{year_range, Observations};

const HEADER: &str = "city,indicator,year,value,source,flag\n";

#[test]
fn the_environment_variable_sets_the_accepted_years_and_a_malformed_value_is_an_error() {
    std::env::set_var("HEALTHY_CITY_YEARS", "1700-2200");
    assert_eq!(year_range().unwrap(), 1700..=2200);
    let obs = Observations::from_csv(
        format!("{HEADER}london,pm25,1750,1,s,\nlondon,pm25,2150,1,s,\n").as_bytes(),
        "obs.csv",
    )
    .unwrap();
    assert_eq!(obs.len(), 2);
    let e = Observations::from_csv(
        format!("{HEADER}london,pm25,2201,1,s,\n").as_bytes(),
        "obs.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("year 2201 is outside the accepted years 1700..=2200"),
        "{e}"
    );

    for bad in ["2100-1800", "1800", "soon", "1800-2100-2200"] {
        std::env::set_var("HEALTHY_CITY_YEARS", bad);
        let e = year_range().unwrap_err().to_string();
        assert_eq!(e, format!("HEALTHY_CITY_YEARS is `{bad}`: write the first and last accepted year as FIRST-LAST, for example HEALTHY_CITY_YEARS=1800-2100, or unset it"));
        let e = Observations::from_csv(
            format!("{HEADER}london,pm25,2019,1,s,\n").as_bytes(),
            "obs.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("HEALTHY_CITY_YEARS is"), "{e}");
    }
    std::env::remove_var("HEALTHY_CITY_YEARS");
    assert_eq!(year_range().unwrap(), 1800..=2100);
}

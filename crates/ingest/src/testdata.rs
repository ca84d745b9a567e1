//! Test support shared by the unit tests: where the publishers' files are.

use std::path::PathBuf;

/// The shared data folder (`$HEALTHY_CITY_DATA`, else `../shared/data` from the workspace), or
/// `None` (with a notice) when it is absent and `HEALTHY_CITY_REQUIRE_DATA` is not `1`.
#[allow(clippy::print_stderr)]
pub(crate) fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("HEALTHY_CITY_DATA").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() != Ok("1"),
        "HEALTHY_CITY_REQUIRE_DATA=1 but the data folder `{}` is absent",
        dir.display()
    );
    eprintln!(
        "notice: skipping a test on the published data: `{}` is absent (set HEALTHY_CITY_REQUIRE_DATA=1 to make this a failure)",
        dir.display()
    );
    None
}

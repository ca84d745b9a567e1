//! [`remove_unfinished`] closes the process-wide registry for good, so it is tested in a
//! binary of its own (one test: nothing else in this process may write afterwards).

use std::fs;

use healthy_city_fs::{remove_unfinished, replace_dir, write_atomic, Error, Staging};

#[test]
fn a_signal_clean_up_removes_staged_outputs_and_refuses_every_later_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("ranking.csv"), "previous").unwrap();
    let mut staging = Staging::new(&out).unwrap();
    staging.write("ranking.csv", b"new").unwrap();
    staging.write("charts/ranking.svg", b"<svg/>").unwrap();
    let removed = remove_unfinished();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(removed[0].starts_with(&out));
    // The staging folder is gone; the previous output is untouched.
    let names: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ranking.csv"]);
    assert_eq!(
        fs::read_to_string(out.join("ranking.csv")).unwrap(),
        "previous"
    );
    // Nothing more is written, moved or created.
    assert!(matches!(staging.commit(), Err(Error::Interrupted)));
    assert!(matches!(Staging::new(&out), Err(Error::Interrupted)));
    assert!(matches!(
        write_atomic(&out.join("ranking.csv"), b"late"),
        Err(Error::Interrupted)
    ));
    assert!(matches!(
        replace_dir(&dir.path().join("snapshot"), |_| Ok(())),
        Err(Error::Interrupted)
    ));
    assert_eq!(
        fs::read_to_string(out.join("ranking.csv")).unwrap(),
        "previous"
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
    assert!(!dir.path().join("snapshot").exists());
}

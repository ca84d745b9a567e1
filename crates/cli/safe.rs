//! The last guard before text reaches a terminal: whatever a crate's message or a table holds
//! (city names, file content echoed in an error), what is printed has no control character
//! but the line breaks, and no line longer than [`MAX_LINE`] characters.

use std::fmt::Write;

/// Longest line printed, in characters; a longer one is cut and its length given.
pub const MAX_LINE: usize = 1000;

/// `text` safe to print on a terminal: control characters (escape sequences, carriage
/// returns, tabs, the Unicode direction overrides) written as `\u{1b}` or `\u{202e}`, line
/// breaks kept, and every line longer than [`MAX_LINE`] characters cut, ending with
/// `… (N characters)`. Text without any of those is returned unchanged.
pub fn terminal(text: &str) -> String {
    if !text.chars().any(unsafe_char) && text.lines().all(|l| l.len() <= MAX_LINE) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(64 * MAX_LINE));
    for (k, line) in text.split('\n').enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let count = line.chars().count();
        if count > MAX_LINE {
            let kept: String = line.chars().take(MAX_LINE).collect();
            out.push_str(&healthy_city_model::escape_controls(&kept));
            let _ = write!(out, "… ({count} characters)");
        } else {
            out.push_str(&healthy_city_model::escape_controls(line));
        }
    }
    out
}

/// Whether `c` changes what a terminal shows beyond printing a glyph (the model crate's
/// class: C0 and C1 controls, the bidirectional marks); the line feed is kept here.
fn unsafe_char(c: char) -> bool {
    c != '\n' && healthy_city_model::is_unsafe(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        let text = "error: city `São Paulo` has no value\n  line 2 of `cities.toml`\n";
        assert_eq!(terminal(text), text);
    }

    #[test]
    fn control_characters_are_escaped_and_line_breaks_kept() {
        assert_eq!(
            terminal("city `\x1b]0;owned\x07\x1b[2J`\nnext\r\tline"),
            "city `\\u{1b}]0;owned\\u{7}\\u{1b}[2J`\nnext\\u{d}\\u{9}line"
        );
        assert_eq!(terminal("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\u{9b}c");
    }

    #[test]
    fn a_long_line_is_cut_with_its_length_and_the_next_line_kept() {
        let long = "é".repeat(10 * MAX_LINE);
        let shown = terminal(&format!("{long}\nshort"));
        let (first, second) = shown.split_once('\n').unwrap();
        assert_eq!(second, "short");
        assert_eq!(
            first,
            format!("{}… (10000 characters)", "é".repeat(MAX_LINE))
        );
        // A line of exactly the limit is kept whole.
        let exact = "x".repeat(MAX_LINE);
        assert_eq!(terminal(&exact), exact);
    }
}

/// Property test: whatever the text, what is printed has no control character but line
/// breaks, as many lines, none much longer than [`MAX_LINE`]. Cases:
/// `HEALTHY_CITY_FUZZ_CASES` (default 64).
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("HEALTHY_CITY_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64)
        ))]

        #[test]
        fn any_text_comes_out_safe_to_print(
            text in prop_oneof![
                any::<String>(),
                "[\\x00-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}a\\n]{0,3000}",
            ]
        ) {
            let shown = terminal(&text);
            prop_assert!(!shown.chars().any(unsafe_char));
            prop_assert_eq!(shown.split('\n').count(), text.split('\n').count());
            // An escape is at most 8 characters (`\u{202e}`); the cut adds its length.
            prop_assert!(shown.split('\n').all(|l| l.chars().count() <= 8 * MAX_LINE + 40));
        }
    }
}

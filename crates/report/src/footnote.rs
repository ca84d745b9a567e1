//! The source line printed under every chart.

use healthy_city_model::{Catalogue, Framework, Normalisation, NOT_GIVEN};

/// "Source: ..." naming each publisher once (in framework order), with the datasets taken
/// from it and their licences, then the method in a few words. A dataset's trailing
/// parenthesis (the route it was read by, "(OData API)") and a licence's (whom it credits) are
/// left to the snapshot's SOURCES.md, as is what follows a licence's first ';', so that one
/// dataset read two ways is named once.
pub fn source_footnote(framework: &Framework, catalogue: &Catalogue) -> String {
    // (publisher, datasets, licences), each list in first-seen order.
    let mut publishers: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let mut not_given = 0;
    for node in framework.indicators() {
        if let Some(indicator) = catalogue.get(&node.id) {
            if indicator.source.is_none() {
                not_given += 1;
                continue;
            }
            // Every source of the indicator, fallbacks included, in order.
            for source in indicator.source.iter().chain(&indicator.fallback) {
                let i = publishers
                    .iter()
                    .position(|p| p.0 == source.publisher)
                    .unwrap_or_else(|| {
                        publishers.push((source.publisher.clone(), Vec::new(), Vec::new()));
                        publishers.len() - 1
                    });
                let (_, datasets, licences) = &mut publishers[i];
                // A licence up to its first ';' (the rest qualifies it, in SOURCES.md).
                let licence = source.licence.split(';').next().unwrap_or_default();
                for (list, text) in [(datasets, source.dataset.as_str()), (licences, licence)] {
                    let text = without_parenthesis(text);
                    if !text.is_empty() && text != NOT_GIVEN && !list.iter().any(|t| t == text) {
                        list.push(text.to_string());
                    }
                }
            }
        }
    }
    let mut sources: Vec<String> = publishers
        .into_iter()
        .map(|(publisher, datasets, licences)| {
            let mut text = publisher;
            if !datasets.is_empty() {
                text = format!("{text}, {}", datasets.join(" and "));
            }
            if !licences.is_empty() {
                text = format!("{text} ({})", licences.join(", "));
            }
            text
        })
        .collect();
    match not_given {
        0 => {}
        1 => sources.push(format!("{NOT_GIVEN} for 1 indicator")),
        n if sources.is_empty() => sources.push(format!("{NOT_GIVEN} ({n} indicators)")),
        n => sources.push(format!("{NOT_GIVEN} for {n} indicators")),
    }
    let methods = &framework.methods;
    let normalisation = match &methods.normalisation {
        Normalisation::Minmax => match methods.bounds {
            healthy_city_model::Bounds::Panel => "min-max over all years",
            healthy_city_model::Bounds::Year => "min-max per year",
        }
        .to_string(),
        other => other.to_string(),
    };
    format!(
        "Source: {}. {}: {normalisation}, {} mean, scale {}-{}.",
        sources.join("; "),
        framework.name,
        methods.aggregation,
        methods.scale[0],
        methods.scale[1]
    )
}

/// `text` without a trailing parenthesis: "Global Health Observatory (OData API)" is
/// "Global Health Observatory".
fn without_parenthesis(text: &str) -> &str {
    let text = text.trim();
    match text
        .strip_suffix(')')
        .and_then(|t| t.rfind(" (").map(|i| &text[..i]))
    {
        Some(stem) if !stem.trim().is_empty() => stem.trim(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_publisher_once_with_its_datasets_and_licences_and_the_method() {
        let catalogue = Catalogue::parse(
            r#"
[[indicator]]
id = "a"
name = "A"
unit = "u"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "WHO", dataset = "AAQ", release = "V5", licence = "l", query = "q" }
[[indicator]]
id = "b"
name = "B"
unit = "u"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "WHO", dataset = "AAQ", release = "V5", licence = "l", query = "r" }
[[indicator]]
id = "c"
name = "C"
unit = "u"
direction = "higher"
level = "national"
source = { adapter = "y", publisher = "World Bank", dataset = "WDI", release = "2024", licence = "CC BY 4.0 (World Bank, WDI)", query = "s" }
[[indicator]]
id = "d"
name = "D"
unit = "u"
direction = "higher"
level = "national"
source = { adapter = "z", publisher = "WHO", dataset = "GHO (OData API)", release = "2024", licence = "CC BY-NC-SA 3.0 IGO; see terms", query = "t" }
[[indicator]]
id = "e"
name = "E"
unit = "u"
direction = "higher"
level = "national"
source = { adapter = "w", publisher = "WHO", dataset = "GHO (data portal CSV export)", release = "2024", licence = "CC BY-NC-SA 3.0 IGO", query = "v" }
"#,
            "c.toml",
        )
        .unwrap();
        let framework = Framework::parse(
            "[index]\nid = \"t\"\nname = \"Tiny\"\n[[group]]\nid = \"index\"\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n[[indicator]]\nid = \"b\"\nparent = \"index\"\n[[indicator]]\nid = \"c\"\nparent = \"index\"\n[[indicator]]\nid = \"d\"\nparent = \"index\"\n[[indicator]]\nid = \"e\"\nparent = \"index\"\n",
            "f.toml",
        )
        .unwrap();
        assert_eq!(
            source_footnote(&framework, &catalogue),
            "Source: WHO, AAQ and GHO (l, CC BY-NC-SA 3.0 IGO); World Bank, WDI (CC BY 4.0). \
             Tiny: min-max over all years, arithmetic mean, scale 0-100."
        );
    }
}

//! The source line printed under every chart.

use healthy_city_model::{Catalogue, Framework, Normalisation, NOT_GIVEN};

/// "Source: ..." naming each publisher and dataset the framework's indicators come from (in
/// framework order, each once; releases and licences are in the snapshot's SOURCES.md), then
/// the method in a few words.
pub fn source_footnote(framework: &Framework, catalogue: &Catalogue) -> String {
    let mut sources: Vec<String> = Vec::new();
    let mut not_given = 0;
    for node in framework.indicators() {
        if let Some(indicator) = catalogue.get(&node.id) {
            let Some(source) = &indicator.source else {
                not_given += 1;
                continue;
            };
            let text = format!("{}, {}", source.publisher, source.dataset);
            if !sources.contains(&text) {
                sources.push(text);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_source_once_and_the_method() {
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
"#,
            "c.toml",
        )
        .unwrap();
        let framework = Framework::parse(
            "[index]\nid = \"t\"\nname = \"Tiny\"\n[[group]]\nid = \"index\"\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n[[indicator]]\nid = \"b\"\nparent = \"index\"\n",
            "f.toml",
        )
        .unwrap();
        assert_eq!(
            source_footnote(&framework, &catalogue),
            "Source: WHO, AAQ. Tiny: min-max over all years, arithmetic mean, scale 0-100."
        );
    }
}

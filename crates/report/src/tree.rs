//! The framework's tree, walked as every chart that shows it walks it.

use healthy_city_score::Results;

/// The nodes depth first from the index (children in framework order), each with its depth
/// (the index 0).
pub(crate) fn depth_first(results: &Results) -> Vec<(usize, usize)> {
    fn visit(results: &Results, node: usize, depth: usize, out: &mut Vec<(usize, usize)>) {
        out.push((node, depth));
        for child in children(results, node) {
            visit(results, child, depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(results.nodes.len());
    visit(results, results.root, 0, &mut out);
    out
}

fn children(results: &Results, node: usize) -> Vec<usize> {
    (0..results.nodes.len())
        .filter(|&c| results.nodes[c].parent == Some(node))
        .collect()
}

//! The statistical audit's five tables, built from [`Audit`]'s public data (the score crate
//! computes, this module presents). Statistics are in the exponent notation: shortest
//! round-trip form, exponent form for tiny or huge magnitudes, empty where not available.

use healthy_city_score::Audit;

use crate::table::{Cell, Column, Table};

/// Columns by name, the statistics among them in the exponent notation.
fn columns(names: &[&str], statistics: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|&name| {
            let column = Column::new(name);
            if statistics.contains(&name) {
                column.exponent()
            } else {
                column
            }
        })
        .collect()
}

/// `availability.csv`: `year,kind,id,present,total,share` per indicator, then per city (raw
/// values).
pub fn audit_availability_table(audit: &Audit) -> Table {
    let mut table = Table::new(columns(
        &["year", "kind", "id", "present", "total", "share"],
        &["share"],
    ));
    for a in &audit.availability {
        let share = if a.total == 0 {
            f64::NAN
        } else {
            a.present as f64 / a.total as f64
        };
        table.push(vec![
            audit.year.into(),
            a.kind.into(),
            (&a.id).into(),
            a.present.into(),
            a.total.into(),
            share.into(),
        ]);
    }
    table
}

/// `skew_kurt.csv`: `year,dataset,indicator,n,skew,kurt,flag`, raw and treated.
pub fn audit_skew_kurt_table(audit: &Audit) -> Table {
    let mut table = Table::new(columns(
        &["year", "dataset", "indicator", "n", "skew", "kurt", "flag"],
        &["skew", "kurt"],
    ));
    for s in &audit.skew_kurt {
        table.push(vec![
            audit.year.into(),
            s.dataset.into(),
            (&s.indicator).into(),
            s.n.into(),
            s.skew.into(),
            s.kurt.into(),
            s.flag.into(),
        ]);
    }
    table
}

/// `correlations.csv`: `year,dataset,method,relation,var1,var2,r,pvalue,n,collinear`, long
/// form with p-values.
pub fn audit_correlations_table(audit: &Audit) -> Table {
    let mut table = Table::new(columns(
        &[
            "year",
            "dataset",
            "method",
            "relation",
            "var1",
            "var2",
            "r",
            "pvalue",
            "n",
            "collinear",
        ],
        &["r", "pvalue"],
    ));
    for c in &audit.correlations {
        table.push(vec![
            audit.year.into(),
            c.dataset.into(),
            c.method.as_str().into(),
            c.relation.into(),
            (&c.var1).into(),
            (&c.var2).into(),
            c.corr.r.into(),
            c.corr.p.into(),
            c.corr.n.into(),
            c.collinear.into(),
        ]);
    }
    table
}

/// `cronbach.csv`: `year,group,k,n,alpha`: each group's children, the complete rows used and
/// Cronbach's alpha (empty where it cannot be computed).
pub fn audit_cronbach_table(audit: &Audit) -> Table {
    let mut table = Table::new(columns(&["year", "group", "k", "n", "alpha"], &["alpha"]));
    for g in &audit.groups {
        let (alpha, n) = g.alpha.unwrap_or((f64::NAN, 0));
        table.push(vec![
            audit.year.into(),
            (&g.group).into(),
            g.children.len().into(),
            n.into(),
            alpha.into(),
        ]);
    }
    table
}

/// `pca.csv`: one row per group, component and variable:
/// `year,group,n,component,sdev,variance,prop_variance,cum_prop,variable,loading`.
pub fn audit_pca_table(audit: &Audit) -> Table {
    let mut table = Table::new(columns(
        &[
            "year",
            "group",
            "n",
            "component",
            "sdev",
            "variance",
            "prop_variance",
            "cum_prop",
            "variable",
            "loading",
        ],
        &[],
    ));
    for g in &audit.groups {
        let Some(pca) = &g.pca else { continue };
        let mut cum = 0.0;
        for (c, (&variance, share)) in pca.variances.iter().zip(pca.proportions()).enumerate() {
            cum += share;
            for (variable, &loading) in g.children.iter().zip(&pca.loadings[c]) {
                table.push(vec![
                    audit.year.into(),
                    (&g.group).into(),
                    pca.n.into(),
                    Cell::Text(format!("PC{}", c + 1)),
                    variance.sqrt().into(),
                    variance.into(),
                    share.into(),
                    cum.into(),
                    variable.into(),
                    loading.into(),
                ]);
            }
        }
    }
    table
}

/// The audit's five tables with their file names under the output folder, in the order they
/// are written.
pub fn audit_tables(audit: &Audit) -> [(&'static str, Table); 5] {
    [
        ("audit/availability.csv", audit_availability_table(audit)),
        ("audit/skew_kurt.csv", audit_skew_kurt_table(audit)),
        ("audit/correlations.csv", audit_correlations_table(audit)),
        ("audit/cronbach.csv", audit_cronbach_table(audit)),
        ("audit/pca.csv", audit_pca_table(audit)),
    ]
}

#[cfg(test)]
mod tests {
    use healthy_city_score::{
        Availability, CorrMethod, Correlation, CorrelationRow, GroupAudit, Pca, SkewKurtRow,
    };

    use super::*;

    fn audit() -> Audit {
        Audit {
            year: 2020,
            n_cities: 4,
            availability: vec![Availability {
                kind: "indicator",
                id: String::from("b"),
                present: 3,
                total: 4,
            }],
            skew_kurt: vec![SkewKurtRow {
                dataset: "raw",
                indicator: String::from("b"),
                n: 3,
                skew: f64::NAN,
                kurt: f64::NAN,
                flag: false,
            }],
            correlations: vec![CorrelationRow {
                dataset: "raw",
                method: CorrMethod::Pearson,
                relation: "pair",
                var1: String::from("a"),
                var2: String::from("b"),
                corr: Correlation {
                    r: 0.99,
                    p: 1.5e-7,
                    n: 3,
                },
                collinear: true,
            }],
            groups: vec![GroupAudit {
                group: String::from("index"),
                children: vec![String::from("a"), String::from("b")],
                alpha: None,
                pca: Some(Pca {
                    n: 3,
                    variances: vec![1.5, 0.5],
                    loadings: vec![vec![0.5, 0.5], vec![0.5, -0.5]],
                }),
            }],
        }
    }

    #[test]
    fn the_audit_tables_write_statistics_in_exponent_form_and_missing_ones_empty() {
        let [availability, skew_kurt, correlations, cronbach, pca] =
            audit_tables(&audit()).map(|(_, t)| t.to_csv());
        assert_eq!(
            availability,
            "year,kind,id,present,total,share\n2020,indicator,b,3,4,0.75\n"
        );
        assert_eq!(
            skew_kurt,
            "year,dataset,indicator,n,skew,kurt,flag\n2020,raw,b,3,,,false\n"
        );
        assert!(correlations
            .starts_with("year,dataset,method,relation,var1,var2,r,pvalue,n,collinear\n"));
        assert_eq!(
            correlations,
            "year,dataset,method,relation,var1,var2,r,pvalue,n,collinear\n2020,raw,pearson,pair,a,b,0.99,1.5e-7,3,true\n"
        );
        assert_eq!(cronbach, "year,group,k,n,alpha\n2020,index,2,0,\n");
        assert_eq!(
            pca,
            "year,group,n,component,sdev,variance,prop_variance,cum_prop,variable,loading\n\
             2020,index,3,PC1,1.224744871391589,1.5,0.75,0.75,a,0.5\n\
             2020,index,3,PC1,1.224744871391589,1.5,0.75,0.75,b,0.5\n\
             2020,index,3,PC2,0.7071067811865476,0.5,0.25,1,a,0.5\n\
             2020,index,3,PC2,0.7071067811865476,0.5,0.25,1,b,-0.5\n"
        );
    }
}

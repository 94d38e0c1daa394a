//! Cloud and hosting attribution: which company's network a provider runs on.
//!
//! A declared hosting name is matched against the aliases of the bundled
//! table `data/reference/clouds.csv`; where nothing is declared but the ASN
//! is known, the ASN is looked up in the same table (each entry cites the
//! registration it comes from). Every attribution says whether it was
//! declared by the data or inferred from the ASN.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const CLOUDS_CSV: &str = include_str!("../data/reference/clouds.csv");

/// What kind of company a cloud is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// AWS, Google Cloud, Azure, Oracle, Alibaba, …
    Hyperscaler,
    /// GPU-specialised clouds (CoreWeave, Lambda, …).
    GpuCloud,
    /// Dedicated-server and VPS hosts (Hetzner, OVH, …).
    Hosting,
    /// A declared name the table does not know.
    Other,
}

/// How an attribution was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    Declared,
    InferredFromAsn,
}

/// A provider's cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudOf {
    pub name: String,
    pub category: Category,
    pub attribution: Attribution,
}

struct Entry {
    name: String,
    category: Category,
}

struct Table {
    by_alias: BTreeMap<String, usize>,
    by_asn: BTreeMap<u32, usize>,
    entries: Vec<Entry>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            by_alias: BTreeMap::new(),
            by_asn: BTreeMap::new(),
            entries: Vec::new(),
        };
        let mut reader = csv::Reader::from_reader(CLOUDS_CSV.as_bytes());
        for row in reader.records() {
            let row = row.expect("bundled clouds.csv is valid CSV");
            let index = t.entries.len();
            let category = match &row[1] {
                "hyperscaler" => Category::Hyperscaler,
                "gpu_cloud" => Category::GpuCloud,
                _ => Category::Hosting,
            };
            t.by_alias.insert(row[0].to_lowercase(), index);
            for alias in row[3].split('|').filter(|a| !a.is_empty()) {
                t.by_alias.insert(alias.to_lowercase(), index);
            }
            for asn in row[2].split('|').filter_map(|a| a.parse().ok()) {
                t.by_asn.insert(asn, index);
            }
            t.entries.push(Entry {
                name: row[0].to_string(),
                category,
            });
        }
        t
    })
}

/// The cloud of a provider from its declared hosting name, else its ASN.
pub fn resolve(declared: Option<&str>, asn: Option<u32>) -> Option<CloudOf> {
    let t = table();
    if let Some(name) = declared.map(str::trim).filter(|n| !n.is_empty()) {
        let known = t.by_alias.get(&name.to_lowercase()).map(|&i| &t.entries[i]);
        return Some(match known {
            Some(e) => CloudOf {
                name: e.name.clone(),
                category: e.category,
                attribution: Attribution::Declared,
            },
            None => CloudOf {
                name: name.to_string(),
                category: Category::Other,
                attribution: Attribution::Declared,
            },
        });
    }
    let e = &t.entries[*t.by_asn.get(&asn?)?];
    Some(CloudOf {
        name: e.name.clone(),
        category: e.category,
        attribution: Attribution::InferredFromAsn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_table() {
        let cases = [
            (
                Some("AWS"),
                None,
                Some((
                    "Amazon Web Services",
                    Category::Hyperscaler,
                    Attribution::Declared,
                )),
            ),
            (
                None,
                Some(24940),
                Some(("Hetzner", Category::Hosting, Attribution::InferredFromAsn)),
            ),
            (
                Some("My Garage"),
                Some(16509),
                Some(("My Garage", Category::Other, Attribution::Declared)),
            ),
            (
                Some("coreweave"),
                None,
                Some(("CoreWeave", Category::GpuCloud, Attribution::Declared)),
            ),
            (None, Some(64512), None),
            (None, None, None),
        ];
        for (declared, asn, expected) in cases {
            let got = resolve(declared, asn);
            let got = got
                .as_ref()
                .map(|c| (c.name.as_str(), c.category, c.attribution));
            assert_eq!(got, expected, "{declared:?} {asn:?}");
        }
    }
}

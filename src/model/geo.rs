//! Country normalization to ISO 3166-1 alpha-2 codes.
//!
//! The code list is the public-domain `iso3166.tab` of the IANA time zone
//! database (bundled as `data/reference/iso3166.tab`), plus a few common
//! spellings that sources use and the table words differently.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const ISO3166_TAB: &str = include_str!("../../data/reference/iso3166.tab");

/// Spellings seen in provider data that the tz table names differently.
const EXTRA_NAMES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("united states of america", "US"),
    ("uk", "GB"),
    ("united kingdom", "GB"),
    ("great britain", "GB"),
    ("the netherlands", "NL"),
    ("holland", "NL"),
    ("czechia", "CZ"),
    ("south korea", "KR"),
    ("korea", "KR"),
    ("republic of korea", "KR"),
    ("russian federation", "RU"),
    ("türkiye", "TR"),
    ("turkiye", "TR"),
    ("viet nam", "VN"),
    ("hong kong sar", "HK"),
    ("uae", "AE"),
];

struct Table {
    codes: BTreeMap<String, String>,
    names: BTreeMap<String, String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut codes = BTreeMap::new();
        let mut names = BTreeMap::new();
        for line in ISO3166_TAB.lines().filter(|l| !l.starts_with('#')) {
            if let Some((code, name)) = line.split_once('\t') {
                codes.insert(code.to_string(), name.to_string());
                names.insert(name.to_lowercase(), code.to_string());
            }
        }
        for (name, code) in EXTRA_NAMES {
            names.insert(name.to_string(), code.to_string());
        }
        Table { codes, names }
    })
}

/// The alpha-2 code for a code or country name, or `None` if unknown.
pub fn country_code(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let upper = trimmed.to_ascii_uppercase();
    let t = table();
    if upper.len() == 2 && t.codes.contains_key(&upper) {
        return Some(upper);
    }
    t.names.get(&trimmed.to_lowercase()).cloned()
}

/// English name of an alpha-2 code, if known.
pub fn country_name(code: &str) -> Option<&'static str> {
    table().codes.get(code).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_table() {
        let cases = [
            ("us", Some("US")),
            ("DE", Some("DE")),
            ("United States", Some("US")),
            ("The Netherlands", Some("NL")),
            ("Czechia", Some("CZ")),
            ("Atlantis", None),
            ("XX", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(country_code(input).as_deref(), expected, "{input}");
        }
        assert_eq!(country_name("HR"), Some("Croatia"));
    }
}

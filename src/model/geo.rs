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
    /// Each code at index `26 * letter + letter` (A = 0), for lookups of
    /// two-letter input without comparing strings.
    by_letters: Vec<Option<String>>,
}

/// The slot of a two-letter code in [`Table::by_letters`], case-insensitive.
fn letters_slot(a: u8, b: u8) -> Option<usize> {
    let index = |c: u8| {
        c.is_ascii_alphabetic()
            .then(|| (c.to_ascii_uppercase() - b'A') as usize)
    };
    Some(26 * index(a)? + index(b)?)
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
        let mut by_letters = vec![None; 26 * 26];
        for code in codes.keys() {
            if let [a, b] = code.as_bytes()
                && let Some(slot) = letters_slot(*a, *b)
            {
                by_letters[slot] = Some(code.clone());
            }
        }
        Table {
            codes,
            names,
            by_letters,
        }
    })
}

/// The alpha-2 code for a code or country name, or `None` if unknown.
pub fn country_code(input: &str) -> Option<&'static str> {
    let trimmed = input.trim();
    let t = table();
    // The common case, a code: an array lookup, no allocation.
    if let [a, b] = trimmed.as_bytes()
        && let Some(slot) = letters_slot(*a, *b)
        && let Some(code) = &t.by_letters[slot]
    {
        return Some(code.as_str());
    }
    t.names.get(&trimmed.to_lowercase()).map(String::as_str)
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
            assert_eq!(country_code(input), expected, "{input}");
        }
        assert_eq!(country_name("HR"), Some("Croatia"));
    }
}

//! "Did you mean …?" for misspelled names (claim metrics, rules, formats,
//! dimensions, weights).

/// The candidate closest to `input`, if one is close enough to be a likely
/// typo (Jaro–Winkler similarity of at least 0.8, case-insensitive).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = input.trim().to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` or nothing.
pub fn hint<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(input, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        let names = ["max_share", "nakamoto_coefficient", "hhi", "gini"];
        assert_eq!(super::closest("max_shares", names), Some("max_share"));
        assert_eq!(
            super::closest("nakamoto_coeficient", names),
            Some("nakamoto_coefficient")
        );
        assert_eq!(super::closest("Gini", names), Some("gini"));
        assert_eq!(super::closest("uptime", names), None);
    }
}

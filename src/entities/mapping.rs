//! The user's operator mapping file (TOML). It takes precedence over every
//! heuristic: it forces merges, keeps providers out of heuristic merges
//! (splits), names operators, and extends the domain deny-list.
//!
//! ```toml
//! [[operator]]
//! name = "Example Compute Ltd"
//! providers = ["akash1aaa…", "akash1bbb…"]
//! reason = "both list ops@example.com; confirmed in the provider's blog post"
//!
//! [[split]]
//! providers = ["akash1ccc…"]
//! reason = "shares a /24 with akash1aaa… at a colocation site, separate company"
//!
//! [deny]
//! domains = ["shared-gateway.example.net"]
//! ```

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Providers forced into one named operator.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedOperator {
    pub name: String,
    pub providers: Vec<String>,
    pub reason: Option<String>,
    /// Line of the `name` in the file, for messages.
    pub line: usize,
}

/// Providers kept out of heuristic merges.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub providers: Vec<String>,
    pub reason: Option<String>,
}

/// A parsed mapping file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    pub operators: Vec<MappedOperator>,
    pub splits: Vec<Split>,
    pub deny_domains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    operator: Vec<RawOperator>,
    #[serde(default)]
    split: Vec<RawSplit>,
    #[serde(default)]
    deny: Option<RawDeny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    name: Spanned<String>,
    providers: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    providers: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeny {
    domains: Vec<String>,
}

impl Mapping {
    /// Parses a mapping file; errors name the file and the line.
    pub fn parse(location: &str, text: &str) -> Result<Self> {
        let err = |offset: usize, field: Option<&str>, msg: String| {
            Error::input(
                location,
                Some(format!("line {}", crate::error::line_at(text, offset))),
                field,
                msg,
            )
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(
                offset,
                None,
                format!("is not a valid mapping file: {}", e.message().trim()),
            )
            .with_hint("see the mapping format in METHODOLOGY.md")
        })?;
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        let mut operators = Vec::new();
        for op in raw.operator {
            let name = op.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(err(op.name.span().start, Some("name"), "is empty".into()));
            }
            if op.providers.get_ref().is_empty() {
                return Err(err(
                    op.providers.span().start,
                    Some("providers"),
                    "lists no provider".into(),
                ));
            }
            let mut providers = Vec::new();
            for p in op.providers.into_inner() {
                let id = p.get_ref().trim().to_string();
                if let Some(other) = owner.insert(id.clone(), name.clone()) {
                    return Err(err(
                        p.span().start,
                        Some("providers"),
                        format!("provider `{id}` is already mapped to operator `{other}`"),
                    )
                    .with_hint("a provider belongs to one operator"));
                }
                providers.push(id);
            }
            operators.push(MappedOperator {
                line: crate::error::line_at(text, op.name.span().start),
                name,
                providers,
                reason: op.reason,
            });
        }
        let splits = raw
            .split
            .into_iter()
            .map(|s| Split {
                providers: s
                    .providers
                    .into_inner()
                    .into_iter()
                    .map(|p| p.into_inner())
                    .collect(),
                reason: s.reason,
            })
            .collect();
        Ok(Mapping {
            operators,
            splits,
            deny_domains: raw.deny.map(|d| d.domains).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operators_splits_and_deny() {
        let m = Mapping::parse(
            "m.toml",
            "[[operator]]\nname = \"X\"\nproviders = [\"a\", \"b\"]\nreason = \"same team\"\n\n[[split]]\nproviders = [\"c\"]\n\n[deny]\ndomains = [\"e.com\"]\n",
        )
        .unwrap();
        assert_eq!(m.operators[0].providers, ["a", "b"]);
        assert_eq!(m.operators[0].line, 2);
        assert_eq!(m.splits[0].providers, ["c"]);
        assert_eq!(m.deny_domains, ["e.com"]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            (
                "[[operator]]\nname = \"X\"\nproviders = [\"a\"\n",
                "m.toml: line 3",
            ),
            (
                "[[operator]]\nname = \"X\"\nprovider = [\"a\"]\n",
                "m.toml: line 3",
            ),
            (
                "[[operator]]\nname = \"\"\nproviders = [\"a\"]\n",
                "m.toml: line 2: field `name`: is empty",
            ),
            (
                "[[operator]]\nname = \"X\"\nproviders = []\n",
                "m.toml: line 3: field `providers`",
            ),
            (
                "[[operator]]\nname = \"X\"\nproviders = [\"a\"]\n[[operator]]\nname = \"Y\"\nproviders = [\"b\",\n \"a\"]\n",
                "m.toml: line 7: field `providers`: provider `a` is already mapped to operator `X`",
            ),
        ];
        for (text, expected) in cases {
            let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{text:?}: {e}");
        }
    }
}

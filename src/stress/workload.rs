//! Workload profiles: what a network must serve, as classes of replicas
//! with GPU count, memory and model requirements (TOML).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One class of identical replicas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Class {
    pub name: String,
    /// Replicas demanded.
    pub replicas: u64,
    pub gpus_per_replica: u64,
    /// Each GPU of a replica needs at least this much memory (GB).
    pub min_gpu_memory_gb: Option<f64>,
    /// All GPUs of one replica on one provider and one model.
    pub same_provider: bool,
    /// Allowed normalized GPU models (globs with `*` and `?`); empty: any.
    pub models: Vec<String>,
}

impl Class {
    /// GPUs demanded by the class.
    pub fn demanded_gpus(&self) -> u64 {
        // Parsed workloads never exceed 2^64 - 1 (see `parse`); one built
        // by hand stops there instead of wrapping.
        self.replicas.saturating_mul(self.gpus_per_replica)
    }

    /// Whether a GPU of `model` with `memory_gb` can serve this class.
    pub fn accepts(&self, model: Option<&str>, memory_gb: Option<f64>) -> bool {
        let memory_ok = match self.min_gpu_memory_gb {
            None => true,
            Some(min) => memory_gb.is_some_and(|m| m + 1e-9 >= min),
        };
        let model_ok =
            self.models.is_empty() || model.is_some_and(|m| self.models.iter().any(|g| glob(g, m)));
        memory_ok && model_ok
    }
}

/// A workload profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub name: String,
    pub classes: Vec<Class>,
}

impl Workload {
    pub fn demanded_gpus(&self) -> u64 {
        self.classes
            .iter()
            .fold(0, |sum, c| sum.saturating_add(c.demanded_gpus()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    name: String,
    #[serde(rename = "class")]
    classes: Vec<Spanned<RawClass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    name: String,
    replicas: i64,
    gpus_per_replica: i64,
    #[serde(default)]
    min_gpu_memory_gb: Option<f64>,
    #[serde(default = "yes")]
    same_provider: bool,
    #[serde(default)]
    models: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Parses a workload profile; errors name the file, line and field.
pub fn parse(location: &str, text: &str) -> Result<Workload> {
    let raw: RawWorkload = toml::from_str(text).map_err(|e| {
        let line = crate::error::line_at(text, e.span().map_or(0, |s| s.start));
        Error::input(
            location,
            Some(format!("line {line}")),
            None,
            format!("is not a valid workload: {}", e.message().trim()),
        )
        .with_hint("see the workload format in the README")
    })?;
    if raw.classes.is_empty() {
        return Err(Error::input(
            location,
            None,
            Some("class"),
            "the workload has no [[class]]",
        ));
    }
    let mut classes = Vec::new();
    // GPUs the classes demand so far: the total must be countable too.
    let mut demanded: u64 = 0;
    for c in raw.classes {
        let line = crate::error::line_at(text, c.span().start);
        let c = c.into_inner();
        let err = |field: &str, msg: String| {
            Error::input(
                location,
                Some(format!("class `{}` (line {line})", c.name)),
                Some(field),
                msg,
            )
        };
        if c.replicas < 1 {
            return Err(err(
                "replicas",
                format!("is {}; it must be at least 1", c.replicas),
            ));
        }
        if !(1..=1_000_000).contains(&c.gpus_per_replica) {
            return Err(err(
                "gpus_per_replica",
                format!(
                    "is {}; it must be between 1 and 1000000",
                    c.gpus_per_replica
                ),
            ));
        }
        // Counted in 64 bits: a larger demand would wrap to a small one.
        let gpus = (c.replicas as u64)
            .checked_mul(c.gpus_per_replica as u64)
            .ok_or_else(|| {
                err(
                    "replicas",
                    format!(
                        "is {}: with {} GPUs per replica the class demands more than 2^64 - 1 GPUs",
                        c.replicas, c.gpus_per_replica
                    ),
                )
            })?;
        demanded = demanded.checked_add(gpus).ok_or_else(|| {
            err(
                "replicas",
                format!(
                    "is {}: with the classes before it the workload demands more than 2^64 - 1 GPUs",
                    c.replicas
                ),
            )
        })?;
        if let Some(m) = c.min_gpu_memory_gb.filter(|m| !m.is_finite() || *m < 0.0) {
            return Err(err(
                "min_gpu_memory_gb",
                format!("is {m}; it must be a non-negative number"),
            ));
        }
        if classes.iter().any(|k: &Class| k.name == c.name) {
            return Err(err("name", "is used by two classes".into()));
        }
        classes.push(Class {
            name: c.name.clone(),
            replicas: c.replicas as u64,
            gpus_per_replica: c.gpus_per_replica as u64,
            min_gpu_memory_gb: c.min_gpu_memory_gb,
            same_provider: c.same_provider,
            models: c.models.iter().map(|m| m.to_ascii_lowercase()).collect(),
        });
    }
    Ok(Workload {
        name: raw.name,
        classes,
    })
}

/// The workload `stress` uses when none is given.
pub const DEFAULT_WORKLOAD: &str = include_str!("../../workloads/default.toml");

/// Glob match with `*` (any run) and `?` (any one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demands_past_64_bits_are_refused_not_wrapped() {
        let class = |name: &str, replicas: &str, gpus: u32| {
            format!(
                "[[class]]\nname = \"{name}\"\nreplicas = {replicas}\ngpus_per_replica = {gpus}\n"
            )
        };
        let workload = |classes: &[String]| format!("name = \"w\"\n{}", classes.concat());
        // 2^62 replicas of 4 GPUs is 2^64, which wrapped to 0.
        let e = parse(
            "w.toml",
            &workload(&[class("big", "4611686018427387904", 4)]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("w.toml") && e.contains("class `big`") && e.contains("replicas"),
            "{e}"
        );
        assert!(e.contains("2^64 - 1"), "{e}");
        // Each class fits; together they do not.
        let half = class("a", "4611686018427387904", 2);
        let e = parse(
            "w.toml",
            &workload(&[half.clone(), class("b", "4611686018427387904", 2)]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("class `b`") && e.contains("with the classes before it"),
            "{e}"
        );
        // The largest countable demand is accepted.
        let w = parse(
            "w.toml",
            &workload(&[class("a", "9223372036854775807", 2), class("b", "1", 1)]),
        )
        .unwrap();
        assert_eq!(w.demanded_gpus(), u64::MAX);
    }

    #[test]
    fn glob_table() {
        let cases = [
            ("h100*", "h100-80gb", true),
            ("a100-80gb", "a100-80gb", true),
            ("a100-80gb", "a100-40gb", false),
            ("*4090*", "rtx4090-24gb", true),
            ("rtx40?0-*", "rtx4090-24gb", true),
            ("h100", "h100-80gb", false),
            ("*", "", true),
        ];
        for (p, t, expected) in cases {
            assert_eq!(glob(p, t), expected, "{p} ~ {t}");
        }
    }

    #[test]
    fn parses_the_documented_example_and_defaults() {
        let w = parse(
            "w.toml",
            "name = \"mix\"\n[[class]]\nname = \"70b\"\nreplicas = 40\ngpus_per_replica = 2\nmin_gpu_memory_gb = 80\nmodels = [\"h100*\", \"a100-80gb\"]\n[[class]]\nname = \"emb\"\nreplicas = 500\ngpus_per_replica = 1\n",
        )
        .unwrap();
        assert_eq!(w.demanded_gpus(), 80 + 500);
        assert!(w.classes[0].same_provider);
        assert!(w.classes[0].accepts(Some("h100-80gb"), Some(80.0)));
        assert!(!w.classes[0].accepts(Some("a100-40gb"), Some(40.0)));
        assert!(!w.classes[0].accepts(None, None));
        assert!(w.classes[1].accepts(None, None));
        assert!(parse("d", DEFAULT_WORKLOAD).is_ok());
    }

    #[test]
    fn bad_profiles_name_the_line_and_field() {
        let cases = [
            (
                "name = \"x\"\n[[class]]\nname = \"a\"\nreplicas = 0\ngpus_per_replica = 1\n",
                "field `replicas`",
            ),
            (
                "name = \"x\"\n[[class]]\nname = \"a\"\nreplicas = 1\ngpus_per_replica = -2\n",
                "field `gpus_per_replica`",
            ),
            (
                "name = \"x\"\n[[class]]\nname = \"a\"\nreplicas = 1\ngpus = 1\n",
                "w.toml: line",
            ),
            ("name = \"x\"\n", "w.toml: line 1"),
            ("name = \"x\"\n[[class]\n", "w.toml: line 2"),
        ];
        for (text, expected) in cases {
            let e = parse("w.toml", text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }
}

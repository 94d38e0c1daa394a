//! Plain number lists for `rackaudit metrics`: a JSON array, or one number
//! per line (blank lines and `#` comments skipped).

use crate::error::{Error, Result};

/// Parses non-negative finite numbers; errors name the position.
pub fn parse_numbers(location: &str, text: &str) -> Result<Vec<f64>> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        return parse_json_array(location, text);
    }
    let mut out = Vec::with_capacity(text.len() / 4);
    for (i, line) in text.lines().enumerate() {
        // Fast path: a plain whole number, the usual line of a weight file
        // (exact below 2^53, like the general parser).
        if let Some(v) = plain_integer(line.as_bytes()) {
            out.push(v);
            continue;
        }
        let end = line.bytes().position(|b| b == b'#').unwrap_or(line.len());
        let item = line[..end].trim();
        if item.is_empty() {
            continue;
        }
        let value = check(item.parse::<f64>().ok(), item)
            .map_err(|m| Error::input(location, Some(format!("line {}", i + 1)), None, m))?;
        out.push(value);
    }
    Ok(out)
}

/// A line of 1 to 15 ASCII digits as its value; `None` for anything else.
fn plain_integer(line: &[u8]) -> Option<f64> {
    if line.is_empty() || line.len() > 15 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in line {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v as f64)
}

fn parse_json_array(location: &str, text: &str) -> Result<Vec<f64>> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| {
        Error::input(
            location,
            Some(format!("line {}, column {}", e.line(), e.column())),
            None,
            format!("is not a JSON array of numbers: {e}"),
        )
    })?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let parsed = match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            check(parsed, &v.to_string())
                .map_err(|m| Error::input(location, Some(format!("$[{i}]")), None, m))
        })
        .collect()
}

fn check(parsed: Option<f64>, text: &str) -> std::result::Result<f64, String> {
    match parsed {
        None => Err(format!("`{text}` is not a number")),
        Some(x) if !x.is_finite() => Err(format!("`{text}` is not a finite number")),
        Some(x) if x < 0.0 => Err(format!(
            "`{text}` is negative; weights must be non-negative"
        )),
        Some(x) => Ok(x + 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_integers_take_the_fast_path_and_agree_with_the_parser() {
        for text in ["0", "7", "0012", "999999999999999"] {
            assert_eq!(plain_integer(text.as_bytes()), text.parse::<f64>().ok());
        }
        for text in [
            "",
            "1.5",
            "-3",
            "1e3",
            " 4",
            "4 ",
            "1234567890123456",
            "1_000",
        ] {
            assert_eq!(plain_integer(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn accepts_both_layouts() {
        assert_eq!(
            parse_numbers("f", "[1, 2.5, \"3\"]").unwrap(),
            [1.0, 2.5, 3.0]
        );
        assert_eq!(
            parse_numbers("f", "1\n\n# c\n2 # two\n").unwrap(),
            [1.0, 2.0]
        );
        assert!(parse_numbers("f", "").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            ("1\n-2\n", "f: line 2: `-2` is negative"),
            ("1\nabc\n", "f: line 2: `abc` is not a number"),
            ("NaN\n", "f: line 1: `NaN` is not a finite number"),
            ("1e400\n", "f: line 1: `1e400` is not a finite number"),
            ("[1, null]", "f: $[1]: `null` is not a number"),
            ("[1, -3]", "f: $[1]: `-3` is negative"),
            ("[1, 2", "is not a JSON array"),
        ];
        for (text, expected) in cases {
            let e = parse_numbers("f", text).unwrap_err().to_string();
            assert!(
                e.starts_with(expected) || e.contains(expected),
                "{text:?}: {e}"
            );
        }
    }
}

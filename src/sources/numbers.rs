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
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut line_no = 0;
    while start < bytes.len() {
        line_no += 1;
        // Fast path, fused with finding the line's end: a plain whole
        // number, the usual line of a weight file (exact below 2^53, like
        // the general parser).
        let (value, end) = leading_integer(&bytes[start..]);
        let end = start + end;
        if let Some(v) = value
            && matches!(bytes.get(end), None | Some(b'\n'))
        {
            out.push(v);
            start = end + 1;
            continue;
        }
        let line_end = bytes[end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| end + n);
        let line = &text[start..line_end];
        start = line_end + 1;
        let item = line.split('#').next().unwrap_or("").trim();
        if item.is_empty() {
            continue;
        }
        let value = check(item.parse::<f64>().ok(), item)
            .map_err(|m| Error::input(location, Some(format!("line {line_no}")), None, m))?;
        out.push(value);
    }
    Ok(out)
}

/// The value of the 1 to 15 ASCII digits at the start of `bytes` (`None`
/// when there are none, or more), and where the digits end.
fn leading_integer(bytes: &[u8]) -> (Option<f64>, usize) {
    let mut v: u64 = 0;
    let mut n = 0;
    while let Some(&b) = bytes.get(n) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
    }
    ((1..=15).contains(&n).then_some(v as f64), n)
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
        // A whole line of digits: the fast path's value.
        for text in ["0", "7", "0012", "999999999999999"] {
            assert_eq!(
                leading_integer(text.as_bytes()),
                (text.parse::<f64>().ok(), text.len())
            );
        }
        // Anything else leaves the line (or its rest) to the general parser.
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
            let (value, end) = leading_integer(text.as_bytes());
            assert!(value.is_none() || end < text.len(), "{text:?}");
        }
    }

    #[test]
    fn lines_parse_like_the_general_parser() {
        let text = "1\n2\r\n\n# note\n3 # three\n 4\n5.5\n1234567890123456\n7";
        assert_eq!(
            parse_numbers("f", text).unwrap(),
            [1.0, 2.0, 3.0, 4.0, 5.5, 1234567890123456.0, 7.0]
        );
        let err = parse_numbers("f", "1\n2\nx\n").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
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

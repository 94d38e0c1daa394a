//! Number lists for `rackaudit metrics`: a JSON array, or one number per
//! line (blank lines and `#` comments skipped); one column of a CSV file
//! ([`parse_column`]); one field of a JSON array of objects or of JSON
//! Lines ([`parse_field`]).

use crate::error::{Error, Result};
use serde_json::Value;

/// Numbers read from one column or field, and the records whose cell was
/// empty (or null, or missing) and left out because the caller allowed it.
#[derive(Debug, Default, PartialEq)]
pub struct Picked {
    pub values: Vec<f64>,
    /// `line 4`, `$[3]`: records skipped for an empty cell.
    pub skipped: Vec<String>,
}

/// The numbers of one CSV column: `column` is a name in the header (the
/// first row is the header when it contains that name) or, when no header
/// cell is called that, a 1-based position as with `cut -f` (the first row
/// is then a header when its cell there is not a number). Cells are
/// trimmed; an empty cell is an error unless `skip_empty`. `delimiter` is
/// `,` for CSV and a tab for TSV. Errors name the line and the column.
pub fn parse_column(
    location: &str,
    text: &str,
    column: &str,
    delimiter: u8,
    skip_empty: bool,
) -> Result<Picked> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| format!("line {}", p.line()));
        Error::input(location, line, None, format!("is not valid CSV: {e}"))
    };
    let mut records = reader.records();
    let Some(first) = records.next() else {
        return Ok(Picked::default());
    };
    let first = first.map_err(csv_err)?;
    let cells: Vec<&str> = first.iter().map(str::trim).collect();
    let position = column.trim().parse::<usize>().ok().filter(|&n| n >= 1);
    let (index, name, header) = match cells.iter().position(|c| *c == column.trim()) {
        Some(i) => (i, column.trim().to_string(), true),
        None => match position {
            Some(n) => {
                let header = cells
                    .get(n - 1)
                    .is_some_and(|c| !c.is_empty() && c.parse::<f64>().is_err());
                let name = match (header, cells.get(n - 1)) {
                    (true, Some(c)) => c.to_string(),
                    _ => format!("column {n}"),
                };
                (n - 1, name, header)
            }
            None => {
                let shown: Vec<&str> = cells.iter().copied().take(30).collect();
                return Err(Error::input(
                    location,
                    Some("line 1 (header)".into()),
                    Some(column),
                    format!(
                        "is not a column of the header; its columns are: {}",
                        shown.join(", ")
                    ),
                )
                .with_hint(format!(
                    "name a column exactly as the header writes it, or give its 1-based position (--column 2){}",
                    crate::suggest::hint(column, shown.iter().copied())
                )));
            }
        },
    };
    let mut out = Picked::default();
    let mut take = |record: &csv::StringRecord| -> Result<()> {
        let line = record.position().map_or(0, |p| p.line());
        let at = || Some(format!("line {line}"));
        let Some(cell) = record.get(index).map(str::trim) else {
            return Err(Error::input(
                location,
                at(),
                Some(&name),
                format!(
                    "the row has {} fields, so there is no field {}",
                    record.len(),
                    index + 1
                ),
            ));
        };
        if cell.is_empty() {
            if skip_empty {
                out.skipped.push(format!("line {line}"));
                return Ok(());
            }
            return Err(Error::input(location, at(), Some(&name), "is empty")
                .with_hint("fill it in (0 if the entity holds nothing), or pass --skip-empty to leave rows with an empty cell out"));
        }
        let value = check(cell.parse::<f64>().ok(), cell)
            .map_err(|m| Error::input(location, at(), Some(&name), m))?;
        out.values.push(value);
        Ok(())
    };
    if !header {
        take(&first)?;
    }
    for record in records {
        take(&record.map_err(csv_err)?)?;
    }
    Ok(out)
}

/// The numbers of one field of every object, in a JSON array of objects or
/// in JSON Lines (one object per line; blank lines skipped). `field` is a
/// key, or a dotted path into nested objects (`stake.total`; a key that
/// itself contains the dot is found first). A number or a numeric string
/// is a value; null or a missing field is an error unless `skip_empty`.
/// Errors name the record (`$[3]`, or `line 4` in JSON Lines) with the
/// JSON path, and the field.
pub fn parse_field(location: &str, text: &str, field: &str, skip_empty: bool) -> Result<Picked> {
    let text = text.trim_start_matches('\u{feff}');
    let mut out = Picked::default();
    if text.trim_start().starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(text).map_err(|e| {
            Error::input(
                location,
                Some(format!("line {}, column {}", e.line(), e.column())),
                None,
                format!("is not a JSON array: {e}"),
            )
        })?;
        for (i, v) in values.iter().enumerate() {
            pick(location, &format!("$[{i}]"), v, field, skip_empty, &mut out)?;
        }
        return Ok(out);
    }
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = format!("line {}", n + 1);
        let v: Value = serde_json::from_str(line).map_err(|e| {
            Error::input(
                location,
                Some(record.clone()),
                None,
                format!("is not a JSON object: {e}"),
            )
            .with_hint("--field reads a JSON array of objects, or JSON Lines: one object per line")
        })?;
        pick(location, &record, &v, field, skip_empty, &mut out)?;
    }
    Ok(out)
}

/// One record's field: walks the dotted path, checks the value.
fn pick(
    location: &str,
    record: &str,
    v: &Value,
    field: &str,
    skip_empty: bool,
    out: &mut Picked,
) -> Result<()> {
    // JSON Lines records are whole documents: their paths start at `$`.
    let mut path = if record.starts_with('$') {
        record.to_string()
    } else {
        format!("{record}: $")
    };
    let err = |path: &str, message: String| {
        Error::input(location, Some(path.to_string()), Some(field), message)
    };
    let mut here = v;
    let mut rest = field;
    loop {
        let Some(object) = here.as_object() else {
            return Err(err(
                &path,
                format!("expected an object, found {}", kind(here)),
            )
            .with_hint("--field reads a JSON array of objects, or JSON Lines; for a plain array of numbers, drop --field"));
        };
        let (key, next) = match object.get(rest) {
            Some(_) => (rest, None),
            None => match rest.split_once('.') {
                Some((k, r)) => (k, Some(r)),
                None => (rest, None),
            },
        };
        path.push('.');
        path.push_str(key);
        match (object.get(key), next) {
            (None, _) if skip_empty => {
                out.skipped.push(path);
                return Ok(());
            }
            (None, _) => {
                let keys: Vec<&str> = object.keys().map(String::as_str).collect();
                let suggestion = crate::suggest::closest(key, keys.iter().copied())
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                return Err(err(&path, "is missing".into()).with_hint(format!(
                    "{suggestion}the object's keys are: {}; pass --skip-empty to leave such records out",
                    keys.join(", ")
                )));
            }
            (Some(child), Some(r)) => {
                here = child;
                rest = r;
            }
            (Some(Value::Null), None) if skip_empty => {
                out.skipped.push(path);
                return Ok(());
            }
            (Some(Value::Null), None) => {
                return Err(err(&path, "is null".into()).with_hint(
                    "pass --skip-empty to leave records with a null or missing value out",
                ));
            }
            (Some(value), None) => {
                let parsed = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => {
                        return Err(err(
                            &path,
                            format!("expected a number, found {}", kind(value)),
                        ));
                    }
                };
                let value = check(parsed, &value.to_string()).map_err(|m| err(&path, m))?;
                out.values.push(value);
                return Ok(());
            }
        }
    }
}

/// `an object`, `a string`, … for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

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
    fn csv_columns_by_name_or_position() {
        let text = "id,stake,note\na,10,x\nb, 2.5 ,y\n";
        let values = |c: &str| parse_column("f", text, c, b',', false).unwrap().values;
        assert_eq!(values("stake"), [10.0, 2.5]);
        assert_eq!(values("2"), [10.0, 2.5]);
        // Without a header, the first row is data.
        let bare = parse_column("f", "a,1\nb,2\n", "2", b',', false).unwrap();
        assert_eq!(bare.values, [1.0, 2.0]);
        let tsv = parse_column("f", "id\tw\na\t3\n", "w", b'\t', false).unwrap();
        assert_eq!(tsv.values, [3.0]);
        let cases = [
            (
                "id,stake\na,-1\n",
                "stake",
                "f: line 2: field `stake`: `-1` is negative",
            ),
            (
                "id,stake\na,x\n",
                "stake",
                "f: line 2: field `stake`: `x` is not a number",
            ),
            ("id,stake\na,NaN\n", "stake", "`NaN` is not a finite number"),
            (
                "id,stake\na,\n",
                "stake",
                "f: line 2: field `stake`: is empty",
            ),
            (
                "id,stake\na\n",
                "stake",
                "f: line 2: field `stake`: the row has 1 fields",
            ),
            ("a,1\nb,\n", "2", "f: line 2: field `column 2`: is empty"),
            (
                "id,stake\na,1\n",
                "Stake",
                "f: line 1 (header): field `Stake`: is not a column of the header; its columns are: id, stake (hint: name a column",
            ),
        ];
        for (text, column, expected) in cases {
            let e = parse_column("f", text, column, b',', false)
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        let e = parse_column("f", "id,stake\na,1\n", "Stake", b',', false).unwrap_err();
        assert!(e.to_string().contains("did you mean `stake`?"), "{e}");
        let skipped = parse_column("f", "id,stake\na,\nb,4\n", "stake", b',', true).unwrap();
        assert_eq!(skipped.values, [4.0]);
        assert_eq!(skipped.skipped, ["line 2"]);
    }

    #[test]
    fn json_fields_of_arrays_and_json_lines() {
        let array = r#"[{"stake": 1}, {"stake": "2.5"}, {"a": {"b": 3}, "stake": 0}]"#;
        assert_eq!(
            parse_field("f", array, "stake", false).unwrap().values,
            [1.0, 2.5, 0.0]
        );
        let nested = r#"[{"a": {"b": 3}}, {"a": {"b": 4}, "a.b": 9}]"#;
        assert_eq!(
            parse_field("f", nested, "a.b", false).unwrap().values,
            [3.0, 9.0]
        );
        let lines = "{\"w\": 1}\n\n{\"w\": 2}\n";
        assert_eq!(
            parse_field("f", lines, "w", false).unwrap().values,
            [1.0, 2.0]
        );
        let cases = [
            (
                r#"[{"stake": 1}, {"stake": -2}]"#,
                "stake",
                "f: $[1].stake: field `stake`: `-2` is negative",
            ),
            (
                r#"[{"stake": 1}, {"stak": 2}]"#,
                "stake",
                "f: $[1].stake: field `stake`: is missing (hint: did you mean `stak`? the object's keys are: stak;",
            ),
            (
                r#"[{"stake": null}]"#,
                "stake",
                "f: $[0].stake: field `stake`: is null",
            ),
            (
                r#"[{"stake": [1]}]"#,
                "stake",
                "f: $[0].stake: field `stake`: expected a number, found an array",
            ),
            (
                r#"[1, 2]"#,
                "stake",
                "f: $[0]: field `stake`: expected an object, found a number",
            ),
            (
                r#"[{"a": 1}]"#,
                "a.b",
                "f: $[0].a: field `a.b`: expected an object, found a number",
            ),
            (
                "{\"w\": 1}\n{\"w\": \"x\"}\n",
                "w",
                "f: line 2: $.w: field `w`: `\"x\"` is not a number",
            ),
            (
                "{\"w\": 1}\n{\"w\": \n",
                "w",
                "f: line 2: is not a JSON object",
            ),
        ];
        for (text, field, expected) in cases {
            let e = parse_field("f", text, field, false)
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        let skipped = parse_field("f", r#"[{"w": null}, {}, {"w": 5}]"#, "w", true).unwrap();
        assert_eq!(skipped.values, [5.0]);
        assert_eq!(skipped.skipped, ["$[0].w", "$[1].w"]);
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

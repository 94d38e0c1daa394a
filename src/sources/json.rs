//! Typed field access on untrusted JSON, with errors that name the file, the
//! JSON path of the record and the field.
//!
//! Chain and API responses disagree on types (amounts as strings or numbers,
//! statuses as ints or enums), so each accessor accepts the spellings seen in
//! real responses and refuses anything else with a precise message.

use crate::error::{Error, Result};
use serde_json::Value;

/// One JSON record being read: the file and the record's JSON path.
#[derive(Clone, Copy)]
pub struct Rec<'a> {
    pub file: &'a str,
    pub path: &'a str,
    pub value: &'a Value,
}

impl<'a> Rec<'a> {
    /// An input error about `field` of this record.
    pub fn err(&self, field: &str, message: impl Into<String>) -> Error {
        Error::input(self.file, Some(self.path.to_string()), Some(field), message)
    }

    /// The raw value of `field` (`None` when missing or null).
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.value.get(field).filter(|v| !v.is_null())
    }

    /// A text field; numbers are accepted and written as text (ids).
    pub fn str(&self, field: &str) -> Result<Option<String>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(crate::model::non_empty(Some(s))),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.err(field, format!("expected text, found {}", kind(other)))),
        }
    }

    /// A required text field.
    pub fn req_str(&self, field: &str) -> Result<String> {
        self.str(field)?
            .ok_or_else(|| self.err(field, "is missing or empty"))
    }

    /// A non-negative finite amount, from a number or a numeric string.
    pub fn amount(&self, field: &str) -> Result<Option<f64>> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => amount(v).map_err(|m| {
                self.err(field, m)
                    .with_hint("amounts and capacities are non-negative numbers")
            }),
        }
    }

    /// A finite amount of either sign: for counters a network reports that
    /// can go wrong (negative capacity), which supply checks flag rather
    /// than refuse.
    pub fn signed_amount(&self, field: &str) -> Result<Option<f64>> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        match v.as_f64() {
            Some(x) if x.is_finite() && x < 0.0 => Ok(Some(x)),
            _ => self.amount(field),
        }
    }

    /// A fraction in [0, 1].
    pub fn fraction(&self, field: &str) -> Result<Option<f64>> {
        match self.amount(field)? {
            Some(x) if x > 1.0 => Err(self
                .err(field, format!("is {x}, outside [0, 1]"))
                .with_hint("write fractions, e.g. 0.995 for 99.5%")),
            other => Ok(other),
        }
    }

    /// A boolean; `"true"`/`"false"` strings are accepted.
    pub fn bool(&self, field: &str) -> Result<Option<bool>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(Value::Number(n)) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(Some(n.as_u64() == Some(1)))
            }
            Some(other) => Err(self.err(field, format!("expected true or false, found {other}"))),
        }
    }

    /// A nested object record at `field` (`None` when missing).
    pub fn child(&self, field: &str, path_buf: &'a str) -> Option<Rec<'a>> {
        self.get(field).map(|value| Rec {
            file: self.file,
            path: path_buf,
            value,
        })
    }

    /// The object at `field`, or an error naming the field.
    pub fn object(&self, field: &str) -> Result<&'a serde_json::Map<String, Value>> {
        match self.get(field) {
            Some(Value::Object(o)) => Ok(o),
            Some(other) => {
                Err(self.err(field, format!("expected an object, found {}", kind(other))))
            }
            None => Err(self.err(field, "is missing")),
        }
    }

    /// The array at `field`, or an error naming the field.
    pub fn array(&self, field: &str) -> Result<&'a Vec<Value>> {
        match self.get(field) {
            Some(Value::Array(a)) => Ok(a),
            Some(other) => {
                Err(self.err(field, format!("expected an array, found {}", kind(other))))
            }
            None => Err(self.err(field, "is missing")),
        }
    }
}

/// A non-negative finite amount from a number or a numeric string (an
/// empty string is no amount); the error is a message for the field.
pub fn amount(v: &Value) -> std::result::Result<Option<f64>, String> {
    let x = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().trim_start_matches('τ').parse::<f64>().ok(),
        other => return Err(format!("expected a number, found {}", kind(other))),
    };
    match x {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x + 0.0)),
        Some(x) if x.is_finite() => Err(format!("is negative ({x})")),
        _ => Err(format!("`{v}` is not a finite number")),
    }
}

/// Iterates over the elements of `array` as records with paths `prefix[i]`,
/// calling `f` on each; every element must be an object.
pub fn each_object<T>(
    file: &str,
    prefix: &str,
    array: &[Value],
    mut f: impl FnMut(Rec<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(array.len());
    for (i, value) in array.iter().enumerate() {
        let path = format!("{prefix}[{i}]");
        if !value.is_object() {
            return Err(Error::input(
                file,
                Some(path),
                None,
                format!("expected an object, found {}", kind(value)),
            ));
        }
        out.push(f(Rec {
            file,
            path: &path,
            value,
        })?);
    }
    Ok(out)
}

/// A short name of a JSON value's type for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// True when `v` is an array whose first element is an object with all `keys`.
pub fn first_object_has(v: &Value, keys: &[&str]) -> bool {
    v.as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_object)
        .is_some_and(|o| keys.iter().all(|k| o.contains_key(*k)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(value: &Value) -> Rec<'_> {
        Rec {
            file: "f.json",
            path: "$[0]",
            value,
        }
    }

    #[test]
    fn amounts_accept_strings_and_numbers_and_refuse_the_rest() {
        let v = json!({"a": "12.5", "b": 3, "c": -1, "d": "x", "e": true, "f": "", "g": "τ2"});
        let r = rec(&v);
        assert_eq!(r.amount("a").unwrap(), Some(12.5));
        assert_eq!(r.amount("b").unwrap(), Some(3.0));
        assert_eq!(r.amount("f").unwrap(), None);
        assert_eq!(r.amount("g").unwrap(), Some(2.0));
        assert_eq!(r.amount("missing").unwrap(), None);
        let e = r.amount("c").unwrap_err().to_string();
        assert!(e.starts_with("f.json: $[0]: field `c`: is negative"), "{e}");
        assert!(r.amount("d").is_err());
        assert!(r.amount("e").is_err());
    }

    #[test]
    fn fractions_stay_in_range() {
        let v = json!({"u": 1.5, "ok": 0.9});
        assert!(
            rec(&v)
                .fraction("u")
                .unwrap_err()
                .to_string()
                .contains("outside [0, 1]")
        );
        assert_eq!(rec(&v).fraction("ok").unwrap(), Some(0.9));
    }
}

//! Cosmos-SDK style pagination (`pagination.key` / `next_key` /
//! `total`), guarded against loops and duplicates.

use super::Fetched;
use super::http::Client;
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::HashSet;

/// Most pages one listing may take (a guard, far above any real chain).
const MAX_PAGES: u64 = 100_000;

/// Every item of a paginated listing.
pub struct Paged {
    list_field: &'static str,
    items: Vec<Value>,
    pages: u64,
    expected: Option<u64>,
    duplicates: u64,
    problems: Vec<String>,
}

impl Paged {
    pub fn into_fetched(self, adapter: &'static str, network: Option<String>) -> Fetched {
        let mut document = serde_json::Map::new();
        let received = self.items.len() as u64;
        document.insert(self.list_field.into(), Value::Array(self.items));
        Fetched {
            document: Value::Object(document),
            adapter,
            pages: self.pages,
            expected: self.expected,
            received,
            duplicates: self.duplicates,
            problems: self.problems,
            network,
            parts: Vec::new(),
        }
    }
}

/// Percent-encodes a query value (pagination keys are base64: `+/=`).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Drops items whose `id_field` was seen before; returns the kept items and
/// how many were dropped.
pub fn dedup(items: Vec<Value>, id_field: &str) -> (Vec<Value>, u64) {
    let mut seen = HashSet::new();
    let mut dropped = 0;
    let kept = items
        .into_iter()
        .filter(|item| {
            let id = match item.get(id_field).and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => item.to_string(),
            };
            let fresh = seen.insert(id);
            dropped += u64::from(!fresh);
            fresh
        })
        .collect();
    (kept, dropped)
}

/// Fetches every page of `url`. A failure on the first page is an error; a
/// failure, a repeated key or a page cap later ends the listing with the
/// problem recorded (the caller decides whether incomplete is acceptable).
pub fn all(
    client: &mut Client,
    url: &str,
    list_field: &'static str,
    id_field: &str,
    page_size: u32,
) -> Result<Paged> {
    let mut items = Vec::new();
    let mut keys_seen = HashSet::new();
    let mut key: Option<String> = None;
    let mut out = Paged {
        list_field,
        items: Vec::new(),
        pages: 0,
        expected: None,
        duplicates: 0,
        problems: Vec::new(),
    };
    loop {
        let mut page_url =
            format!("{url}?pagination.limit={page_size}&pagination.count_total=true");
        if let Some(k) = &key {
            page_url.push_str(&format!("&pagination.key={}", encode(k)));
        }
        let page = match client.get_json(&page_url) {
            Ok(p) => p,
            Err(e) if out.pages == 0 => return Err(e),
            Err(e) => {
                out.problems
                    .push(format!("page {} failed: {e}", out.pages + 1));
                break;
            }
        };
        out.pages += 1;
        let list = page
            .get(list_field)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Error::network(&page_url, format!("the answer has no `{list_field}` list"))
            })?;
        items.extend(list.iter().cloned());
        let pagination = &page["pagination"];
        if out.pages == 1 {
            out.expected = total(&pagination["total"]).filter(|t| *t > 0 || list.is_empty());
        }
        let next = pagination["next_key"]
            .as_str()
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let Some(next) = next else {
            break;
        };
        if !keys_seen.insert(next.clone()) {
            out.problems.push(format!(
                "the endpoint repeated pagination key {next} after page {}: stopped to avoid a loop",
                out.pages
            ));
            break;
        }
        if out.pages >= MAX_PAGES {
            out.problems
                .push(format!("stopped after {MAX_PAGES} pages"));
            break;
        }
        key = Some(next);
    }
    let (kept, dropped) = dedup(items, id_field);
    out.items = kept;
    out.duplicates = dropped;
    Ok(out)
}

/// `pagination.total`: a number or a numeric string.
fn total(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_percent_encoded() {
        assert_eq!(super::encode("FPr/+z=="), "FPr%2F%2Bz%3D%3D");
    }

    #[test]
    fn dedup_keeps_the_first() {
        let items =
            serde_json::json!([{"owner": "a", "n": 1}, {"owner": "b"}, {"owner": "a", "n": 2}]);
        let (kept, dropped) = super::dedup(items.as_array().unwrap().clone(), "owner");
        assert_eq!(dropped, 1);
        assert_eq!(kept[0]["n"], 1);
    }
}

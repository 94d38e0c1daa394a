//! Akash Network providers: the console API, on-chain provider records, and
//! the 2019 testnet snapshot published with AEP-4.
//!
//! Console `/v1/providers` entries carry owner, hostUri, IP geolocation
//! (`ipCountryCode`, `ipRegion`), uptime over 1/7/30 days, `isOnline`,
//! `gpuModels` and capacity stats. The console lists GPU models without a
//! count per model, so a provider's GPU total is attributed to its model only
//! when it lists exactly one; otherwise the GPUs are kept with the model
//! unknown rather than split by guesswork. On-chain records only declare GPU
//! models in attributes (`capabilities/gpu/vendor/<v>/model/<m>`), never
//! counts, so those models are kept as declarations without GPU weight.

use super::json::{Rec, each_object, first_object_has};
use super::{Adapter, Content, Input, host_of};
use crate::error::{Error, Result};
use crate::model::{KeyKind, Provider, Snapshot, Source, Text, Uptime, geo, gpu};
use serde_json::Value;

fn snapshot(adapter: &str, input: &Input<'_>) -> Snapshot {
    Snapshot::new(
        "akash",
        Source {
            adapter: adapter.into(),
            location: input.location.to_string(),
            note: None,
        },
        input.sha256(),
    )
}

fn json<'a>(input: &Input<'_>, content: &'a Content<'_>) -> Result<&'a Value> {
    match content {
        Content::Json(v) => Ok(v),
        Content::Text(_) => Err(Error::input(input.location, None, None, "is not JSON")),
    }
}

/// Console API `/v1/providers` (a JSON array, or `{"providers": […]}`).
pub struct ConsoleProviders;

fn console_list(v: &Value) -> Option<(&Vec<Value>, &'static str)> {
    let is_console = |l: &Value| first_object_has(l, &["owner", "hostUri"]);
    if is_console(v) {
        return v.as_array().map(|a| (a, "$"));
    }
    v.get("providers")
        .filter(|l| is_console(l))
        .and_then(Value::as_array)
        .map(|a| (a, "$.providers"))
}

impl Adapter for ConsoleProviders {
    fn name(&self) -> &'static str {
        "akash-console"
    }
    fn describe(&self) -> &'static str {
        "Akash console API /v1/providers (owner, hostUri, ipCountryCode, uptime7d, gpuModels, stats)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if console_list(v).is_some())
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let root = json(input, content)?;
        let (list, path) = console_list(root).ok_or_else(|| {
            Error::input(
                input.location,
                Some("$".into()),
                Some("providers"),
                "no console provider list found",
            )
        })?;
        let mut s = snapshot(self.name(), input);
        s.providers = each_object(input.location, path, list, |r| console_provider(&r))?;
        Ok(s)
    }
}

fn console_provider(r: &Rec<'_>) -> Result<Provider> {
    let owner = r.req_str("owner")?;
    let mut p = Provider::new(owner.clone());
    p.add_key(KeyKind::OwnerAddress, &owner);
    p.more.hostname = r.str("hostUri")?.and_then(|u| host_of(&u)).map(Text::from);
    p.name = r.str("name")?.or(r.str("organization")?).map(Text::from);
    if let Some(email) = r.str("email")? {
        p.add_email_domain(&email);
    }
    if let Some(site) = r.str("website")? {
        p.add_key(KeyKind::Domain, site);
    }
    let attributes = attributes(r)?;
    let attr = |k: &str| {
        attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    p.country = country(
        r.str("ipCountryCode")?
            .or(r.str("country")?)
            .or(attr("country")),
    )
    .map(Text::from);
    p.region = r
        .str("ipRegion")?
        .or(r.str("locationRegion")?)
        .or(attr("location-region"))
        .map(Text::from);
    p.more.city = r.str("city")?.or(attr("city")).map(Text::from);
    p.cloud = r
        .str("hostingProvider")?
        .or(attr("hosting-provider"))
        .map(Text::from);
    p.in_datacenter = r
        .str("locationType")?
        .or(attr("location-type"))
        .and_then(|t| crate::model::in_datacenter(&t));
    p.datacenter = attr("datacenter").map(Text::from);
    p.online = r.bool("isOnline")?;
    p.more.last_seen = r.str("lastOnlineDate")?.map(Text::from);
    p.more.last_checked = r.str("lastCheckDate")?.map(Text::from);
    p.more.declared_country = country(r.str("country")?.or(attr("country"))).map(Text::from);
    p.more.declared_region = r
        .str("locationRegion")?
        .or(attr("location-region"))
        .map(Text::from);
    for (field, window) in [("uptime30d", "30d"), ("uptime7d", "7d"), ("uptime1d", "1d")] {
        if let Some(u) = r.fraction(field)? {
            p.uptime = Some(Uptime {
                value: u,
                window: window.into(),
            });
            break;
        }
    }
    let total_gpus = stat_total(r, "gpu")?;
    let non_negative = |x: Option<f64>| x.filter(|x| *x >= 0.0);
    p.more.gpus_leased = non_negative(stat_part(r, "gpu", "active")?).map(whole_count);
    p.more.cpu_cores = non_negative(stat_total(r, "cpu")?).map(|m| m / 1000.0);
    p.more.memory_gb = non_negative(stat_total(r, "memory")?).map(|b| b / 1e9);
    // A negative total is inventory accounting gone below zero: kept as a
    // claim for the supply checks, never counted as GPUs.
    p.more.invalid_gpu_total = total_gpus.filter(|t| *t < 0.0);
    p.more.declared_gpu_models = declared_models(&attributes);
    let models = gpu_models(r)?;
    if let Some(total) = total_gpus.filter(|t| *t > 0.0) {
        let count = whole_count(total);
        p.gpus.push(match models.as_slice() {
            [(vendor, model, ram)] => gpu::normalize(model, Some(vendor), *ram, count),
            _ => {
                let vendor = models
                    .first()
                    .map(|m| m.0.as_str())
                    .filter(|v| models.iter().all(|m| m.0 == *v));
                gpu::unnamed(vendor, count)
            }
        });
    }
    Ok(p)
}

/// A count from a JSON number; values past 2^64 saturate (they are overflow
/// sentinels the supply checks flag, not real counts).
fn whole_count(x: f64) -> u64 {
    x.round() as u64
}

fn country(code: Option<String>) -> Option<String> {
    code.and_then(|c| geo::country_code(&c).map(str::to_string))
}

/// One part (`total`, `active`, `pending`, `available`) of a resource's
/// stats, from `stats.<resource>.<part>` (current API) or the deprecated
/// `<part>Stats.<resource>`.
fn stat_part(r: &Rec<'_>, resource: &str, part: &str) -> Result<Option<f64>> {
    if let Some(stats) = r
        .get("stats")
        .and_then(|s| s.get(resource))
        .filter(|s| s.is_object())
    {
        let path = format!("{}.stats.{resource}", r.path);
        let rec = Rec {
            file: r.file,
            path: &path,
            value: stats,
        };
        return rec.signed_amount(part);
    }
    let group = format!("{part}Stats");
    let path = format!("{}.{group}", r.path);
    Ok(r.child(&group, &path)
        .map(|rec| rec.signed_amount(resource))
        .transpose()?
        .flatten())
}

/// Capacity of a resource: its stated total, else active + pending + available.
fn stat_total(r: &Rec<'_>, resource: &str) -> Result<Option<f64>> {
    if let Some(total) = stat_part(r, resource, "total")? {
        return Ok(Some(total));
    }
    let mut total = None;
    for part in ["active", "pending", "available"] {
        if let Some(x) = stat_part(r, resource, part)? {
            *total.get_or_insert(0.0) += x;
        }
    }
    Ok(total)
}

/// `gpuModels` as (vendor, model, memory GB) triples; plain strings accepted.
fn gpu_models(r: &Rec<'_>) -> Result<Vec<(String, String, Option<f64>)>> {
    let Some(list) = r.get("gpuModels") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(r.err("gpuModels", "expected an array"));
    };
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let path = format!("{}.gpuModels[{i}]", r.path);
        match m {
            Value::String(s) => out.push((String::new(), s.clone(), None)),
            Value::Object(_) => {
                let rec = Rec {
                    file: r.file,
                    path: &path,
                    value: m,
                };
                let ram = rec.str("ram")?.and_then(|s| parse_gi(&s));
                out.push((
                    rec.str("vendor")?.unwrap_or_default(),
                    rec.req_str("model")?,
                    ram,
                ));
            }
            other => return Err(r.err("gpuModels", format!("unexpected entry {other}"))),
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    Ok(out)
}

fn parse_gi(s: &str) -> Option<f64> {
    s.trim()
        .trim_end_matches("Gi")
        .trim_end_matches("GB")
        .parse()
        .ok()
}

/// `attributes: [{key, value}]` (the 2019 form uses `name` for `key`).
fn attributes(r: &Rec<'_>) -> Result<Vec<(String, String)>> {
    let Some(list) = r.get("attributes") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(r.err("attributes", "expected an array of {key, value}"));
    };
    let prefix = format!("{}.attributes", r.path);
    let pairs = each_object(r.file, &prefix, list, |a| {
        let key = a
            .str("key")?
            .or(a.str("name")?)
            .ok_or_else(|| a.err("key", "is missing"))?;
        Ok((key, a.str("value")?.unwrap_or_default()))
    })?;
    Ok(pairs)
}

/// GPU models named by `capabilities/gpu/vendor/<v>/model/<m>[/…]` attributes.
fn declared_models(attributes: &[(String, String)]) -> Vec<Text> {
    let mut models: Vec<Text> = attributes
        .iter()
        .filter(|(_, v)| v != "false")
        .filter_map(|(k, _)| {
            let rest = k.strip_prefix("capabilities/gpu/vendor/")?;
            let mut parts = rest.split('/');
            let vendor = parts.next()?;
            (parts.next()? == "model").then_some(())?;
            let model = parts.next()?;
            let ram = match (parts.next(), parts.next()) {
                (Some("ram"), Some(r)) => parse_gi(r),
                _ => None,
            };
            gpu::normalize(model, Some(vendor), ram, 0).model.clone()
        })
        .collect();
    models.sort();
    models.dedup();
    models
}

/// On-chain provider records (`/akash/provider/v1beta3/providers`).
pub struct ChainProviders;

fn chain_list(v: &Value) -> Option<&Vec<Value>> {
    v.get("providers")
        .filter(|l| first_object_has(l, &["owner", "host_uri"]))
        .and_then(Value::as_array)
}

impl Adapter for ChainProviders {
    fn name(&self) -> &'static str {
        "akash-chain"
    }
    fn describe(&self) -> &'static str {
        "Akash on-chain providers {\"providers\": [{owner, host_uri, attributes}]}"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if chain_list(v).is_some())
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let root = json(input, content)?;
        let list = chain_list(root).ok_or_else(|| {
            Error::input(
                input.location,
                Some("$".into()),
                Some("providers"),
                "no on-chain provider list found",
            )
        })?;
        let mut s = snapshot(self.name(), input);
        s.providers = each_object(input.location, "$.providers", list, |r| {
            let owner = r.req_str("owner")?;
            let mut p = Provider::new(owner.clone());
            p.add_key(KeyKind::OwnerAddress, &owner);
            p.more.hostname = r.str("host_uri")?.and_then(|u| host_of(&u)).map(Text::from);
            let attrs = attributes(&r)?;
            let attr = |k: &str| {
                attrs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            p.name = attr("organization").map(Text::from);
            p.country = country(attr("country")).map(Text::from);
            p.region = attr("location-region").or(attr("region")).map(Text::from);
            p.more.city = attr("city").map(Text::from);
            p.cloud = attr("hosting-provider").map(Text::from);
            p.in_datacenter = attr("location-type").and_then(|t| crate::model::in_datacenter(&t));
            p.datacenter = attr("datacenter").map(Text::from);
            p.more.declared_gpu_models = declared_models(&attrs);
            let info_path = format!("{}.info", r.path);
            let info = r.child("info", &info_path);
            if let Some(email) = info.map(|i| i.str("email")).transpose()?.flatten() {
                p.add_email_domain(&email);
            }
            Ok(p)
        })?;
        Ok(s)
    }
}

/// The AEP-4 provider snapshot of the 2019 Akash testnet
/// (`{"active_providers": […], "raw": [{provider, status}]}`).
pub struct Aep4Snapshot;

impl Adapter for Aep4Snapshot {
    fn name(&self) -> &'static str {
        "akash-aep4"
    }
    fn describe(&self) -> &'static str {
        "Akash 2019 testnet snapshot {\"active_providers\", \"raw\"} (AEP-4)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("raw").is_some_and(|r| first_object_has(r, &["provider", "status"])))
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let root = json(input, content)?;
        let raw = Rec {
            file: input.location,
            path: "$",
            value: root,
        }
        .array("raw")?;
        let mut s = snapshot(self.name(), input);
        s.network = "akash-testnet-2019".into();
        s.providers = each_object(input.location, "$.raw", raw, |r| {
            let ppath = format!("{}.provider", r.path);
            let prov = r
                .child("provider", &ppath)
                .ok_or_else(|| r.err("provider", "is missing"))?;
            let mut p = Provider::new(prov.req_str("address")?);
            if let Some(owner) = prov.str("owner")? {
                p.add_key(KeyKind::OwnerAddress, owner);
            }
            p.more.hostname = prov
                .str("hostURI")?
                .and_then(|u| host_of(&u))
                .map(Text::from);
            let attrs = attributes(&prov)?;
            let attr = |k: &str| {
                attrs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            p.name = attr("moniker").map(Text::from);
            p.region = attr("region").map(Text::from);
            let inventory = r
                .value
                .pointer("/status/status/cluster/inventory/available/0");
            if let Some(inv) = inventory {
                let ipath = format!("{}.status.status.cluster.inventory.available[0]", r.path);
                let inv = Rec {
                    file: r.file,
                    path: &ipath,
                    value: inv,
                };
                p.more.cpu_cores = inv.amount("cpu")?.map(|m| m / 1000.0);
                p.more.memory_gb = inv.amount("memory")?.map(|b| b / 1e9);
                p.more.storage_gb = inv.amount("disk")?.map(|b| b / 1e9);
            }
            p.online = r
                .value
                .pointer("/status/code")
                .and_then(Value::as_u64)
                .map(|c| c == 200);
            Ok(p)
        })?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Snapshot> {
        super::super::read(
            &Input {
                location: "a.json",
                bytes: text.as_bytes(),
            },
            None,
        )
    }

    #[test]
    fn console_single_model_gets_the_total() {
        let s = read(r#"[{"owner": "akash1x", "hostUri": "https://provider.example.com:8443",
            "ipCountryCode": "US", "uptime7d": 0.98, "isOnline": true,
            "gpuModels": [{"vendor": "nvidia", "model": "h100", "ram": "80Gi", "interface": "SXM5"}],
            "stats": {"gpu": {"active": 4, "pending": 0, "available": 4}}}]"#).unwrap();
        let p = &s.providers[0];
        assert_eq!(p.gpu_count(), 8);
        assert_eq!(p.gpus[0].model.as_deref(), Some("h100-80gb"));
        assert_eq!(p.uptime.as_ref().unwrap().window, "7d");
        assert_eq!(p.more.hostname.as_deref(), Some("provider.example.com"));
    }

    #[test]
    fn console_mixed_models_keep_the_model_unknown() {
        let s = read(r#"[{"owner": "akash1y", "hostUri": "h",
            "gpuModels": [{"vendor": "nvidia", "model": "a100"}, {"vendor": "nvidia", "model": "t4"}],
            "activeStats": {"gpu": 2}, "availableStats": {"gpu": 3}}]"#).unwrap();
        let g = &s.providers[0].gpus[0];
        assert_eq!(
            (g.count, g.model.as_deref(), g.vendor.as_deref()),
            (5, None, Some("nvidia"))
        );
    }

    #[test]
    fn chain_attributes_declare_models_without_counts() {
        let s = read(r#"{"providers": [{"owner": "akash1z", "host_uri": "https://p.example.org",
            "attributes": [{"key": "country", "value": "DE"},
                           {"key": "capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "value": "true"}]}],
            "pagination": {}}"#).unwrap();
        let p = &s.providers[0];
        assert_eq!(p.more.declared_gpu_models, ["a100-80gb"]);
        assert_eq!(p.gpu_count(), 0);
        assert_eq!(p.country.as_deref(), Some("DE"));
    }

    #[test]
    fn console_bad_uptime_is_refused() {
        let e = read(r#"[{"owner": "a", "hostUri": "h", "uptime7d": 3}]"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("$[0]: field `uptime7d`"), "{e}");
    }
}

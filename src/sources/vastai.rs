//! Vast.ai offers, as printed by `vastai search offers --raw` (a JSON array,
//! or `{"offers": […]}` from the API).
//!
//! The centralized-marketplace baseline. Offers are slices of machines: two
//! offers with one `machine_id` rent parts of the same GPUs, so supply is
//! counted per machine. A machine's GPU total is `num_gpus / gpu_frac` (the
//! offer's fraction of the machine), the largest over its offers. `host_id`
//! is the operator; `geolocation` ("Alberta, CA") gives region and country;
//! `hosting_type` 1 marks a datacenter host (`in_datacenter`, a flag, not a
//! named data center); `reliability2` is uptime; the machine's price is its
//! cheapest per-GPU ask (`dph_total / num_gpus`). The largest listed slice
//! is kept as `gpus_offered` beside the machine's capacity.

use super::json::{Rec, each_object, first_object_has};
use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::{KeyKind, Price, Provider, Snapshot, Source, Text, Uptime, geo, gpu};
use serde_json::Value;
use std::collections::BTreeMap;

/// Adapter for Vast.ai offers.
pub struct Offers;

fn offer_list(v: &Value) -> Option<(&Vec<Value>, &'static str)> {
    let keys = ["machine_id", "host_id", "gpu_name"];
    if first_object_has(v, &keys) {
        return v.as_array().map(|a| (a, "$"));
    }
    v.get("offers")
        .filter(|o| first_object_has(o, &keys))
        .and_then(Value::as_array)
        .map(|a| (a, "$.offers"))
}

/// What one offer says about its machine.
struct Offer {
    machine: String,
    host: String,
    gpu_name: String,
    gpus_on_machine: u64,
    gpus_listed: u64,
    gpu_memory_gb: Option<f64>,
    per_gpu_hour: Option<f64>,
    uptime: Option<f64>,
    geolocation: Option<String>,
    datacenter: Option<bool>,
    ip: Option<String>,
    verification: Option<String>,
}

impl Adapter for Offers {
    fn name(&self) -> &'static str {
        "vastai"
    }
    fn describe(&self) -> &'static str {
        "Vast.ai offers from `vastai search offers --raw` (machine_id, host_id, gpu_name, …)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if offer_list(v).is_some())
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let file = input.location;
        let Content::Json(root) = content else {
            return Err(Error::input(file, None, None, "is not JSON"));
        };
        let (list, path) = offer_list(root)
            .ok_or_else(|| Error::input(file, Some("$".into()), None, "no list of offers found"))?;
        let offers = each_object(file, path, list, |r| offer(&r))?;
        let mut machines: BTreeMap<String, Vec<Offer>> = BTreeMap::new();
        for o in offers {
            machines.entry(o.machine.clone()).or_default().push(o);
        }
        let mut s = Snapshot::new(
            "vast.ai",
            Source {
                adapter: self.name().into(),
                location: file.to_string(),
                note: None,
            },
            input.sha256(),
        );
        s.providers = machines.into_values().map(machine).collect();
        Ok(s)
    }
}

fn offer(r: &Rec<'_>) -> Result<Offer> {
    let num_gpus = r
        .amount("num_gpus")?
        .ok_or_else(|| r.err("num_gpus", "is missing"))?;
    if num_gpus.fract() != 0.0 {
        return Err(r.err("num_gpus", format!("{num_gpus} is not a whole number")));
    }
    let frac = match r.amount("gpu_frac")? {
        Some(f) if f > 0.0 && f <= 1.0 => f,
        Some(f) => return Err(r.err("gpu_frac", format!("{f} is outside (0, 1]"))),
        None => 1.0,
    };
    let dph = r.amount("dph_total")?;
    Ok(Offer {
        machine: r.req_str("machine_id")?,
        host: r.req_str("host_id")?,
        gpu_name: r.req_str("gpu_name")?,
        gpus_on_machine: (num_gpus / frac).round() as u64,
        gpus_listed: num_gpus as u64,
        gpu_memory_gb: r.amount("gpu_ram")?.map(|mb| mb / 1024.0),
        per_gpu_hour: dph.filter(|_| num_gpus > 0.0).map(|d| d / num_gpus),
        uptime: r.fraction("reliability2")?,
        geolocation: r.str("geolocation")?,
        datacenter: r.amount("hosting_type")?.map(|h| h >= 1.0),
        ip: r.str("public_ipaddr")?,
        verification: r.str("verification")?,
    })
}

/// Merges the offers of one machine into a provider.
fn machine(offers: Vec<Offer>) -> Provider {
    let first = &offers[0];
    let mut p = Provider::new(format!("machine:{}", first.machine));
    p.add_key(KeyKind::HostId, &first.host);
    if let Some(geo_text) = &first.geolocation {
        let (region, code) = match geo_text.rsplit_once(',') {
            Some((region, code)) => (Some(region.trim()), code.trim()),
            None => (None, geo_text.trim()),
        };
        p.country = geo::country_code(code).map(Text::from);
        p.region = region.filter(|r| !r.is_empty()).map(Text::from);
    }
    p.in_datacenter = first.datacenter;
    p.uptime = first.uptime.map(|u| Uptime {
        value: u,
        window: "vast-reliability2".into(),
    });
    p.ip = first.ip.clone().map(Text::from);
    p.more.nodes = Some(1);
    p.status = first.verification.clone().map(Text::from);
    let count = offers.iter().map(|o| o.gpus_on_machine).max().unwrap_or(0);
    // Offers are slices of the machine: the largest listed slice is what
    // can be rented now; the machine's GPUs are its capacity.
    p.more.gpus_offered = offers.iter().map(|o| o.gpus_listed).max();
    let group = gpu::normalize(&first.gpu_name, None, first.gpu_memory_gb, count);
    let cheapest = offers
        .iter()
        .filter_map(|o| o.per_gpu_hour)
        .reduce(f64::min);
    if let Some(price) = cheapest {
        p.prices.push(Price {
            gpu_model: group.model.clone(),
            per_gpu_hour: price,
            currency: "USD".into(),
            gpus: None,
        });
    }
    p.gpus.push(group);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_of_one_machine_count_once() {
        let text = r#"[
            {"id": 1, "machine_id": 7, "host_id": 9, "gpu_name": "A100 SXM4", "num_gpus": 2, "gpu_frac": 0.25,
             "gpu_ram": 81920, "dph_total": 3.0, "reliability2": 0.99, "geolocation": "Alberta, CA", "hosting_type": 0},
            {"id": 2, "machine_id": 7, "host_id": 9, "gpu_name": "A100 SXM4", "num_gpus": 8, "gpu_frac": 1.0,
             "gpu_ram": 81920, "dph_total": 8.0, "reliability2": 0.99, "geolocation": "Alberta, CA", "hosting_type": 0}
        ]"#;
        let s = super::super::read(
            &Input {
                location: "v.json",
                bytes: text.as_bytes(),
            },
            None,
        )
        .unwrap();
        assert_eq!(s.providers.len(), 1);
        let p = &s.providers[0];
        assert_eq!(p.gpu_count(), 8);
        assert_eq!(p.gpus[0].model.as_deref(), Some("a100-80gb"));
        assert_eq!(p.country.as_deref(), Some("CA"));
        assert_eq!(p.region.as_deref(), Some("Alberta"));
        assert_eq!(p.prices[0].per_gpu_hour, 1.0);
    }
}

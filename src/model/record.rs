//! The JSON form of a provider and of a GPU group: each one flat object,
//! every field in a fixed order.
//!
//! [`Provider`] keeps its rarely given fields apart ([`super::More`]) and a
//! [`GpuGroup`] shares what its GPUs are ([`GpuKind`]); the snapshot format
//! keeps every field where it always was. These records are that format:
//! they borrow the fields to write them and own them when read, so neither
//! direction copies a string.

use super::gpu::GpuKind;
use super::{GpuGroup, More, OperatorKey, Price, Provider, ProviderMore, Text, Uptime};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A text or list field, borrowed when writing and owned when read.
type Field<'a, T> = Cow<'a, T>;

#[derive(Serialize, Deserialize, Default)]
#[serde(rename = "Provider", deny_unknown_fields, default)]
pub(super) struct ProviderRecord<'a> {
    id: Field<'a, Text>,
    operator_keys: Field<'a, [OperatorKey]>,
    name: Field<'a, Option<Text>>,
    country: Field<'a, Option<Text>>,
    region: Field<'a, Option<Text>>,
    city: Field<'a, Option<Text>>,
    asn: Option<u32>,
    cloud: Field<'a, Option<Text>>,
    datacenter: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_datacenter: Option<bool>,
    hostname: Field<'a, Option<Text>>,
    ip: Field<'a, Option<Text>>,
    gpus: Field<'a, [GpuGroup]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gpus_offered: Option<u64>,
    declared_gpu_models: Field<'a, [Text]>,
    cpu_cores: Option<f64>,
    memory_gb: Option<f64>,
    storage_gb: Option<f64>,
    uptime: Field<'a, Option<Uptime>>,
    online: Option<bool>,
    active_set: Option<bool>,
    status: Field<'a, Option<Text>>,
    prices: Field<'a, [Price]>,
    stake: Option<f64>,
    emission: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gpus_leased: Option<u64>,
    #[serde(skip_serializing_if = "absent")]
    last_seen: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "absent")]
    last_checked: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "absent")]
    declared_country: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "absent")]
    declared_region: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invalid_gpu_total: Option<f64>,
    #[serde(skip_serializing_if = "absent")]
    fingerprint: Field<'a, Option<Text>>,
}

fn absent(text: &Field<'_, Option<Text>>) -> bool {
    text.is_none()
}

impl<'a> ProviderRecord<'a> {
    /// The record of `p`, borrowing its fields.
    pub(super) fn borrowed(p: &'a Provider) -> Self {
        let more: &'a ProviderMore = &p.more;
        ProviderRecord {
            id: Cow::Borrowed(&p.id),
            operator_keys: Cow::Borrowed(&p.operator_keys),
            name: Cow::Borrowed(&p.name),
            country: Cow::Borrowed(&p.country),
            region: Cow::Borrowed(&p.region),
            city: Cow::Borrowed(&more.city),
            asn: p.asn,
            cloud: Cow::Borrowed(&p.cloud),
            datacenter: Cow::Borrowed(&p.datacenter),
            in_datacenter: p.in_datacenter,
            hostname: Cow::Borrowed(&more.hostname),
            ip: Cow::Borrowed(&p.ip),
            gpus: Cow::Borrowed(&p.gpus),
            gpus_offered: more.gpus_offered,
            declared_gpu_models: Cow::Borrowed(&more.declared_gpu_models),
            cpu_cores: more.cpu_cores,
            memory_gb: more.memory_gb,
            storage_gb: more.storage_gb,
            uptime: Cow::Borrowed(&p.uptime),
            online: p.online,
            active_set: p.active_set,
            status: Cow::Borrowed(&p.status),
            prices: Cow::Borrowed(&p.prices),
            stake: p.stake,
            emission: p.emission,
            nodes: more.nodes,
            gpus_leased: more.gpus_leased,
            last_seen: Cow::Borrowed(&more.last_seen),
            last_checked: Cow::Borrowed(&more.last_checked),
            declared_country: Cow::Borrowed(&more.declared_country),
            declared_region: Cow::Borrowed(&more.declared_region),
            invalid_gpu_total: more.invalid_gpu_total,
            fingerprint: Cow::Borrowed(&more.fingerprint),
        }
    }

    /// The provider the record describes (moves owned fields, clones
    /// borrowed ones).
    pub(super) fn into_provider(self) -> Provider {
        let more = ProviderMore {
            city: self.city.into_owned(),
            hostname: self.hostname.into_owned(),
            gpus_offered: self.gpus_offered,
            declared_gpu_models: self.declared_gpu_models.into_owned(),
            cpu_cores: self.cpu_cores,
            memory_gb: self.memory_gb,
            storage_gb: self.storage_gb,
            nodes: self.nodes,
            gpus_leased: self.gpus_leased,
            last_seen: self.last_seen.into_owned(),
            last_checked: self.last_checked.into_owned(),
            declared_country: self.declared_country.into_owned(),
            declared_region: self.declared_region.into_owned(),
            invalid_gpu_total: self.invalid_gpu_total,
            fingerprint: self.fingerprint.into_owned(),
        };
        Provider {
            id: self.id.into_owned(),
            operator_keys: self.operator_keys.into_owned(),
            name: self.name.into_owned(),
            country: self.country.into_owned(),
            region: self.region.into_owned(),
            asn: self.asn,
            cloud: self.cloud.into_owned(),
            datacenter: self.datacenter.into_owned(),
            in_datacenter: self.in_datacenter,
            ip: self.ip.into_owned(),
            gpus: self.gpus.into_owned(),
            uptime: self.uptime.into_owned(),
            online: self.online,
            active_set: self.active_set,
            status: self.status.into_owned(),
            prices: self.prices.into_owned(),
            stake: self.stake,
            emission: self.emission,
            more: More::new(more),
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename = "GpuGroup", deny_unknown_fields, default)]
struct GpuGroupRecord<'a> {
    vendor: Field<'a, Option<Text>>,
    #[serde(skip_serializing_if = "absent")]
    declared_vendor: Field<'a, Option<Text>>,
    model: Field<'a, Option<Text>>,
    raw_model: Field<'a, Option<Text>>,
    known_model: bool,
    interface: Field<'a, Option<Text>>,
    memory_gb: Option<f64>,
    count: u64,
    tflops_fp16: Option<f64>,
    #[serde(skip_serializing_if = "is_zero")]
    duplicated: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Serialize for GpuGroup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        GpuGroupRecord {
            vendor: Cow::Borrowed(&self.vendor),
            declared_vendor: Cow::Borrowed(&self.declared_vendor),
            model: Cow::Borrowed(&self.model),
            raw_model: Cow::Borrowed(&self.raw_model),
            known_model: self.known_model,
            interface: Cow::Borrowed(&self.interface),
            memory_gb: self.memory_gb,
            count: self.count,
            tflops_fp16: self.tflops_fp16,
            duplicated: self.duplicated,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for GpuGroup {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<GpuGroup, D::Error> {
        let r = GpuGroupRecord::deserialize(deserializer)?;
        let kind = GpuKind {
            vendor: r.vendor.into_owned(),
            declared_vendor: r.declared_vendor.into_owned(),
            model: r.model.into_owned(),
            raw_model: r.raw_model.into_owned(),
            known_model: r.known_model,
            interface: r.interface.into_owned(),
            memory_gb: r.memory_gb,
            tflops_fp16: r.tflops_fp16,
        };
        let mut group = GpuGroup::new(kind, r.count);
        group.duplicated = r.duplicated;
        Ok(group)
    }
}

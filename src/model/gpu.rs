//! GPU groups and the normalization of GPU model names.
//!
//! Sources name one chip many ways ("NVIDIA GeForce RTX 4090", "rtx4090",
//! "A100 SXM4" with 39,936 MB). Normalization strips vendor words, memory and
//! interface tokens, looks the rest up in a bundled catalogue, and snaps the
//! reported memory to the nearest catalogued variant, giving ids such as
//! `h100-80gb` or `rtx4090-24gb`. The catalogue is the union of
//! `data/reference/gpu_specs.csv` (with FP16 throughput and sources) and the
//! Akash GPU registry (`data/akash/provider-configs_gpus.json`). Names the
//! catalogue does not know are kept, slugged, and flagged `known_model:
//! false`: never dropped or renamed to something else.
//!
//! The vendor of a GPU group is the catalogue's for a model the catalogue
//! knows, else the vendor a brand word in the name gives ("Radeon", "GeForce",
//! "Intel Arc"), else the vendor the source declared. A declared vendor that
//! differs from the model's is kept in `declared_vendor`, for the supply
//! check `vendor-mismatch`: a "Radeon RX 7900 XTX" labelled `nvidia` counts
//! as AMD in vendor dependency, and the label is reported.

use super::Text;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

/// GPUs of one model on one provider: how many, and what they are.
///
/// What they are ([`GpuKind`]) is shared by every group made from the same
/// model name: a source of a million GPU groups over a few dozen models
/// holds a few dozen kinds, not a million copies of their strings. The
/// kind's fields read through the group (`g.model`, `g.vendor`). The JSON
/// form is one flat object, as it always was (see `model::record`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuGroup {
    kind: Arc<GpuKind>,
    /// Number of GPUs.
    pub count: u64,
    /// Of `count`, GPUs from rows the source repeated identically (a
    /// duplicate listing): claimed, but flagged by the supply checks.
    pub duplicated: u64,
}

/// What the GPUs of a group are: model, vendor, memory, throughput.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuKind {
    /// Chip vendor: `nvidia`, `amd`, `intel`, … (`None` when unknown). For
    /// a model the catalogue knows (or whose name carries a brand word),
    /// the model's vendor, whatever the source declared.
    pub vendor: Option<Text>,
    /// The vendor the source declared, as given, kept only when it differs
    /// from the model's vendor in `vendor` (flagged by the `vendor-mismatch`
    /// check).
    pub declared_vendor: Option<Text>,
    /// Normalized model id, e.g. `h100-80gb` (`None` when the source gives a
    /// count without a model).
    pub model: Option<Text>,
    /// The model name exactly as the source gave it.
    pub raw_model: Option<Text>,
    /// False when the catalogue does not know the model (kept and flagged).
    pub known_model: bool,
    /// Form factor / interface when stated: `sxm`, `pcie`, `nvl`.
    pub interface: Option<Text>,
    /// Memory per GPU, GB.
    pub memory_gb: Option<f64>,
    /// Dense FP16 tensor throughput per GPU, TFLOPS, from the catalogue.
    pub tflops_fp16: Option<f64>,
}

impl GpuGroup {
    /// Whether another group holds this group's kind too.
    pub(crate) fn kind_is_shared(&self) -> bool {
        Arc::strong_count(&self.kind) > 1
    }

    /// The address of the kind this group holds: groups holding one shared
    /// kind give the same address (a key for per-kind work).
    pub fn kind_ptr(&self) -> *const GpuKind {
        Arc::as_ptr(&self.kind)
    }

    /// `count` GPUs of `kind`.
    pub fn new(kind: GpuKind, count: u64) -> Self {
        GpuGroup {
            kind: Arc::new(kind),
            count,
            duplicated: 0,
        }
    }

    /// The same kind of GPU, `count` of them, sharing the kind.
    pub fn with_count(&self, count: u64) -> Self {
        GpuGroup {
            kind: Arc::clone(&self.kind),
            count,
            duplicated: 0,
        }
    }

    /// What the GPUs are, to change (copied first when shared).
    pub fn kind_mut(&mut self) -> &mut GpuKind {
        Arc::make_mut(&mut self.kind)
    }
}

/// Makes groups of equal kinds share one [`GpuKind`]. A snapshot read
/// from JSON, or from an adapter that normalizes every record, holds a copy
/// per group until then. Kinds are equal when every field is, floats
/// compared bit for bit. Only a memory saving: no figure depends on it.
pub fn share_kinds<'a>(groups: impl IntoIterator<Item = &'a mut GpuGroup>) {
    let mut kinds: FxHashMap<u64, Vec<Arc<GpuKind>>> = FxHashMap::default();
    for group in groups {
        // Shared already (an adapter's template): nothing to gain.
        if group.kind_is_shared() {
            continue;
        }
        let key = kind_key(&group.kind);
        let same = kinds
            .entry(rustc_hash::FxBuildHasher.hash_one(key))
            .or_default();
        match same.iter().find(|k| kind_key(k) == key) {
            Some(shared) => group.kind = Arc::clone(shared),
            None => same.push(Arc::clone(&group.kind)),
        }
    }
}

/// Every field of a kind, floats as their bits: equal keys, equal kinds.
type KindKey<'a> = ([Option<&'a str>; 5], bool, Option<u64>, Option<u64>);

fn kind_key(k: &GpuKind) -> KindKey<'_> {
    (
        [
            &k.vendor,
            &k.declared_vendor,
            &k.model,
            &k.raw_model,
            &k.interface,
        ]
        .map(|t| t.as_deref()),
        k.known_model,
        k.memory_gb.map(f64::to_bits),
        k.tflops_fp16.map(f64::to_bits),
    )
}

impl std::ops::Deref for GpuGroup {
    type Target = GpuKind;
    fn deref(&self) -> &GpuKind {
        &self.kind
    }
}

/// One catalogued GPU family.
#[derive(Debug, Clone)]
struct Family {
    vendor: String,
    memory_variants: Vec<f64>,
    /// FP16 TFLOPS per interface (`""` = unknown / any interface).
    tflops: BTreeMap<String, f64>,
}

struct Catalogue {
    families: BTreeMap<String, Family>,
    aliases: BTreeMap<String, String>,
}

const SPECS_CSV: &str = include_str!("../../data/reference/gpu_specs.csv");
const AKASH_REGISTRY: &str = include_str!("../../data/akash/provider-configs_gpus.json");

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(build_catalogue)
}

/// Builds the catalogue from bundled data. The data is part of the binary
/// and checked by tests, so a failure here is a build defect, not bad input.
fn build_catalogue() -> Catalogue {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut aliases = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(SPECS_CSV.as_bytes());
    for row in reader.records() {
        let row = row.expect("bundled gpu_specs.csv is valid CSV");
        let family = row[0].to_string();
        let entry = families.entry(family.clone()).or_insert_with(|| Family {
            vendor: row[1].to_string(),
            memory_variants: Vec::new(),
            tflops: BTreeMap::new(),
        });
        for m in row[2].split('|').filter_map(|m| m.parse::<f64>().ok()) {
            if !entry.memory_variants.contains(&m) {
                entry.memory_variants.push(m);
            }
        }
        if let Ok(t) = row[4].parse::<f64>() {
            entry.tflops.insert(row[3].to_string(), t);
        }
        for alias in row[5].split('|').filter(|a| !a.is_empty()) {
            aliases.insert(alias.to_string(), family.clone());
        }
    }
    add_akash_registry(&mut families, &aliases);
    Catalogue { families, aliases }
}

/// Adds families named in the Akash GPU registry that the spec table lacks.
fn add_akash_registry(families: &mut BTreeMap<String, Family>, aliases: &BTreeMap<String, String>) {
    let registry: serde_json::Value =
        serde_json::from_str(AKASH_REGISTRY).expect("bundled Akash GPU registry is valid JSON");
    let Some(vendors) = registry.as_object() else {
        return;
    };
    for vendor in vendors.values() {
        let vendor_name = vendor["name"].as_str().unwrap_or_default().to_string();
        let Some(devices) = vendor["devices"].as_object() else {
            continue;
        };
        for device in devices.values() {
            let Some(name) = device["name"].as_str() else {
                continue;
            };
            let name = aliases
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string());
            let memory = device["memory_size"]
                .as_str()
                .and_then(|m| m.trim_end_matches("Gi").parse::<f64>().ok());
            let family = families.entry(name).or_insert_with(|| Family {
                vendor: vendor_name.clone(),
                memory_variants: Vec::new(),
                tflops: BTreeMap::new(),
            });
            if let Some(m) = memory.filter(|m| !family.memory_variants.contains(m)) {
                family.memory_variants.push(m);
            }
        }
    }
}

const VENDOR_WORDS: &[&str] = &[
    "nvidia",
    "geforce",
    "tesla",
    "quadro",
    "amd",
    "ati",
    "radeon",
    "instinct",
    "intel",
    "graphics",
    "gpu",
    "generation",
    "tensor",
    "core",
];

/// Pieces of a raw model name.
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    compact: String,
    memory_gb: Option<f64>,
    interface: Option<String>,
    vendor_hint: Option<&'static str>,
}

fn parse_name(raw: &str) -> Parsed {
    let lower = raw.to_ascii_lowercase();
    let mut parsed = Parsed::default();
    for token in lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        if let Some(v) = vendor_of_word(token) {
            parsed.vendor_hint.get_or_insert(v);
        }
        if VENDOR_WORDS.contains(&token) || token.starts_with("hbm") || token.starts_with("gddr") {
            continue;
        }
        if let Some(gb) = memory_token(token) {
            parsed.memory_gb = Some(gb);
        } else if let Some(iface) = interface_token(token) {
            parsed.interface = Some(iface.to_string());
        } else {
            parsed.compact.push_str(token);
        }
    }
    // "A100-SXM4-80GB" style names glue the interface onto nothing, but
    // "h100sxm" or "a100pcie" glue it onto the family: split those too.
    for suffix in ["sxm5", "sxm4", "sxm3", "sxm2", "sxm", "pcie", "nvl"] {
        if parsed.compact.len() > suffix.len() && parsed.compact.ends_with(suffix) {
            parsed.compact.truncate(parsed.compact.len() - suffix.len());
            parsed
                .interface
                .get_or_insert_with(|| interface_token(suffix).unwrap().to_string());
            break;
        }
    }
    parsed
}

/// The vendor a brand word of a model name gives ("Radeon", "GeForce",
/// "Arc", …).
fn vendor_of_word(token: &str) -> Option<&'static str> {
    match token {
        "nvidia" | "geforce" | "tesla" | "quadro" | "titan" => Some("nvidia"),
        "amd" | "ati" | "radeon" | "instinct" | "firepro" => Some("amd"),
        "intel" | "arc" | "gaudi" | "gaudi2" | "gaudi3" => Some("intel"),
        _ => None,
    }
}

/// The canonical spelling of a declared vendor: `nvidia`, `amd` or `intel`
/// for the names, brands and PCI vendor ids of those three ("NVIDIA
/// Corporation", "Advanced Micro Devices, Inc.", "Radeon", `10de`, `1002`,
/// `8086`), else the text trimmed and lowercased; `None` when empty.
pub fn canonical_vendor(declared: &str) -> Option<String> {
    let v = declared.trim().to_ascii_lowercase();
    if v.is_empty() {
        return None;
    }
    let words: Vec<&str> = v
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let known = match words.as_slice() {
        ["10de" | "0x10de"] | ["nvidia", ..] => Some("nvidia"),
        ["1002" | "0x1002"] | ["amd" | "ati", ..] | ["advanced", "micro", "devices", ..] => {
            Some("amd")
        }
        ["8086" | "0x8086"] | ["intel", ..] => Some("intel"),
        // A brand in the vendor column ("GeForce", "Radeon") names its maker.
        [first, ..] => vendor_of_word(first),
        [] => None,
    };
    Some(known.map_or(v, str::to_string))
}

/// How a model's vendor is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorBasis {
    /// The GPU catalogue knows the model.
    Catalogue,
    /// The model is unknown, but its name carries a brand word.
    Name,
}

/// The vendor of the model a raw name denotes, and how it is known: the
/// catalogue's vendor for a known model, else the vendor of a brand word
/// in the name; `None` when neither says.
pub fn model_vendor(raw_model: &str) -> Option<(String, VendorBasis)> {
    let cat = catalogue();
    let parsed = parse_name(raw_model);
    let family = cat.aliases.get(&parsed.compact).unwrap_or(&parsed.compact);
    match cat.families.get(family) {
        Some(f) => Some((f.vendor.clone(), VendorBasis::Catalogue)),
        None => parsed
            .vendor_hint
            .map(|v| (v.to_string(), VendorBasis::Name)),
    }
}

fn memory_token(token: &str) -> Option<f64> {
    let digits_end = token.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = token.split_at(digits_end);
    if num.is_empty() || !matches!(unit, "gb" | "g" | "gi" | "gib") {
        return None;
    }
    num.parse().ok()
}

fn interface_token(token: &str) -> Option<&'static str> {
    match token {
        t if t.starts_with("sxm") && t[3..].chars().all(|c| c.is_ascii_digit()) => Some("sxm"),
        "pcie" | "pci" => Some("pcie"),
        "nvl" => Some("nvl"),
        "hgx" => Some("sxm"),
        _ => None,
    }
}

/// Builds a normalized [`GpuGroup`] from what a source says. `memory_gb` is
/// the per-GPU memory the source reported, if any; `vendor` the vendor it
/// named, if any.
pub fn normalize(
    raw_model: &str,
    vendor: Option<&str>,
    memory_gb: Option<f64>,
    count: u64,
) -> GpuGroup {
    let cat = catalogue();
    let parsed = parse_name(raw_model);
    let family_name = cat
        .aliases
        .get(&parsed.compact)
        .cloned()
        .unwrap_or_else(|| parsed.compact.clone());
    let family = cat.families.get(&family_name);
    let reported = memory_gb.or(parsed.memory_gb);
    let memory = match family {
        Some(f) => snap_memory(reported, &f.memory_variants),
        None => reported.map(|m| m.round()),
    };
    let declared = vendor.and_then(canonical_vendor);
    // The model's own vendor wins over a label: the catalogue's, else the
    // brand word in the name. A contrary label is kept as the source gave it.
    let model_vendor = family
        .map(|f| f.vendor.clone())
        .or_else(|| parsed.vendor_hint.map(str::to_string));
    let declared_vendor = vendor.map(|v| v.trim().to_string()).filter(|_| {
        declared
            .as_ref()
            .zip(model_vendor.as_ref())
            .is_some_and(|(d, m)| d != m)
    });
    let vendor = model_vendor
        .or(declared)
        .or_else(|| vendor_from_prefix(&family_name).map(str::to_string));
    let model = (!family_name.is_empty()).then(|| match memory {
        Some(m) => format!("{family_name}-{}gb", format_gb(m)),
        None => family_name.clone(),
    });
    let tflops = family.and_then(|f| {
        let iface = parsed.interface.as_deref().unwrap_or("");
        // Unknown interface: take the lowest figure, never overstate.
        f.tflops
            .get(iface)
            .copied()
            .or_else(|| f.tflops.values().copied().reduce(f64::min))
    });
    let kind = GpuKind {
        vendor: vendor.map(Text::from),
        declared_vendor: declared_vendor.map(Text::from),
        model: model.map(Text::from),
        raw_model: Some(Text::from(raw_model)),
        known_model: family.is_some(),
        interface: parsed.interface.map(Text::from),
        memory_gb: memory,
        tflops_fp16: tflops,
    };
    GpuGroup::new(kind, count)
}

/// Memory sizes (GB) the catalogue lists for the model a raw name denotes,
/// or `None` when the catalogue does not know the model.
pub fn catalogued_memory(raw_model: &str) -> Option<Vec<f64>> {
    let cat = catalogue();
    let parsed = parse_name(raw_model);
    let family = cat.aliases.get(&parsed.compact).unwrap_or(&parsed.compact);
    cat.families
        .get(family)
        .map(|f| f.memory_variants.clone())
        .filter(|v| !v.is_empty())
}

/// A GPU group whose model the source does not state.
pub fn unnamed(vendor: Option<&str>, count: u64) -> GpuGroup {
    let kind = GpuKind {
        vendor: vendor.and_then(canonical_vendor).map(Text::from),
        ..GpuKind::default()
    };
    GpuGroup::new(kind, count)
}

fn vendor_from_prefix(compact: &str) -> Option<&'static str> {
    let digit_after = |p: &str| {
        compact
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    if ["rtx", "gtx", "gt"].iter().any(|p| compact.starts_with(p)) {
        Some("nvidia")
    } else if digit_after("mi") || digit_after("rx") {
        Some("amd")
    } else {
        None
    }
}

/// Snaps a reported memory size to the nearest catalogued variant within
/// 10% (39,936 MB is an "A100 40GB"); one-variant families get that variant
/// when nothing is reported.
fn snap_memory(reported: Option<f64>, variants: &[f64]) -> Option<f64> {
    match reported {
        None => (variants.len() == 1).then(|| variants[0]),
        Some(m) => variants
            .iter()
            .copied()
            .filter(|v| (m - v).abs() <= 0.1 * v)
            .min_by(|a, b| (m - a).abs().total_cmp(&(m - b).abs()))
            .or(Some(m.round())),
    }
}

fn format_gb(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{}", m as u64)
    } else {
        format!("{m:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_kinds_are_shared_and_a_change_copies_one() {
        let mut groups = vec![
            normalize("H100 SXM", Some("nvidia"), Some(80.0), 8),
            normalize("H100 SXM", Some("nvidia"), Some(80.0), 4),
            normalize("H100 PCIe", Some("nvidia"), Some(80.0), 2),
            normalize("H100 SXM", Some("nvidia"), Some(94.0), 1),
        ];
        groups[1].duplicated = 4;
        share_kinds(&mut groups);
        assert!(Arc::ptr_eq(&groups[0].kind, &groups[1].kind));
        assert!(
            !Arc::ptr_eq(&groups[0].kind, &groups[2].kind),
            "interface differs"
        );
        assert!(
            !Arc::ptr_eq(&groups[0].kind, &groups[3].kind),
            "memory differs"
        );
        // Counts stay each group's own.
        assert_eq!((groups[0].count, groups[1].count), (8, 4));
        assert_eq!((groups[0].duplicated, groups[1].duplicated), (0, 4));
        // Changing one group's kind leaves the other sharing it unchanged.
        groups[1].kind_mut().declared_vendor = Some("amd".into());
        assert_eq!(groups[0].declared_vendor, None);
        assert_eq!(groups[1].declared_vendor.as_deref(), Some("amd"));
        let copy = groups[0].with_count(3);
        assert!(Arc::ptr_eq(&copy.kind, &groups[0].kind));
        assert_eq!((copy.count, copy.duplicated), (3, 0));
    }

    #[test]
    fn normalization_table() {
        // (raw name, reported memory GB, expected model, known, vendor)
        let cases: &[(&str, Option<f64>, &str, bool, &str)] = &[
            (
                "A100 SXM4",
                Some(39936.0 / 1024.0),
                "a100-40gb",
                true,
                "nvidia",
            ),
            ("NVIDIA A100 80GB PCIe", None, "a100-80gb", true, "nvidia"),
            ("A100-SXM4-80GB", None, "a100-80gb", true, "nvidia"),
            ("h100", None, "h100", true, "nvidia"),
            ("H100 80GB HBM3", None, "h100-80gb", true, "nvidia"),
            (
                "NVIDIA GeForce RTX 4090",
                None,
                "rtx4090-24gb",
                true,
                "nvidia",
            ),
            ("nVidia RTX 3090", None, "rtx3090-24gb", true, "nvidia"),
            ("Tesla T4", None, "t4-16gb", true, "nvidia"),
            ("A10G", None, "a10g-24gb", true, "nvidia"),
            ("RTX A4000", None, "rtxa4000-16gb", true, "nvidia"),
            ("rtxa6000", None, "rtxa6000-48gb", true, "nvidia"),
            (
                "RTX 6000 Ada Generation",
                None,
                "rtx6000ada-48gb",
                true,
                "nvidia",
            ),
            ("gtx1080ti", None, "gtx1080ti-11gb", true, "nvidia"),
            ("AMD Instinct MI300X", None, "mi300x-192gb", true, "amd"),
            (
                "AMD Radeon RX 7900 XTX",
                None,
                "rx7900xtx-24gb",
                true,
                "amd",
            ),
            ("Radeon RX 7900 XTX", None, "rx7900xtx-24gb", true, "amd"),
            ("RX 7900 XTX", None, "rx7900xtx-24gb", true, "amd"),
            (
                "NVIDIA GeForce RTX 5090",
                None,
                "rtx5090-32gb",
                true,
                "nvidia",
            ),
            ("Quadro RTX 6000", None, "rtx6000-24gb", true, "nvidia"),
            ("Intel Arc A770", Some(16.0), "arca770-16gb", false, "intel"),
            (
                "Radeon RX 9070 XT",
                Some(16.0),
                "rx9070xt-16gb",
                false,
                "amd",
            ),
            (
                "RTX 9999 Hyper",
                Some(40.0),
                "rtx9999hyper-40gb",
                false,
                "nvidia",
            ),
        ];
        for (raw, mem, model, known, vendor) in cases {
            let g = normalize(raw, None, *mem, 1);
            assert_eq!(g.model.as_deref(), Some(*model), "{raw}");
            assert_eq!(g.known_model, *known, "{raw}");
            assert_eq!(g.vendor.as_deref(), Some(*vendor), "{raw}");
            assert_eq!(g.raw_model.as_deref(), Some(*raw));
        }
    }

    #[test]
    fn tflops_follow_interface_and_never_overstate() {
        assert_eq!(
            normalize("H100 SXM5", None, None, 1).tflops_fp16,
            Some(989.4)
        );
        assert_eq!(
            normalize("H100 PCIe", None, None, 1).tflops_fp16,
            Some(756.5)
        );
        assert_eq!(normalize("h100", None, None, 1).tflops_fp16, Some(756.5));
        assert_eq!(normalize("p40", None, None, 1).tflops_fp16, None);
        assert_eq!(
            normalize("GeForce RTX 5090", None, None, 1).tflops_fp16,
            Some(419.0)
        );
        assert_eq!(
            normalize("Radeon RX 7900 XTX", None, None, 1).tflops_fp16,
            Some(123.0)
        );
        assert_eq!(normalize("A10G", None, None, 1).tflops_fp16, None);
    }

    #[test]
    fn the_models_vendor_wins_and_a_contrary_label_is_kept() {
        // (raw name, declared vendor, vendor, declared_vendor kept)
        let cases: &[(&str, Option<&str>, &str, Option<&str>)] = &[
            ("Radeon RX 7900 XTX", Some("nvidia"), "amd", Some("nvidia")),
            ("Radeon RX 7900 XTX", Some("AMD"), "amd", None),
            (
                "Radeon RX 7900 XTX",
                Some("Advanced Micro Devices, Inc."),
                "amd",
                None,
            ),
            ("RTX 4090", Some("NVIDIA Corporation"), "nvidia", None),
            ("RTX 4090", Some("10de"), "nvidia", None),
            ("RTX 4090", Some(" AMD "), "nvidia", Some("AMD")),
            ("H100", Some("GeForce"), "nvidia", None),
            // Unknown model: the brand word in the name decides.
            ("Radeon RX 9070 XT", Some("nvidia"), "amd", Some("nvidia")),
            ("Intel Arc B580", Some("nvidia"), "intel", Some("nvidia")),
            // Nothing about the model: the label stands.
            ("Mystery Accelerator", Some("Acme"), "acme", None),
            ("Mystery Accelerator", Some("nvidia"), "nvidia", None),
        ];
        for (raw, declared, vendor, kept) in cases {
            let g = normalize(raw, *declared, None, 1);
            assert_eq!(g.vendor.as_deref(), Some(*vendor), "{raw} / {declared:?}");
            assert_eq!(g.declared_vendor.as_deref(), *kept, "{raw} / {declared:?}");
        }
        assert_eq!(
            model_vendor("Radeon RX 7900 XTX"),
            Some(("amd".to_string(), VendorBasis::Catalogue))
        );
        assert_eq!(
            model_vendor("Radeon RX 9070 XT"),
            Some(("amd".to_string(), VendorBasis::Name))
        );
        assert_eq!(model_vendor("Mystery Accelerator"), None);
    }

    #[test]
    fn agreeing_vendors_round_trip_unchanged() {
        let g = normalize("RTX 4090", Some("nvidia"), None, 2);
        let json = serde_json::to_value(&g).unwrap();
        assert!(json.get("declared_vendor").is_none(), "{json}");
        let back: GpuGroup = serde_json::from_value(json).unwrap();
        assert_eq!(back, g);
        let g = normalize("Radeon RX 7900 XTX", Some("nvidia"), None, 2);
        let json = serde_json::to_value(&g).unwrap();
        assert_eq!(json["declared_vendor"], "nvidia");
        assert_eq!(serde_json::from_value::<GpuGroup>(json).unwrap(), g);
    }

    #[test]
    fn every_registry_model_has_a_spec_row_with_a_source() {
        // Each model of the Akash registry has a row in gpu_specs.csv: an
        // FP16 figure with its source, or a blank that says why.
        let mut reader = csv::Reader::from_reader(SPECS_CSV.as_bytes());
        let mut rows = BTreeMap::new();
        let mut aliases = BTreeMap::new();
        for row in reader.records() {
            let row = row.unwrap();
            assert!(!row[6].trim().is_empty(), "{} has no source", &row[0]);
            if !row[4].is_empty() {
                let t: f64 = row[4].parse().unwrap();
                assert!(t > 0.0 && t.is_finite(), "{}", &row[0]);
            }
            for a in row[5].split('|').filter(|a| !a.is_empty()) {
                aliases.insert(a.to_string(), row[0].to_string());
            }
            rows.insert(row[0].to_string(), row[1].to_string());
        }
        let registry: serde_json::Value = serde_json::from_str(AKASH_REGISTRY).unwrap();
        for vendor in registry.as_object().unwrap().values() {
            for device in vendor["devices"].as_object().unwrap().values() {
                let name = device["name"].as_str().unwrap();
                let family = aliases.get(name).map_or(name, String::as_str);
                let spec_vendor = rows
                    .get(family)
                    .unwrap_or_else(|| panic!("registry model {name} has no spec row"));
                assert_eq!(spec_vendor, vendor["name"].as_str().unwrap(), "{name}");
            }
        }
    }

    #[test]
    fn unknown_names_are_kept_not_dropped() {
        let g = normalize("Mystery Accelerator", Some("acme"), None, 3);
        assert_eq!(g.model.as_deref(), Some("mysteryaccelerator"));
        assert!(!g.known_model);
        assert_eq!(g.vendor.as_deref(), Some("acme"));
        assert_eq!(g.count, 3);
    }

    #[test]
    fn catalogue_includes_akash_registry() {
        let cat = catalogue();
        assert!(cat.families.contains_key("gtx960"));
        assert!(cat.families.contains_key("mi60"));
        assert!(cat.families["h100"].tflops.contains_key("sxm"));
    }
}

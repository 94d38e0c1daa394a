//! The placement instance of a snapshot for a workload: one bin per
//! provider and GPU model, with the classes each bin can serve.

use super::solver::{Bin, Demand, Types};
use super::workload::Workload;
use crate::error::{Error, Result};
use crate::model::Snapshot;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A bin's model and memory (as bits, so it can be ordered).
type BinKey<'a> = (Option<&'a str>, Option<u64>);

/// Demands and bins of one snapshot under one workload.
#[derive(Debug, Clone)]
pub struct Instance {
    pub demands: Vec<Demand>,
    pub bins: Vec<Bin>,
    pub demanded_gpus: u64,
    /// Distinct (eligible classes, capacity) pairs, and each bin's index in it,
    /// so repeated scenarios only count bins.
    type_keys: Vec<(u64, u64)>,
    type_of_bin: Vec<usize>,
}

impl Instance {
    /// Builds the instance; at most 64 classes.
    pub fn new(snapshot: &Snapshot, workload: &Workload) -> Result<Self> {
        if workload.classes.len() > 64 {
            return Err(Error::Usage(format!(
                "workload `{}` has {} classes; at most 64 are supported",
                workload.name,
                workload.classes.len()
            )));
        }
        let demands = workload
            .classes
            .iter()
            .map(|c| {
                if c.same_provider {
                    Demand {
                        unit: c.gpus_per_replica,
                        units: c.replicas,
                        spread_replica: None,
                    }
                } else {
                    Demand {
                        unit: 1,
                        units: c.demanded_gpus(),
                        spread_replica: Some(c.gpus_per_replica),
                    }
                }
            })
            .collect();
        // No bin can serve more than the whole workload, so capacities are
        // capped there: the optimum is unchanged, and a claimed overflow
        // sentinel (2^64 - 1 GPUs) cannot overflow the solver's sums.
        let total_demand = workload
            .classes
            .iter()
            .fold(0u64, |sum, c| sum.saturating_add(c.demanded_gpus()));
        let mut bins = Vec::new();
        for (i, p) in snapshot.providers.iter().enumerate() {
            // GPUs of one model and memory on one provider form one bin.
            let mut groups: BTreeMap<BinKey, (u64, Option<f64>)> = BTreeMap::new();
            for g in &p.gpus {
                let key = (g.model.as_deref(), g.memory_gb.map(f64::to_bits));
                let e = groups.entry(key).or_insert((0, g.memory_gb));
                e.0 = e.0.saturating_add(g.count);
            }
            for ((model, _), (count, memory)) in groups {
                let eligible = workload
                    .classes
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.accepts(model, memory))
                    .fold(0u64, |m, (j, _)| m | (1 << j));
                bins.push(Bin {
                    provider: i,
                    capacity: count.min(total_demand),
                    eligible,
                });
            }
        }
        let mut index: FxHashMap<(u64, u64), usize> = FxHashMap::default();
        let type_of_bin = bins
            .iter()
            .map(|b| {
                let n = index.len();
                *index.entry((b.eligible, b.capacity)).or_insert(n)
            })
            .collect();
        let mut type_keys = vec![(0, 0); index.len()];
        for (k, i) in index {
            type_keys[i] = k;
        }
        Ok(Instance {
            demanded_gpus: workload.demanded_gpus(),
            demands,
            bins,
            type_keys,
            type_of_bin,
        })
    }

    /// The instance as plain data, for external solvers.
    pub fn export(&self) -> serde_json::Value {
        serde_json::json!({
            "demands": self.demands.iter().map(|d| serde_json::json!({"unit": d.unit, "units": d.units, "spread_replica": d.spread_replica})).collect::<Vec<_>>(),
            "bins": self.bins.iter().filter(|b| b.eligible != 0).map(|b| serde_json::json!({"provider": b.provider, "capacity": b.capacity, "eligible": b.eligible})).collect::<Vec<_>>(),
        })
    }

    /// Bin types of the providers for which `alive` holds.
    pub fn types(&self, alive: &[bool]) -> Types {
        let mut counts = vec![0u64; self.type_keys.len()];
        for (b, &t) in self.bins.iter().zip(&self.type_of_bin) {
            if alive[b.provider] && b.eligible != 0 {
                counts[t] += 1;
            }
        }
        self.type_keys
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (*k, n))
            .collect()
    }

    /// Per provider, the GPUs some class could use (its bins' best fills).
    pub fn usable_gpus(&self, providers: usize) -> Vec<u64> {
        // A bin's best fill depends only on its type: computed once per
        // type, not per bin.
        let fills: Vec<u64> = self
            .type_keys
            .iter()
            .map(|&(eligible, capacity)| {
                let sizes: Vec<u64> = (0..self.demands.len())
                    .filter(|j| eligible & (1 << j) != 0)
                    .map(|j| self.demands[j].unit)
                    .collect();
                super::solver::best_fill(capacity, &sizes)
            })
            .collect();
        // Bins come grouped by provider, in provider order: the totals are
        // written as the providers come (fresh zeroed memory would cost a
        // second fault per page, read then written), and the sum is right
        // whatever the order.
        let mut out = Vec::with_capacity(providers);
        for (b, &t) in self.bins.iter().zip(&self.type_of_bin) {
            if out.len() <= b.provider {
                out.resize(b.provider + 1, 0);
            }
            out[b.provider] += fills[t];
        }
        out.resize(providers, 0);
        out
    }
}

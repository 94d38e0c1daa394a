//! Operator grouping: which providers are controlled by the same operator.
//!
//! This first rule set links providers only through on-chain or
//! marketplace keys that prove common control: a declared operator, a
//! Bittensor coldkey, an owner or payout address, a marketplace host id.
//! A provider with none of these is its own operator and is counted as
//! *unlinked*, so readers see how much of the operator view rests on
//! missing attribution.

use crate::model::{KeyKind, Provider};
use serde::Serialize;
use std::collections::BTreeMap;

/// Key kinds that prove common control, strongest first.
pub const CONTROL_KEYS: [KeyKind; 5] = [
    KeyKind::Declared,
    KeyKind::Coldkey,
    KeyKind::OwnerAddress,
    KeyKind::HostId,
    KeyKind::PayoutAddress,
];

/// The operator a provider belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OperatorId {
    /// `<key kind>:<value>`, or `provider:<id>` for an unlinked provider.
    pub id: String,
    /// Key kind that formed the group (`None`: unlinked).
    pub via: Option<KeyKind>,
}

/// Operator of one provider, by its strongest control key.
pub fn operator_of(p: &Provider) -> OperatorId {
    CONTROL_KEYS
        .iter()
        .find_map(|kind| {
            p.operator_keys
                .iter()
                .find(|k| k.kind == *kind)
                .map(|k| OperatorId {
                    id: format!("{}:{}", kind_name(*kind), k.value),
                    via: Some(*kind),
                })
        })
        .unwrap_or_else(|| OperatorId {
            id: format!("provider:{}", p.id),
            via: None,
        })
}

/// Snake-case name of a key kind, as in JSON output.
pub fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Declared => "declared",
        KeyKind::Coldkey => "coldkey",
        KeyKind::OwnerAddress => "owner_address",
        KeyKind::PayoutAddress => "payout_address",
        KeyKind::HostId => "host_id",
        KeyKind::Identity => "identity",
        KeyKind::Domain => "domain",
        KeyKind::EmailDomain => "email_domain",
    }
}

/// Operators of a snapshot: one id per provider, in provider order.
#[derive(Debug, Clone, Serialize)]
pub struct Grouping {
    pub assignment: Vec<OperatorId>,
    /// Number of distinct operators.
    pub operators: usize,
    /// Providers with no control key (each its own operator).
    pub unlinked_providers: usize,
}

/// Groups the providers into operators.
pub fn group(providers: &[Provider]) -> Grouping {
    let assignment: Vec<OperatorId> = providers.iter().map(operator_of).collect();
    let mut distinct: BTreeMap<&str, ()> = BTreeMap::new();
    for a in &assignment {
        distinct.insert(&a.id, ());
    }
    Grouping {
        operators: distinct.len(),
        unlinked_providers: assignment.iter().filter(|a| a.via.is_none()).count(),
        assignment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongest_control_key_wins_and_unlinked_are_counted() {
        let mut a = Provider::new("a");
        a.add_key(KeyKind::Identity, "K");
        a.add_key(KeyKind::Coldkey, "C1");
        let mut b = Provider::new("b");
        b.add_key(KeyKind::Coldkey, "C1");
        let c = Provider::new("c");
        let g = group(&[a, b, c]);
        assert_eq!(g.assignment[0].id, "coldkey:C1");
        assert_eq!(g.assignment[0], g.assignment[1]);
        assert_eq!(g.assignment[2].id, "provider:c");
        assert_eq!((g.operators, g.unlinked_providers), (2, 1));
    }
}

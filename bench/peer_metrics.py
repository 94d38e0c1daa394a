#!/usr/bin/env python3
"""Whole-process peer run: read numbers, sort, compute every metric with the
metric functions of Blockchain-Technology-Lab/consensus-decentralization.

Usage: peer_metrics.py PEER_CHECKOUT NUMBERS_FILE
Prints one JSON object with the same keys as `rackaudit metrics` (defaults).
The peer's code is imported from its own checkout, not copied here.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from consensus_decentralization.metrics.concentration_ratio import compute_concentration_ratio  # noqa: E402
from consensus_decentralization.metrics.entropy import compute_entropy, compute_entropy_percentage  # noqa: E402
from consensus_decentralization.metrics.gini import compute_gini  # noqa: E402
from consensus_decentralization.metrics.herfindahl_hirschman_index import compute_hhi  # noqa: E402
from consensus_decentralization.metrics.nakamoto_coefficient import compute_nakamoto_coefficient  # noqa: E402
from consensus_decentralization.metrics.tau_index import compute_tau_index  # noqa: E402
from consensus_decentralization.metrics.theil_index import compute_theil_index  # noqa: E402
from consensus_decentralization.metrics.total_entities import compute_total_entities  # noqa: E402

with open(sys.argv[2]) as f:
    text = f.read().strip()
values = json.loads(text) if text.startswith("[") else [float(x) for x in text.split()]
dist = sorted(values, reverse=True)
out = {
    "total_entities": compute_total_entities(dist),
    "nakamoto_coefficient": compute_nakamoto_coefficient(dist),
    "tau_index": {"0.33": compute_tau_index(dist, 0.33), "0.66": compute_tau_index(dist, 0.66)},
    "concentration_ratio": {"1": compute_concentration_ratio(dist, 1), "3": compute_concentration_ratio(dist, 3)},
    "max_share": compute_concentration_ratio(dist, 1),
    "hhi": compute_hhi(dist),
    "gini": float(compute_gini(dist)),
    "shannon_entropy": compute_entropy(dist, 1),
    "min_entropy": compute_entropy(dist, -1),
    "renyi_entropy": {"0": compute_entropy(dist, 0), "2": compute_entropy(dist, 2)},
    "entropy_percentage": compute_entropy_percentage(dist, 1),
    "theil_index": compute_theil_index(dist),
}
print(json.dumps(out))

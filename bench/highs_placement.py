#!/usr/bin/env python3
"""Solve a rackaudit placement instance (from `stress --export-instance`) as an
integer program with HiGHS (PyPI `highspy`). Prints JSON: objective, time.

maximize   sum_{j,b} unit_j * x_jb
subject to sum_j unit_j * x_jb <= capacity_b      for every bin b
           sum_b x_jb          <= units_j         for every class j
           x_jb integer >= 0, only where class j may use bin b
"""
import json
import sys
import time

import highspy
import numpy as np

start = time.perf_counter()
inst = json.load(open(sys.argv[1]))
limit = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
demands, bins = inst["demands"], inst["bins"]
pairs = [(j, b) for b, bin_ in enumerate(bins) for j in range(len(demands)) if bin_["eligible"] >> j & 1 and demands[j]["unit"] <= bin_["capacity"]]
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("time_limit", limit)
h.setOptionValue("threads", 2)
n = len(pairs)
inf = highspy.kHighsInf
cost = np.array([-float(demands[j]["unit"]) for j, _ in pairs])
lower = np.zeros(n)
upper = np.array([float(min(demands[j]["units"], bins[b]["capacity"] // demands[j]["unit"])) for j, b in pairs])
h.addVars(n, lower, upper)
h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
by_bin, by_class = {}, {}
for k, (j, b) in enumerate(pairs):
    by_bin.setdefault(b, []).append(k)
    by_class.setdefault(j, []).append(k)
for b, ks in by_bin.items():
    h.addRow(-inf, float(bins[b]["capacity"]), len(ks), np.array(ks, dtype=np.int32), np.array([float(demands[pairs[k][0]]["unit"]) for k in ks]))
for j, ks in by_class.items():
    h.addRow(-inf, float(demands[j]["units"]), len(ks), np.array(ks, dtype=np.int32), np.ones(len(ks)))
h.run()
info = h.getInfo()
status = h.modelStatusToString(h.getModelStatus())
print(json.dumps({
    "objective": -info.objective_function_value if n else 0.0,
    "bound": -info.mip_dual_bound if n else 0.0,
    "status": status,
    "variables": n,
    "seconds": time.perf_counter() - start,
}))

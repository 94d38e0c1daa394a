-- rackaudit's concentration metrics over a snapshot lake, as one SQL query.
--
-- Methodology 1.4.0 (METHODOLOGY.md), the claimed supply of every snapshot:
-- one result row per snapshot (network, taken_at) x dimension x weight, the
-- same rows and numbers as the `concentration` cells of
-- `rackaudit audit --format json --tau '>=1/3,>=1/2,>2/3'`.
--
-- Input: a table or view named `lake` with the columns that
-- `rackaudit snapshots export --all --format parquet` writes (one row per
-- provider x GPU group or ask; network and taken_at from the partition
-- directories). Portable SQL: CTEs, GROUP BY, window functions, CASE, LN
-- and CONCAT; no user-defined functions. Tried on Apache Spark 4.3 and
-- DuckDB (see the README, "Scale").
--
-- What rackaudit decides and this query reproduces:
-- * An entity of a dimension is a distinct key (provider_id, operator_id,
--   country, region within its country, ASN, cloud_resolved, datacenter,
--   gpu_vendor_resolved, gpu_model_resolved). Weight without a key is
--   unattributed: it is reported as unattributed_share and is not in any
--   other figure's denominator.
-- * An entity takes part in a weight when some of it is known: every
--   provider in `providers` and `gpus`; in gpu_memory_gb, fp16_tflops and
--   monthly_revenue a provider without GPUs (a known zero), a group of zero
--   GPUs, or GPUs whose per-GPU figure (memory, catalogue FP16 TFLOPS,
--   price) is known; in `stake` a provider with a stake inside the active
--   set; in `emission` a provider with an emission. Entities taking part
--   with zero weight count in the Gini coefficient's n, not in `entities`.
-- * gpu_vendor and gpu_model take only the per-GPU weights (gpus,
--   gpu_memory_gb, fp16_tflops, monthly_revenue). A dimension x weight
--   whose attributed weight is zero has no row.
-- * Coalitions: the fewest largest entities whose joint weight holds AT
--   LEAST 1/3 (can halt a BFT chain, or take a third offline), AT LEAST
--   1/2 (the Nakamoto coefficient of the Edinburgh Decentralization Index)
--   and MORE THAN 2/3 (can commit a BFT block alone). The comparison
--   covered / total >= p / q is evaluated as covered * q >= p * total, as
--   rackaudit does.
-- * max_share = largest / total; hhi = sum of (100 * share)^2 (0-10,000);
--   gini = sum over ranks i = 1..n (largest first) of (n + 1 - 2i) * x_i,
--   divided by n * total (population formula, never below 0);
--   shannon_entropy = -sum share * log2(share) in bits;
--   unattributed_share = unattributed / (attributed + unattributed).
WITH
-- One row per provider x GPU group or ask, with what it brings to each
-- per-GPU weight (v_*) and whether it takes part in it (p_*: 1 or 0).
gpu_rows AS (
  SELECT
    network,
    taken_at,
    provider_id,
    gpu_vendor_resolved,
    gpu_model_resolved,
    gpu_count,
    CAST(COALESCE(gpu_count, 0) AS DOUBLE) AS v_gpus,
    COALESCE(CAST(gpu_count AS DOUBLE) * gpu_memory_gb, 0.0) AS v_memory,
    CASE WHEN gpu_count IS NULL OR gpu_count = 0 OR gpu_memory_gb IS NOT NULL
      THEN 1 ELSE 0 END AS p_memory,
    COALESCE(CAST(gpu_count AS DOUBLE) * gpu_fp16_tflops, 0.0) AS v_tflops,
    CASE WHEN gpu_count IS NULL OR gpu_count = 0 OR gpu_fp16_tflops IS NOT NULL
      THEN 1 ELSE 0 END AS p_tflops,
    COALESCE(CAST(gpu_count AS DOUBLE) * price_per_gpu_hour * 730.0, 0.0) AS v_revenue,
    CASE WHEN gpu_count IS NULL OR gpu_count = 0 OR price_per_gpu_hour IS NOT NULL
      THEN 1 ELSE 0 END AS p_revenue
  FROM lake
),
-- One row per provider: its keys (the same on each of its rows) and what
-- it brings to every weight.
providers AS (
  SELECT
    l.network,
    l.taken_at,
    l.provider_id,
    MAX(l.operator_id) AS operator_id,
    MAX(l.country) AS country,
    MAX(l.region) AS region,
    MAX(l.asn) AS asn,
    MAX(l.cloud_resolved) AS cloud_resolved,
    MAX(l.datacenter) AS datacenter,
    MAX(CASE WHEN l.active AND l.stake IS NOT NULL THEN l.stake ELSE 0.0 END) AS v_stake,
    MAX(CASE WHEN l.active AND l.stake IS NOT NULL THEN 1 ELSE 0 END) AS p_stake,
    MAX(COALESCE(l.emission, 0.0)) AS v_emission,
    MAX(CASE WHEN l.emission IS NOT NULL THEN 1 ELSE 0 END) AS p_emission
  FROM lake l
  GROUP BY l.network, l.taken_at, l.provider_id
),
provider_gpus AS (
  SELECT
    network,
    taken_at,
    provider_id,
    SUM(v_gpus) AS v_gpus,
    SUM(v_memory) AS v_memory,
    MAX(p_memory) AS p_memory,
    SUM(v_tflops) AS v_tflops,
    MAX(p_tflops) AS p_tflops,
    SUM(v_revenue) AS v_revenue,
    MAX(p_revenue) AS p_revenue
  FROM gpu_rows
  GROUP BY network, taken_at, provider_id
),
provider_weights AS (
  SELECT
    p.*,
    g.v_gpus, g.v_memory, g.p_memory, g.v_tflops, g.p_tflops, g.v_revenue, g.p_revenue
  FROM providers p
  JOIN provider_gpus g
    ON g.network = p.network AND g.taken_at = p.taken_at AND g.provider_id = p.provider_id
),
-- Every provider (or GPU group) under the key of every dimension; a NULL
-- key1 is unattributed. key2 keeps regions of different countries apart.
-- NULLIF('', '') is a text NULL in every engine. Divisions by a zero
-- total use NULLIF: the aggregates of a cell are computed before HAVING
-- drops it, and ANSI engines (Spark 4) refuse a division by zero.
keyed AS (
  SELECT network, taken_at, 'provider' AS dimension, 1 AS dimension_order,
    provider_id AS key1, NULLIF('', '') AS key2,
    1.0 AS v_providers, 1 AS p_providers, v_gpus, 1 AS p_gpus,
    v_memory, p_memory, v_tflops, p_tflops, v_stake, p_stake,
    v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'operator', 2, operator_id, NULLIF('', ''),
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'country', 3, country, NULLIF('', ''),
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'region', 4, region, country,
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'asn', 5,
    CASE WHEN asn IS NULL THEN NULLIF('', '') ELSE CONCAT('AS', asn) END,
    NULLIF('', ''),
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'cloud', 6, cloud_resolved, NULLIF('', ''),
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  SELECT network, taken_at, 'datacenter', 7, datacenter, NULLIF('', ''),
    1.0, 1, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    v_stake, p_stake, v_emission, p_emission, v_revenue, p_revenue
  FROM provider_weights
  UNION ALL
  -- The per-GPU dimensions: GPU groups, not providers (a provider without
  -- GPUs is in neither); only the per-GPU weights.
  SELECT network, taken_at, 'gpu_vendor', 8, gpu_vendor_resolved, NULLIF('', ''),
    0.0, 0, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    0.0, 0, 0.0, 0, v_revenue, p_revenue
  FROM gpu_rows
  WHERE gpu_count IS NOT NULL
  UNION ALL
  SELECT network, taken_at, 'gpu_model', 9, gpu_model_resolved, NULLIF('', ''),
    0.0, 0, v_gpus, 1, v_memory, p_memory, v_tflops, p_tflops,
    0.0, 0, 0.0, 0, v_revenue, p_revenue
  FROM gpu_rows
  WHERE gpu_count IS NOT NULL
),
weights AS (
  SELECT 'providers' AS weight, 1 AS weight_order
  UNION ALL SELECT 'gpus', 2
  UNION ALL SELECT 'gpu_memory_gb', 3
  UNION ALL SELECT 'fp16_tflops', 4
  UNION ALL SELECT 'stake', 5
  UNION ALL SELECT 'emission', 6
  UNION ALL SELECT 'monthly_revenue', 7
),
-- Every weight of every entity (or of the unattributed part) of each
-- dimension, in one pass; then one row per weight. Unpivoting after the
-- aggregation keeps the rows the engine shuffles to the entities' number.
entity_totals AS (
  SELECT
    network, taken_at, dimension, dimension_order, key1, key2,
    SUM(v_providers) AS v_providers, MAX(p_providers) AS p_providers,
    SUM(v_gpus) AS v_gpus, MAX(p_gpus) AS p_gpus,
    SUM(v_memory) AS v_memory, MAX(p_memory) AS p_memory,
    SUM(v_tflops) AS v_tflops, MAX(p_tflops) AS p_tflops,
    SUM(v_stake) AS v_stake, MAX(p_stake) AS p_stake,
    SUM(v_emission) AS v_emission, MAX(p_emission) AS p_emission,
    SUM(v_revenue) AS v_revenue, MAX(p_revenue) AS p_revenue
  FROM keyed
  GROUP BY network, taken_at, dimension, dimension_order, key1, key2
),
entities AS (
  SELECT
    e.network, e.taken_at, e.dimension, e.dimension_order, w.weight, w.weight_order,
    e.key1, e.key2,
    CASE w.weight
      WHEN 'providers' THEN e.v_providers
      WHEN 'gpus' THEN e.v_gpus
      WHEN 'gpu_memory_gb' THEN e.v_memory
      WHEN 'fp16_tflops' THEN e.v_tflops
      WHEN 'stake' THEN e.v_stake
      WHEN 'emission' THEN e.v_emission
      ELSE e.v_revenue END AS v,
    CASE w.weight
      WHEN 'providers' THEN e.p_providers
      WHEN 'gpus' THEN e.p_gpus
      WHEN 'gpu_memory_gb' THEN e.p_memory
      WHEN 'fp16_tflops' THEN e.p_tflops
      WHEN 'stake' THEN e.p_stake
      WHEN 'emission' THEN e.p_emission
      ELSE e.p_revenue END AS taking_part
  FROM entity_totals e
  CROSS JOIN weights w
),
unattributed AS (
  SELECT network, taken_at, dimension, weight, SUM(v) AS u
  FROM entities
  WHERE key1 IS NULL
  GROUP BY network, taken_at, dimension, weight
),
-- The entities taking part, largest first, with the running total.
ranked AS (
  SELECT
    network, taken_at, dimension, dimension_order, weight, weight_order, v,
    ROW_NUMBER() OVER (PARTITION BY network, taken_at, dimension, weight
      ORDER BY v DESC, key1, key2) AS i,
    COUNT(*) OVER (PARTITION BY network, taken_at, dimension, weight) AS n,
    SUM(v) OVER (PARTITION BY network, taken_at, dimension, weight) AS total,
    SUM(v) OVER (PARTITION BY network, taken_at, dimension, weight
      ORDER BY v DESC, key1, key2
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS covered
  FROM entities
  WHERE key1 IS NOT NULL AND taking_part = 1
),
cells AS (
  SELECT
    network, taken_at, dimension, weight,
    MIN(dimension_order) AS dimension_order,
    MIN(weight_order) AS weight_order,
    SUM(CASE WHEN v > 0 THEN 1 ELSE 0 END) AS entities,
    MIN(CASE WHEN covered * 3 >= 1 * total THEN i END) AS coalition_1_3,
    MIN(CASE WHEN covered * 2 >= 1 * total THEN i END) AS coalition_1_2,
    MIN(CASE WHEN covered * 3 > 2 * total THEN i END) AS coalition_2_3,
    MAX(v) / NULLIF(MAX(total), 0) AS max_share,
    SUM((100.0 * v / NULLIF(total, 0)) * (100.0 * v / NULLIF(total, 0))) AS hhi,
    SUM((n + 1 - 2 * i) * v) / NULLIF(MAX(n) * MAX(total), 0) AS gini_raw,
    0.0 - SUM(CASE WHEN v > 0 THEN (v / total) * LN(v / total) ELSE 0.0 END) / LN(2.0)
      AS shannon_entropy,
    MAX(total) AS total
  FROM ranked
  GROUP BY network, taken_at, dimension, weight
  HAVING MAX(total) > 0
)
SELECT
  c.network,
  c.taken_at,
  c.dimension,
  c.weight,
  c.entities,
  c.coalition_1_3,
  c.coalition_1_2,
  c.coalition_2_3,
  c.max_share,
  c.hhi,
  CASE WHEN c.gini_raw < 0 THEN 0.0 ELSE c.gini_raw END AS gini,
  c.shannon_entropy,
  COALESCE(u.u, 0.0) / (c.total + COALESCE(u.u, 0.0)) AS unattributed_share
FROM cells c
LEFT JOIN unattributed u
  ON u.network = c.network AND u.taken_at = c.taken_at
  AND u.dimension = c.dimension AND u.weight = c.weight
ORDER BY c.network, c.taken_at, c.dimension_order, c.weight_order

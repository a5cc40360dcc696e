// Purpose: the benchmark's ceiling: the same bulk rows written with a bare UNWIND ... CREATE
//   (no index lookup, no MERGE, no relationship) through the same driver and batches.
// Parameters: $rows: list of maps (any bulk kind's ingest rows).
// Returns: nothing. The nodes are removed by bench/bare_delete.
UNWIND $rows AS r
CREATE (n:BenchRow)
SET n = r

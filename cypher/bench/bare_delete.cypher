// Purpose: remove the benchmark's bare-CREATE nodes, one bounded batch per call.
// Parameters: $limit: nodes per call.
// Returns: one row {deleted}: 0 when none are left.
MATCH (n:BenchRow)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted

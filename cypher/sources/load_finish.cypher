// Purpose: mark a source's load finished (the last statement of a load), with its row counts.
// Parameters: $source: source name; $load: the load's id (load_begin); $finished_at:
//   date-time (UTC); $counts: map {rows_<kind>: integer} (items written per kind).
// Returns: one row {source} when the load record was found (none when another load of the
//   same source replaced it meanwhile).
MATCH (l:Load {source: $source})
WHERE l.id = $load
SET l += $counts, l.finished_at = $finished_at, l.finished = true
RETURN l.source AS source

// Purpose: every source the graph knows with its last load (`lineage sources`).
// Parameters: none.
// Returns: rows {name, kind, started, finished_at, snapshot, finished, counts: map of
//   rows_<kind> properties}, ordered by name.
MATCH (s:Source)
OPTIONAL MATCH (s)-[:LAST_LOAD]->(l:Load)
RETURN s.name AS name, s.kind AS kind, l.started AS started, l.finished_at AS finished_at,
       l.snapshot AS snapshot, coalesce(l.finished, false) AS finished,
       CASE WHEN l IS NULL THEN {} ELSE l {.*} END AS counts
ORDER BY name

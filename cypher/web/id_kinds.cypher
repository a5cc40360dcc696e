// Purpose: which of the ids named by audit findings are actors and which are datasets (to link
//   each finding to the pages of the actors and datasets involved).
// Parameters: $ids: list of ids.
// Returns: rows {id, kind ('actor' | 'dataset')}; ids that are neither are absent.
UNWIND $ids AS i
OPTIONAL MATCH (a:Actor {id: i})
OPTIONAL MATCH (d:Dataset {id: i})
WITH i, a, d WHERE a IS NOT NULL OR d IS NOT NULL
RETURN i AS id, CASE WHEN a IS NOT NULL THEN 'actor' ELSE 'dataset' END AS kind

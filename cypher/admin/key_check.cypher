// Purpose: the pseudonym key check value the graph records (see cypher/ingest/key_check.cypher),
//   whether `lineage demo` made the graph, and whether the graph holds anything else.
// Parameters: none.
// Returns: one row {check (hex or null), demo (boolean), empty (boolean: no node but the check)}.
OPTIONAL MATCH (k:PseudonymKey {id: 'pseudonym-key'})
RETURN k.check AS check, coalesce(k.demo, false) AS demo,
       NOT EXISTS { MATCH (n) WHERE NOT n:PseudonymKey } AS empty

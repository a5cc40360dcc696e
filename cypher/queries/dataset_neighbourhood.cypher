// Purpose: upstream or downstream lineage of one dataset: the distinct datasets reachable
//   through flows, each with its shortest distance in flows and the flows into it.
// Parameters: $dataset: dataset id; $direction: 'downstream' | 'upstream'.
// Returns: rows {id, name, granularity, holder, holder_role, depth (flows from $dataset; 0 = itself),
//   inflows: [{flow, source, kind, operation, legal_basis, agreement, elements, valid_from, valid_to}]}.
MATCH (start:Dataset {id: $dataset})
CALL (start) {
  WITH start WHERE $direction = 'downstream'
  MATCH p = shortestPath((start)-[:SOURCE_OF|TARGETS*0..40]->(d:Dataset))
  RETURN d, length(p) / 2 AS depth
  UNION
  WITH start WHERE $direction = 'upstream'
  MATCH p = shortestPath((start)<-[:SOURCE_OF|TARGETS*0..40]-(d:Dataset))
  RETURN d, length(p) / 2 AS depth
}
RETURN d.id AS id, d.name AS name, d.granularity AS granularity,
  [(h:Actor)-[:HOLDS]->(d) | h.id][0] AS holder, [(h:Actor)-[:HOLDS]->(d) | h.role][0] AS holder_role,
  depth,
  [(f:Flow)-[:TARGETS]->(d) | {flow: f.id, source: f.source, kind: f.kind, operation: f.operation,
     legal_basis: f.legal_basis, agreement: f.agreement, elements: f.elements,
     valid_from: f.valid_from, valid_to: f.valid_to}] AS inflows
ORDER BY depth, id

// Purpose: actors with the organisations above them, for lineage.rules.evaluator.same_agency
//   (one educational agency: the record of disclosures, the public inventory and the audit).
// Parameters: $ids: actor ids.
// Returns: one row per actor found: {id, role, chain: [{id, role}] of the actors it is part of
//   (PART_OF, at most 3 hops, as everywhere)}.
UNWIND $ids AS i
MATCH (a:Actor {id: i})
RETURN a.id AS id, a.role AS role, [(a)-[:PART_OF*1..3]->(p:Actor) | p {.id, .role}] AS chain

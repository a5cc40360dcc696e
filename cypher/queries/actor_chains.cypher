// Purpose: actors with the actors above them, for lineage.rules.evaluator.same_agency (one
//   educational agency: the record of disclosures, the public inventory and the audit).
// Parameters: $ids: actor ids.
// Returns: one row per actor found: {id, role, chain: [{id, role, hops}] of the actors it is
//   part of, up to 6 PART_OF hops away (a cycle is walked once)}.
UNWIND $ids AS i
MATCH (a:Actor {id: i})
RETURN a.id AS id, a.role AS role,
  [path = (a)-[:PART_OF*1..6]->(p:Actor) | p {.id, .role, hops: length(path)}] AS chain

// Purpose: create or update actors and their place in the organisation hierarchy.
// Parameters: $rows: list of {id, name, role, description, part_of (id or null)}.
// Returns: nothing.
UNWIND $rows AS r
MERGE (a:Actor {id: r.id})
SET a.name = r.name, a.role = r.role, a.description = r.description
WITH a, r
CALL (a, r) {
  OPTIONAL MATCH (a)-[old:PART_OF]->(p:Actor) WHERE p.id <> coalesce(r.part_of, '')
  DELETE old
}
WITH a, r WHERE r.part_of IS NOT NULL
MATCH (p:Actor {id: r.part_of})
MERGE (a)-[:PART_OF]->(p)

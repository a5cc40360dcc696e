// Purpose: create or update actors and their place in the organisation hierarchy.
// Parameters: $rows: list of {id, name, role, description, part_of (id or null)};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null.
// Returns: nothing.
UNWIND $rows AS r
MERGE (a:Actor {id: r.id})
SET a.name = r.name, a.role = r.role, a.description = r.description,
    a.sources = CASE WHEN a.sources IS NULL THEN [$source] WHEN $source IN a.sources THEN a.sources
      ELSE [z IN a.sources WHERE z < $source] + $source + [z IN a.sources WHERE z > $source] END
WITH a, r
CALL (a, r) {
  OPTIONAL MATCH (a)-[old:PART_OF]->(p:Actor) WHERE p.id <> coalesce(r.part_of, '')
  DELETE old
}
WITH a, r WHERE r.part_of IS NOT NULL
MATCH (p:Actor {id: r.part_of})
MERGE (a)-[x:PART_OF]->(p)
SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END

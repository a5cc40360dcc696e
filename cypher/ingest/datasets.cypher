// Purpose: create or update datasets with their holder, kept elements and population coverage.
// Parameters: $rows: list of {id, name, holder, granularity, purpose, elements (list or null),
//   members_only, retention, valid_from, valid_to, min_cell_size, suppressed, smallest_cell,
//   population, coverage: list of {org, valid_from, valid_to, k}};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null.
//   Holder, kept elements and coverage the row no longer names (an earlier definition,
//   `load --update`) are removed.
// Returns: nothing.
UNWIND $rows AS r
MERGE (d:Dataset {id: r.id})
SET d.name = r.name, d.granularity = r.granularity, d.purpose = r.purpose,
    d.elements = r.elements, d.members_only = r.members_only, d.retention = r.retention,
    d.valid_from = r.valid_from, d.valid_to = r.valid_to, d.min_cell_size = r.min_cell_size,
    d.suppressed = r.suppressed, d.smallest_cell = r.smallest_cell, d.population = r.population,
    d.sources = CASE WHEN d.sources IS NULL THEN [$source] WHEN $source IN d.sources THEN d.sources
      ELSE [z IN d.sources WHERE z < $source] + $source + [z IN d.sources WHERE z > $source] END
WITH d, r
CALL (d, r) {
  OPTIONAL MATCH (old:Actor)-[h:HOLDS]->(d) WHERE old.id <> r.holder
  DELETE h
}
CALL (d, r) {
  MATCH (h:Actor {id: r.holder})
  MERGE (h)-[x:HOLDS]->(d)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (d, r) {
  OPTIONAL MATCH (d)-[k:KEEPS]->(e:Element) WHERE NOT e.name IN coalesce(r.elements, [])
  DELETE k
}
CALL (d, r) {
  UNWIND coalesce(r.elements, []) AS name
  MATCH (e:Element {name: name})
  MERGE (d)-[x:KEEPS]->(e)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (d, r) {
  OPTIONAL MATCH (d)-[x:COVERS]->(o:Actor)
  WHERE NOT any(c IN r.coverage WHERE c.org = o.id AND c.k = x.k)
  DELETE x
}
CALL (d, r) {
  UNWIND r.coverage AS c
  MATCH (o:Actor {id: c.org})
  MERGE (d)-[cov:COVERS {k: c.k}]->(o)
  SET cov.valid_from = c.valid_from, cov.valid_to = c.valid_to,
      cov.sources = CASE WHEN cov.sources IS NULL THEN [$source] WHEN $source IN cov.sources THEN cov.sources
      ELSE [z IN cov.sources WHERE z < $source] + $source + [z IN cov.sources WHERE z > $source] END
}

// Purpose: create or update class sections, their school and who teaches them when.
// Parameters: $rows: list of {id, school, name, teachers: list of {actor, valid_from, valid_to, k}};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null
//   (`seen_in` of a TEACHES relationship marks what a snapshot asserts).
//   A SECTION_OF link to another school (an earlier definition, `load --update`) is removed.
// Returns: nothing.
UNWIND $rows AS r
MERGE (s:Section {id: r.id})
SET s.name = r.name,
    s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
WITH s, r
CALL (s, r) {
  OPTIONAL MATCH (s)-[x:SECTION_OF]->(o:Actor) WHERE o.id <> r.school
  DELETE x
}
CALL (s, r) {
  MATCH (o:Actor {id: r.school})
  MERGE (s)-[x:SECTION_OF]->(o)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (s, r) {
  UNWIND r.teachers AS t
  MATCH (a:Actor {id: t.actor})
  MERGE (a)-[x:TEACHES {k: t.k}]->(s)
  SET x.valid_from = t.valid_from, x.valid_to = t.valid_to, x.seen_in = coalesce($load, x.seen_in),
      x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}

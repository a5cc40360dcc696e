// Purpose: create or update named small cells of aggregate datasets and the students in them.
// Parameters: $rows: list of {id, dataset, label, size, suppressed, elements, students: [key]};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null.
//   The students $source listed before and `students` no longer lists stop being listed by it
//   (the relationship goes when no other source lists them: `load --update`).
// Returns: nothing.
UNWIND $rows AS r
MATCH (d:Dataset {id: r.dataset})
MERGE (c:SmallCell {id: r.id})
SET c.label = r.label, c.size = r.size, c.suppressed = r.suppressed, c.elements = r.elements,
    c.sources = CASE WHEN c.sources IS NULL THEN [$source] WHEN $source IN c.sources THEN c.sources
      ELSE [z IN c.sources WHERE z < $source] + $source + [z IN c.sources WHERE z > $source] END
WITH c, d, r
CALL (c, r) {
  OPTIONAL MATCH (c)-[x:CELL_OF]->(o:Dataset) WHERE o.id <> r.dataset
  DELETE x
}
MERGE (c)-[co:CELL_OF]->(d)
SET co.sources = CASE WHEN co.sources IS NULL THEN [$source] WHEN $source IN co.sources THEN co.sources
      ELSE [z IN co.sources WHERE z < $source] + $source + [z IN co.sources WHERE z > $source] END
WITH c, r
CALL (c, r) {
  MATCH (s:Student)-[x:IN_CELL]->(c)
  WHERE $source IN x.sources AND NOT s.key IN r.students
  WITH x, [z IN x.sources WHERE z <> $source] AS rest
  FOREACH (_ IN CASE WHEN rest = [] THEN [1] ELSE [] END | DELETE x)
  FOREACH (_ IN CASE WHEN rest = [] THEN [] ELSE [1] END | SET x.sources = rest)
}
UNWIND r.students AS key
MERGE (s:Student {key: key})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (s)-[x:IN_CELL]->(c)
SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END

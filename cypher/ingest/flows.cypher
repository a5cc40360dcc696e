// Purpose: create or update flows (collection, transformation, disclosure) and their links.
// Parameters: $rows: list of {id, kind, operation, source (dataset id or null), target,
//   elements: [name], legal_basis, agreement (id or null), purpose, threat, valid_from,
//   valid_to, population, students: [pseudonym] (inline subjects)};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null
//   (`seen_in` of the flow marks what a snapshot asserts).
//   Source, target, elements and agreement links the row no longer names (an earlier definition,
//   `load --update`) are removed. Inline subjects record the sources that list them in the
//   flow itself (`inline_sources`): those $source listed before and `students` no longer lists
//   stop being listed by it (the relationship goes when no other source asserts it, and no
//   subjects file of $source lists the student: `file_sources`); subjects files only ever add
//   (they may come in parts), and what they add is never compared.
// Returns: nothing.
UNWIND $rows AS r
MERGE (f:Flow {id: r.id})
SET f.kind = r.kind, f.operation = r.operation, f.elements = r.elements,
    f.legal_basis = r.legal_basis, f.agreement = r.agreement, f.purpose = r.purpose,
    f.threat = r.threat, f.valid_from = r.valid_from, f.valid_to = r.valid_to,
    f.population = r.population,
    f.source = r.source, f.target = r.target, f.seen_in = coalesce($load, f.seen_in),
    f.sources = CASE WHEN f.sources IS NULL THEN [$source] WHEN $source IN f.sources THEN f.sources
      ELSE [z IN f.sources WHERE z < $source] + $source + [z IN f.sources WHERE z > $source] END
WITH f, r
CALL (f, r) {
  OPTIONAL MATCH (s:Dataset)-[x:SOURCE_OF]->(f) WHERE s.id <> coalesce(r.source, '')
  DELETE x
}
CALL (f, r) {
  OPTIONAL MATCH (f)-[x:TARGETS]->(t:Dataset) WHERE t.id <> r.target
  DELETE x
}
CALL (f, r) {
  OPTIONAL MATCH (f)-[x:CARRIES]->(e:Element) WHERE NOT e.name IN r.elements
  DELETE x
}
CALL (f, r) {
  OPTIONAL MATCH (f)-[x:UNDER]->(g:Agreement) WHERE g.id <> coalesce(r.agreement, '')
  DELETE x
}
CALL (f, r) {
  WITH f, r WHERE r.source IS NOT NULL
  MATCH (s:Dataset {id: r.source})
  MERGE (s)-[x:SOURCE_OF]->(f)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (f, r) {
  MATCH (t:Dataset {id: r.target})
  MERGE (f)-[x:TARGETS]->(t)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (f, r) {
  UNWIND r.elements AS name
  MATCH (e:Element {name: name})
  MERGE (f)-[x:CARRIES]->(e)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (f, r) {
  MATCH (s:Student)-[x:SUBJECT_OF]->(f)
  WHERE $source IN coalesce(x.inline_sources, []) AND NOT s.key IN r.students
  WITH x, [z IN x.sources WHERE z <> $source OR z IN coalesce(x.file_sources, [])] AS rest,
       [z IN x.inline_sources WHERE z <> $source] AS inline_rest
  FOREACH (_ IN CASE WHEN rest = [] THEN [1] ELSE [] END | DELETE x)
  FOREACH (_ IN CASE WHEN rest = [] THEN [] ELSE [1] END |
    SET x.sources = rest, x.inline_sources = inline_rest)
}
CALL (f, r) {
  UNWIND r.students AS key
  MERGE (s:Student {key: key})
  SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
  MERGE (s)-[x:SUBJECT_OF]->(f)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END,
    x.inline_sources = CASE WHEN x.inline_sources IS NULL THEN [$source]
      WHEN $source IN x.inline_sources THEN x.inline_sources
      ELSE [z IN x.inline_sources WHERE z < $source] + $source
           + [z IN x.inline_sources WHERE z > $source] END
}
CALL (f, r) {
  WITH f, r WHERE r.agreement IS NOT NULL
  MATCH (g:Agreement {id: r.agreement})
  MERGE (f)-[x:UNDER]->(g)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
WITH f
SET f.subjects_only = EXISTS { (:Student)-[:SUBJECT_OF]->(f) }

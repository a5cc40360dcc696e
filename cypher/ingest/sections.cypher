// Purpose: create or update class sections, their school and who teaches them when.
// Parameters: $rows: list of {id, school, name, teachers: list of {actor, valid_from, valid_to, k}}.
//   A SECTION_OF link to another school (an earlier definition, `load --update`) is removed.
// Returns: nothing.
UNWIND $rows AS r
MERGE (s:Section {id: r.id})
SET s.name = r.name
WITH s, r
CALL (s, r) {
  OPTIONAL MATCH (s)-[x:SECTION_OF]->(o:Actor) WHERE o.id <> r.school
  DELETE x
}
CALL (s, r) {
  MATCH (o:Actor {id: r.school})
  MERGE (s)-[:SECTION_OF]->(o)
}
CALL (s, r) {
  UNWIND r.teachers AS t
  MATCH (a:Actor {id: t.actor})
  MERGE (a)-[x:TEACHES {k: t.k}]->(s)
  SET x.valid_from = t.valid_from, x.valid_to = t.valid_to
}

// Purpose: create or update class sections, their school and who teaches them when.
// Parameters: $rows: list of {id, school, name, teachers: list of {actor, valid_from, valid_to, k}}.
// Returns: nothing.
UNWIND $rows AS r
MERGE (s:Section {id: r.id})
SET s.name = r.name
WITH s, r
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

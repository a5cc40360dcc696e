// Purpose: bulk teaching assignments: a teacher teaching a class section at a school during a
//   window. Creates the section (at its school) and the teacher (an actor with $role, part of
//   the school) when they are not in the graph yet; existing actors keep their name and role.
// Parameters: $rows: list of {section, school, teacher (actor id), valid_from, valid_to (ISO text), k};
//   $role: the role given to teachers created here (Role.TEACHER).
// Returns: nothing.
UNWIND $rows AS r
MATCH (o:Actor {id: r.school})
MERGE (x:Section {id: r.section})
  ON CREATE SET x.name = r.section
MERGE (x)-[:SECTION_OF]->(o)
MERGE (a:Actor {id: r.teacher})
  ON CREATE SET a.name = r.teacher, a.role = $role
FOREACH (_ IN CASE WHEN EXISTS { (a)-[:PART_OF]->() } THEN [] ELSE [1] END |
  MERGE (a)-[:PART_OF]->(o))
MERGE (a)-[t:TEACHES {k: r.k}]->(x)
SET t.valid_from = date(r.valid_from), t.valid_to = date(r.valid_to)

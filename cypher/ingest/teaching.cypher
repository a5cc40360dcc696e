// Purpose: bulk teaching assignments: a teacher teaching a class section at a school during a
//   window. Creates the section (at its school) and the teacher (an actor with $role, part of
//   the school) when they are not in the graph yet; existing actors keep their name and role.
// Parameters: $rows: list of {section, school, teacher (actor id), valid_from, valid_to (ISO text), k};
//   $role: the role given to teachers created here (Role.TEACHER);
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the id of a snapshot load (`seen_in` marks what it asserts) or null.
// Returns: nothing.
UNWIND $rows AS r
MATCH (o:Actor {id: r.school})
MERGE (x:Section {id: r.section})
  ON CREATE SET x.name = r.section
SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
MERGE (x)-[so:SECTION_OF]->(o)
SET so.sources = CASE WHEN so.sources IS NULL THEN [$source] WHEN $source IN so.sources THEN so.sources
      ELSE [z IN so.sources WHERE z < $source] + $source + [z IN so.sources WHERE z > $source] END
MERGE (a:Actor {id: r.teacher})
  ON CREATE SET a.name = r.teacher, a.role = $role
SET a.sources = CASE WHEN a.sources IS NULL THEN [$source] WHEN $source IN a.sources THEN a.sources
      ELSE [z IN a.sources WHERE z < $source] + $source + [z IN a.sources WHERE z > $source] END
FOREACH (_ IN CASE WHEN EXISTS { (a)-[:PART_OF]->() } THEN [] ELSE [1] END |
  MERGE (a)-[p:PART_OF]->(o)
  SET p.sources = CASE WHEN p.sources IS NULL THEN [$source] WHEN $source IN p.sources THEN p.sources
      ELSE [z IN p.sources WHERE z < $source] + $source + [z IN p.sources WHERE z > $source] END)
MERGE (a)-[t:TEACHES {k: r.k}]->(x)
SET t.valid_from = date(r.valid_from), t.valid_to = date(r.valid_to), t.seen_in = coalesce($load, t.seen_in),
    t.sources = CASE WHEN t.sources IS NULL THEN [$source] WHEN $source IN t.sources THEN t.sources
      ELSE [z IN t.sources WHERE z < $source] + $source + [z IN t.sources WHERE z > $source] END

// Purpose: bulk guardianship: a parent/guardian of a student during a window. A guardian not in
//   the graph yet is created as an actor with $role (existing actors keep name and role).
// Parameters: $rows: list of {guardian (actor id), student (pseudonym), valid_from, valid_to (ISO text), k};
//   $role: the role given to guardians created here (Role.PARENT);
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the id of a snapshot load (`seen_in` marks what it asserts) or null.
// Returns: nothing.
UNWIND $rows AS r
MERGE (g:Actor {id: r.guardian})
  ON CREATE SET g.name = r.guardian, g.role = $role
SET g.sources = CASE WHEN g.sources IS NULL THEN [$source] WHEN $source IN g.sources THEN g.sources
      ELSE [z IN g.sources WHERE z < $source] + $source + [z IN g.sources WHERE z > $source] END
MERGE (s:Student {key: r.student})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (g)-[e:GUARDIAN_OF {k: r.k}]->(s)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to), e.seen_in = coalesce($load, e.seen_in),
    e.sources = CASE WHEN e.sources IS NULL THEN [$source] WHEN $source IN e.sources THEN e.sources
      ELSE [z IN e.sources WHERE z < $source] + $source + [z IN e.sources WHERE z > $source] END

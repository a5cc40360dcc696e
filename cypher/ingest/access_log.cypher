// Purpose: bulk access-log events: an actor actually read a student's record ("did", beside "could").
// Parameters: $rows: list of {actor, student (pseudonym), at (date), dataset, action, elements, k};
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the snapshot load's id or null (unused here: access events are never closed).
// Returns: nothing.
UNWIND $rows AS r
MATCH (a:Actor {id: r.actor})
MERGE (s:Student {key: r.student})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (a)-[x:ACCESSED {k: r.k}]->(s)
SET x.at = date(r.at), x.dataset = r.dataset, x.action = r.action, x.elements = r.elements,
    x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END

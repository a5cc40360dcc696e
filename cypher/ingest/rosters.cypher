// Purpose: bulk section rosters: a student in a section during a window.
// Parameters: $rows: list of {student (pseudonym), section, valid_from, valid_to (ISO text), k};
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the id of a snapshot load (`seen_in` marks what it asserts) or null.
// Returns: nothing.
UNWIND $rows AS r
MATCH (x:Section {id: r.section})
MERGE (s:Student {key: r.student})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (s)-[e:IN_SECTION {k: r.k}]->(x)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to), e.seen_in = coalesce($load, e.seen_in),
    e.sources = CASE WHEN e.sources IS NULL THEN [$source] WHEN $source IN e.sources THEN e.sources
      ELSE [z IN e.sources WHERE z < $source] + $source + [z IN e.sources WHERE z > $source] END

// Purpose: bulk explicit dataset membership (samples, opt-in lists, rosters that really list students).
// Parameters: $rows: list of {dataset, student (pseudonym), valid_from, valid_to (ISO text), k};
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the snapshot load's id or null (unused: memberships are not closed by snapshots).
// Returns: nothing.
UNWIND $rows AS r
MATCH (d:Dataset {id: r.dataset})
MERGE (s:Student {key: r.student})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (s)-[e:MEMBER_OF {k: r.k}]->(d)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to),
    e.sources = CASE WHEN e.sources IS NULL THEN [$source] WHEN $source IN e.sources THEN e.sources
      ELSE [z IN e.sources WHERE z < $source] + $source + [z IN e.sources WHERE z > $source] END

// Purpose: bulk flow subjects: the students a flow is about (transfer, emergency), when listed.
//   `file_sources` records the sources whose subjects files list the student: an inventory that
//   stops listing the student inline never takes those out (cypher/ingest/flows.cypher).
// Parameters: $rows: list of {flow, student (pseudonym)};
//   $source: the source name the load speaks for (added to `sources` of what it writes);
//   $load: the snapshot load's id or null (unused here).
// Returns: nothing.
UNWIND $rows AS r
MATCH (f:Flow {id: r.flow})
SET f.subjects_only = true
MERGE (s:Student {key: r.student})
SET s.sources = CASE WHEN s.sources IS NULL THEN [$source] WHEN $source IN s.sources THEN s.sources
      ELSE [z IN s.sources WHERE z < $source] + $source + [z IN s.sources WHERE z > $source] END
MERGE (s)-[x:SUBJECT_OF]->(f)
SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END,
    x.file_sources = CASE WHEN x.file_sources IS NULL THEN [$source]
      WHEN $source IN x.file_sources THEN x.file_sources
      ELSE [z IN x.file_sources WHERE z < $source] + $source
           + [z IN x.file_sources WHERE z > $source] END

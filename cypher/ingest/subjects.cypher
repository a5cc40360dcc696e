// Purpose: bulk flow subjects: the students a flow is about (transfer, emergency), when listed.
// Parameters: $rows: list of {flow, student (pseudonym)}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (f:Flow {id: r.flow})
SET f.subjects_only = true
MERGE (s:Student {key: r.student})
MERGE (s)-[:SUBJECT_OF]->(f)

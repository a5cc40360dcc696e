// Purpose: bulk section rosters: a student in a section during a window.
// Parameters: $rows: list of {student (pseudonym), section, valid_from, valid_to (ISO text), k}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (x:Section {id: r.section})
MERGE (s:Student {key: r.student})
MERGE (s)-[e:IN_SECTION {k: r.k}]->(x)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to)

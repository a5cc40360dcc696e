// Purpose: bulk enrolments: a student enrolled at a school or district during a window.
// Parameters: $rows: list of {student (pseudonym), org, valid_from, valid_to (ISO text), k}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (o:Actor {id: r.org})
MERGE (s:Student {key: r.student})
MERGE (s)-[e:ENROLLED_AT {k: r.k}]->(o)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to)

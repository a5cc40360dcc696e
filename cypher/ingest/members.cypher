// Purpose: bulk explicit dataset membership (samples, opt-in lists, rosters that really list students).
// Parameters: $rows: list of {dataset, student (pseudonym), valid_from, valid_to (ISO text), k}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (d:Dataset {id: r.dataset})
MERGE (s:Student {key: r.student})
MERGE (s)-[e:MEMBER_OF {k: r.k}]->(d)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to)

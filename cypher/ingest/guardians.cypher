// Purpose: bulk guardianship: a parent/guardian actor of a student during a window.
// Parameters: $rows: list of {guardian (actor id), student (pseudonym), valid_from, valid_to, k}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (g:Actor {id: r.guardian})
MERGE (s:Student {key: r.student})
MERGE (g)-[e:GUARDIAN_OF {k: r.k}]->(s)
SET e.valid_from = r.valid_from, e.valid_to = r.valid_to

// Purpose: bulk access-log events: an actor actually read a student's record ("did", beside "could").
// Parameters: $rows: list of {actor, student (pseudonym), at (date), dataset, action, elements, k}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (a:Actor {id: r.actor})
MERGE (s:Student {key: r.student})
MERGE (a)-[x:ACCESSED {k: r.k}]->(s)
SET x.at = date(r.at), x.dataset = r.dataset, x.action = r.action, x.elements = r.elements

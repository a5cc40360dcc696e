// Purpose: create or update named small cells of aggregate datasets and the students in them.
// Parameters: $rows: list of {id, dataset, label, size, suppressed, elements, students: [key]}.
// Returns: nothing.
UNWIND $rows AS r
MATCH (d:Dataset {id: r.dataset})
MERGE (c:SmallCell {id: r.id})
SET c.label = r.label, c.size = r.size, c.suppressed = r.suppressed, c.elements = r.elements
WITH c, d, r
CALL (c, r) {
  OPTIONAL MATCH (c)-[x:CELL_OF]->(o:Dataset) WHERE o.id <> r.dataset
  DELETE x
}
MERGE (c)-[:CELL_OF]->(d)
WITH c, r
UNWIND r.students AS key
MERGE (s:Student {key: key})
MERGE (s)-[:IN_CELL]->(c)

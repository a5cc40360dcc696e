// Purpose: the distinct datasets downstream of where a student's records start (the student's
//   lineage subgraph). Bounded, directed traversal returning distinct datasets, not paths.
// Parameters: $starts: dataset ids (coverage, membership, flows listing the student, small cells).
// Returns: rows {id}, the start datasets included.
UNWIND $starts AS sid
MATCH (:Dataset {id: sid})-[:SOURCE_OF|TARGETS*0..24]->(d:Dataset)
RETURN DISTINCT d.id AS id

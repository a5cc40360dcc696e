// Purpose: breach impact at state scale. The students whose records could be in the given
//   datasets (enrolled at an org a dataset covers or below it, listed as members, listed as
//   subjects of a flow into one of them), GROUPED by identical population facts, so that few
//   rows cross the wire and the rules run once per class of students (lineage.rules.classes).
// Parameters: $datasets: dataset ids (the breached datasets and everything upstream of them).
// Returns: rows {enrolments: [[org id, valid_from, valid_to]], memberships: [[dataset id,
//   valid_from, valid_to]], subject_flows: [flow id], cells: [{id, dataset, label, size,
//   suppressed, elements}], keys: [pseudonym]}: one row per distinct combination, keys = the
//   students sharing it. A student appears in exactly one row.
CALL () {
  UNWIND $datasets AS did
  MATCH (:Dataset {id: did})-[:COVERS]->(:Actor)<-[:PART_OF*0..3]-(:Actor)<-[:ENROLLED_AT]-(s:Student)
  RETURN s
  UNION
  UNWIND $datasets AS did
  MATCH (s:Student)-[:MEMBER_OF]->(:Dataset {id: did})
  RETURN s
  UNION
  UNWIND $datasets AS did
  MATCH (s:Student)-[:SUBJECT_OF]->(:Flow)-[:TARGETS]->(:Dataset {id: did})
  RETURN s
}
WITH s,
  [(s)-[e:ENROLLED_AT]->(o:Actor) | [o.id, e.valid_from, e.valid_to]] AS enrolments,
  [(s)-[m:MEMBER_OF]->(d:Dataset) | [d.id, m.valid_from, m.valid_to]] AS memberships,
  [(s)-[:SUBJECT_OF]->(f:Flow) | f.id] AS subject_flows,
  [(s)-[:IN_CELL]->(c:SmallCell)-[:CELL_OF]->(d:Dataset) |
     {id: c.id, dataset: d.id, label: c.label, size: c.size, suppressed: c.suppressed,
      elements: c.elements}] AS cells
RETURN enrolments, memberships, subject_flows, cells, collect(s.key) AS keys

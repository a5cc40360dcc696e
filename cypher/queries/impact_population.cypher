// Purpose: breach impact at state scale. The students whose records could be in the given
//   datasets (enrolled at an org a dataset covers or below it, listed as members, listed as
//   subjects of a flow into one of them), GROUPED by identical population facts, so that few
//   rows cross the wire and the rules run once per class of students (lineage.rules.classes).
//   Each candidate's relationships are walked once (one expand over the three population
//   types); named small cells are read from the cells of the subgraph to their few members,
//   never by a walk from every student.
// Parameters: $datasets: dataset ids (the breached datasets and everything upstream of them);
//   $within: the dataset ids of the subgraph the rules run on (only cells of these datasets
//   can matter to them).
// Returns: rows {enrolments: [[org id, valid_from, valid_to]], memberships: [[dataset id,
//   valid_from, valid_to]], subject_flows: [flow id], cells: [{id, dataset, label, size,
//   suppressed, elements}] (cells of $within datasets only), keys: [pseudonym]}: one row per
//   distinct combination, keys = the students sharing it. A student appears in exactly one row.
CALL () {
  UNWIND $within AS did
  MATCH (s:Student)-[:IN_CELL]->(c:SmallCell)-[:CELL_OF]->(d:Dataset {id: did})
  RETURN collect({s: s, cell: {id: c.id, dataset: d.id, label: c.label, size: c.size,
                               suppressed: c.suppressed, elements: c.elements}}) AS in_cells
}
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
WITH s, in_cells,
  [(s)-[r:ENROLLED_AT|MEMBER_OF|SUBJECT_OF]->(x) |
     [type(r) = 'ENROLLED_AT', type(r) = 'MEMBER_OF', x.id, r.valid_from, r.valid_to]] AS rels
WITH s,
  [r IN rels WHERE r[0] | [r[2], r[3], r[4]]] AS enrolments,
  [r IN rels WHERE r[1] | [r[2], r[3], r[4]]] AS memberships,
  [r IN rels WHERE NOT r[0] AND NOT r[1] | r[2]] AS subject_flows,
  CASE WHEN in_cells = [] THEN [] ELSE [x IN in_cells WHERE x.s = s | x.cell] END AS cells
RETURN enrolments, memberships, subject_flows, cells, collect(s.key) AS keys

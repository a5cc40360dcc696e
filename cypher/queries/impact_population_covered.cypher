// Purpose: breach impact at state scale, the common case: the rows of impact_population.cypher
//   (candidate students GROUPED by identical population facts) with almost no walk of a
//   student's own relationships (a student has a dozen roster links: walking them all to find
//   one enrolment is most of the cost). The students whom no dataset of the subgraph lists as
//   members and no flow into it lists as subjects -- nearly all -- get their enrolments from the
//   organisations' side (an org keeps its ENROLLED_AT relationships apart from its others), at
//   the orgs a $datasets dataset covers and those below them; those are the only enrolments the
//   rules can consult PROVIDED every org the subgraph's coverage and grant scopes name is at or
//   below such an org, which lineage.questions.datasets.impact checks with the org chains before
//   it uses this file (impact_population.cypher otherwise): the answers are the same. The listed
//   students (few) are read as impact_population.cypher reads every student: all their
//   enrolments, memberships and listing flows, in one walk each. No walk that cannot return rows.
//   Memory: the unlisted students stream (grouped per student, then per combination); no list
//   of all candidates is built, so a vendor of most of a 1 M-student state fits a 4g heap.
// Parameters: $datasets: dataset ids whose population is affected (the candidates: enrolled at
//   an org one covers or below it, listed as members, listed as subjects of a flow into one);
//   $within: the dataset ids of the subgraph the rules run on (includes $datasets).
// Returns: rows {enrolments: [[org id, valid_from, valid_to]], memberships: [[dataset id,
//   valid_from, valid_to]], subject_flows: [flow id], cells: [{id, dataset, label, size,
//   suppressed, elements}] (cells of $within datasets only), keys: [pseudonym]}: one row per
//   distinct combination, keys = the students sharing it. A student appears in exactly one row;
//   the students are those of impact_population.cypher.
CALL () {
  UNWIND $within AS did
  MATCH (s:Student)-[:IN_CELL]->(c:SmallCell)-[:CELL_OF]->(d:Dataset {id: did})
  RETURN collect({s: s, cell: {id: c.id, dataset: d.id, label: c.label, size: c.size,
                               suppressed: c.suppressed, elements: c.elements}}) AS in_cells
}
CALL () {
  // the students a dataset of the subgraph lists as members or a flow into it as subjects
  CALL () {
    UNWIND $within AS did
    MATCH (:Dataset {id: did})<-[:MEMBER_OF]-(s:Student)
    RETURN s
    UNION
    UNWIND $within AS did
    MATCH (:Dataset {id: did})<-[:TARGETS]-(:Flow)<-[:SUBJECT_OF]-(s:Student)
    RETURN s
  }
  RETURN collect(s) AS listed
}
CALL () {
  // the organisations a $datasets dataset covers, and those below them
  UNWIND $datasets AS did
  MATCH (:Dataset {id: did})-[:COVERS]->(:Actor)<-[:PART_OF*0..3]-(o:Actor)
  RETURN collect(DISTINCT o) AS orgs
}
CALL (listed, orgs) {
  // listed nowhere: the enrolments at the covered orgs are all the rules can use. Streamed
  // per student, never collected: a vendor of most of a state has close to a million
  UNWIND orgs AS o
  MATCH (o)<-[e:ENROLLED_AT]-(s:Student)
  WITH s, collect([o.id, e.valid_from, e.valid_to]) AS enrolments
  WHERE NOT s IN listed
  RETURN s, enrolments, [] AS memberships, [] AS subject_flows
  UNION ALL
  // listed and a candidate (enrolled at a covered org, a member of a $datasets dataset or a
  // subject of a flow into one): every fact, its relationships walked once
  // ($datasets is part of $within, so such students are all in listed: one check each)
  UNWIND listed AS s
  WITH s WHERE EXISTS { (s)-[:ENROLLED_AT]->(o:Actor) WHERE o IN orgs }
            OR EXISTS { (s)-[:MEMBER_OF]->(d:Dataset) WHERE d.id IN $datasets }
            OR EXISTS { (s)-[:SUBJECT_OF]->(:Flow)-[:TARGETS]->(d:Dataset)
                        WHERE d.id IN $datasets }
  WITH s, [(s)-[r:ENROLLED_AT|MEMBER_OF|SUBJECT_OF]->(x) |
           [type(r) = 'ENROLLED_AT', type(r) = 'MEMBER_OF', x.id, r.valid_from, r.valid_to]] AS rels
  RETURN s,
    [r IN rels WHERE r[0] | [r[2], r[3], r[4]]] AS enrolments,
    [r IN rels WHERE r[1] | [r[2], r[3], r[4]]] AS memberships,
    [r IN rels WHERE NOT r[0] AND NOT r[1] | r[2]] AS subject_flows
}
WITH s, enrolments, memberships, subject_flows,
  CASE WHEN in_cells = [] THEN [] ELSE [x IN in_cells WHERE x.s = s | x.cell] END AS cells
RETURN enrolments, memberships, subject_flows, cells, collect(s.key) AS keys

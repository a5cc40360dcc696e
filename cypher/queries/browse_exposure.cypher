// Purpose: ONE student's lineage subgraph as PATHS, for Neo4j Browser's graph view (what
//   'lineage browse' opens). It shows the structure the rules work on: how the student's records
//   start (enrolment -> school/district <- covering dataset, explicit membership, small cells),
//   every flow downstream (dataset -> flow -> dataset, with the agreement it runs under), the
//   actor holding each dataset reached, the grants that can reach the student (broad grants
//   scoped to all or to the student's school/district; roster grants through the student's
//   sections; own-child grants through the student's guardians; role grants with the teachers
//   and guardians they reach) and access-log events.
//   Dates are NOT applied here (use 'lineage exposure' / 'lineage path' for the exact answer):
//   a flow that lists its students is followed only when it lists this student, and a
//   members-only dataset only when the student is a member.
// Parameters: $student_key: the student's pseudonym (keyed hash of the district ID; set it in
//   Browser with  :param student_key => '...'  -- 'lineage browse STUDENT_ID' prints it).
// Returns: rows {p: path}; zero rows for an unknown student. Bounded: organisation chains of at
//   most 3 PART_OF hops, at most 12 flows downstream; every relationship is directed.
MATCH (s:Student {key: $student_key})
CALL (s) {
  MATCH (s)-[:ENROLLED_AT]->(:Actor)-[:PART_OF*0..3]->(:Actor)<-[:COVERS]-(d:Dataset)
  RETURN d
  UNION
  MATCH (s)-[:MEMBER_OF]->(d:Dataset)
  RETURN d
  UNION
  MATCH (s)-[:IN_CELL]->(:SmallCell)-[:CELL_OF]->(d:Dataset)
  RETURN d
}
WITH s, collect(DISTINCT d) AS starts
CALL (s, starts) {
  UNWIND starts AS st
  MATCH (st)((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(b:Dataset)
             WHERE (f.subjects_only IS NULL OR f.subjects_only = false
                    OR EXISTS { (s)-[:SUBJECT_OF]->(f) })
               AND (b.members_only IS NULL OR b.members_only = false
                    OR EXISTS { (s)-[:MEMBER_OF]->(b) })){0,12}(d:Dataset)
  RETURN collect(DISTINCT d) AS reached
}
WITH s, starts, reached,
     [(s)-[:ENROLLED_AT]->(:Actor)-[:PART_OF*0..3]->(o:Actor) | o.id] AS orgs
CALL (s, starts, reached, orgs) {
  // 1. where the records start
  MATCH p = (s)-[:ENROLLED_AT]->(:Actor)-[:PART_OF*0..3]->(:Actor)<-[:COVERS]-(:Dataset)
  RETURN p
  UNION
  MATCH p = (s)-[:MEMBER_OF]->(:Dataset)
  RETURN p
  UNION
  MATCH p = (s)-[:IN_CELL]->(:SmallCell)-[:CELL_OF]->(:Dataset)
  RETURN p
  UNION
  // 2. the flows downstream, each dataset with the actor holding it
  UNWIND starts AS st
  MATCH p = (st)((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(b:Dataset)
                 WHERE (f.subjects_only IS NULL OR f.subjects_only = false
                        OR EXISTS { (s)-[:SUBJECT_OF]->(f) })
                   AND (b.members_only IS NULL OR b.members_only = false
                        OR EXISTS { (s)-[:MEMBER_OF]->(b) })){0,12}(:Dataset)<-[:HOLDS]-(:Actor)
  RETURN p
  UNION
  // 3. the agreements the flows out of reached datasets run under
  MATCH p = (d:Dataset)-[:SOURCE_OF]->(:Flow)-[:UNDER]->(:Agreement)
  WHERE d IN reached
  RETURN p
  UNION
  // 4. broad grants (all records, or the student's school/district) on reached datasets
  MATCH p = (d:Dataset)<-[:ON]-(g:Grant)-[:GRANTED_TO]->(:Actor)
  WHERE d IN reached AND (g.scope = 'all' OR g.scope_org IN orgs)
  RETURN p
  UNION
  // 5. roster grants of the student's teachers, through the student's sections
  MATCH p = (s)-[:IN_SECTION]->(:Section)<-[:TEACHES]-(:Actor)<-[:GRANTED_TO]-(g:Grant)-[:SCOPED_ON]->(d:Dataset)
  WHERE g.scope = 'roster' AND d IN reached
  RETURN p
  UNION
  // 6. own-child grants of the student's guardians
  MATCH p = (s)<-[:GUARDIAN_OF]-(:Actor)<-[:GRANTED_TO]-(g:Grant)-[:SCOPED_ON]->(d:Dataset)
  WHERE g.scope = 'own_child' AND d IN reached
  RETURN p
  UNION
  // 7. role grants (no actor: every teacher of the student / every guardian) on reached datasets,
  //    with the student's teachers and guardians they reach
  MATCH p = (d:Dataset)<-[:ON]-(g:Grant)
  WHERE d IN reached AND g.actor IS NULL
  RETURN p
  UNION
  MATCH p = (s)-[:IN_SECTION]->(:Section)<-[:TEACHES]-(:Actor)
  WHERE EXISTS { MATCH (g:Grant)-[:ON]->(d:Dataset)
                 WHERE g.actor IS NULL AND g.scope = 'roster' AND d IN reached }
  RETURN p
  UNION
  MATCH p = (s)<-[:GUARDIAN_OF]-(:Actor)
  WHERE EXISTS { MATCH (g:Grant)-[:ON]->(d:Dataset)
                 WHERE g.actor IS NULL AND g.scope = 'own_child' AND d IN reached }
  RETURN p
  UNION
  // 8. access-log events: who actually read the student's record
  MATCH p = (s)<-[:ACCESSED]-(:Actor)
  RETURN p
}
RETURN p

// Purpose: the students whose records could be in the given datasets (breach impact candidates):
//   enrolled at an org a dataset covers (or a school below it), listed as members, listed as
//   subjects of a flow into one of them, or reached through the given people's rosters or
//   guardianship. Streamed; the lineage rules then decide (lineage.rules.classes).
// Parameters: $datasets: dataset ids (the breached datasets and everything upstream of them);
//   $people: actor ids whose roster / own-child grants matter (the breached actor), may be [].
// Returns: rows {key}: distinct student pseudonyms.
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
  UNION
  UNWIND $people AS pid
  MATCH (:Actor {id: pid})-[:TEACHES]->(:Section)<-[:IN_SECTION]-(s:Student)
  RETURN s
  UNION
  UNWIND $people AS pid
  MATCH (:Actor {id: pid})-[:GUARDIAN_OF]->(s:Student)
  RETURN s
}
RETURN s.key AS key

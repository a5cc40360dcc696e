// Purpose: what has been loaded into the graph, by kind (Sources page): counts of each kind of
//   node and of the bulk relationships, and of OpenLineage events received.
// Parameters: none.
// Returns: one row {students, actors, datasets, elements, agreements, flows, grants, sections,
//   enrolments, rosters, guardians, memberships, accesses, openlineage_events,
//   openlineage_last_received}.
CALL () { MATCH (n:Student) RETURN count(n) AS students }
CALL () { MATCH (n:Actor) RETURN count(n) AS actors }
CALL () { MATCH (n:Dataset) RETURN count(n) AS datasets }
CALL () { MATCH (n:Element) RETURN count(n) AS elements }
CALL () { MATCH (n:Agreement) RETURN count(n) AS agreements }
CALL () { MATCH (n:Flow) RETURN count(n) AS flows }
CALL () { MATCH (n:Grant) RETURN count(n) AS grants }
CALL () { MATCH (n:Section) RETURN count(n) AS sections }
CALL () { MATCH ()-[r:ENROLLED_AT]->() RETURN count(r) AS enrolments }
CALL () { MATCH ()-[r:IN_SECTION]->() RETURN count(r) AS rosters }
CALL () { MATCH ()-[r:GUARDIAN_OF]->() RETURN count(r) AS guardians }
CALL () { MATCH ()-[r:MEMBER_OF]->() RETURN count(r) AS memberships }
CALL () { MATCH ()-[r:ACCESSED]->() RETURN count(r) AS accesses }
CALL () { MATCH (e:OpenLineageEvent)
          RETURN count(e) AS openlineage_events, max(e.received_at) AS openlineage_last_received }
RETURN students, actors, datasets, elements, agreements, flows, grants, sections, enrolments,
       rosters, guardians, memberships, accesses, openlineage_events, openlineage_last_received

// Purpose: per-person grants (scope roster / own_child) of the given actors, found from the
//   actors' side so that a dataset with thousands of such grants is never scanned.
// Parameters: $people: actor ids (the student's teachers and guardians).
// Returns: rows {dataset, grant: {id, actor, scope, scope_org, elements, legal_basis, agreement,
//   purpose, valid_from, valid_to}}.
UNWIND $people AS pid
MATCH (:Actor {id: pid})<-[:GRANTED_TO]-(g:Grant)-[:SCOPED_ON]->(d:Dataset)
RETURN d.id AS dataset,
  g {.id, .actor, .scope, .scope_org, .elements, .legal_basis, .agreement, .purpose,
     .valid_from, .valid_to} AS grant

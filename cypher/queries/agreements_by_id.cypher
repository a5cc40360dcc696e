// Purpose: details of agreements by id (the parent report names the agreements behind each actor).
// Parameters: $ids: list of agreement ids.
// Returns: rows {ag: {id, kind, purpose, legal_basis, valid_from, valid_to, destroy_by,
//   permitted_elements, recipients}}.
MATCH (g:Agreement) WHERE g.id IN $ids
RETURN g {.id, .kind, .purpose, .legal_basis, .valid_from, .valid_to, .destroy_by,
          .permitted_elements, .recipients} AS ag

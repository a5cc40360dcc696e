// Purpose: the given datasets with everything the lineage rules need (the impact subgraph).
// Parameters: $datasets: dataset ids; $actors: actor ids whose grants on them count (may be []).
// Returns: rows in the shape of exposure_lineage.cypher; grants only those of $actors.
UNWIND $datasets AS did
MATCH (d:Dataset {id: did})
RETURN d.id AS id, d.name AS name, d.granularity AS granularity, d.elements AS elements,
  d.members_only AS members_only, d.retention AS retention, d.valid_from AS valid_from,
  d.valid_to AS valid_to, d.min_cell_size AS min_cell_size, d.suppressed AS suppressed,
  [(h:Actor)-[:HOLDS]->(d) | h {.id, .name, .role}][0] AS holder,
  [(f:Flow)-[:TARGETS]->(d) |
     f {.id, .kind, .operation, .source, .target, .elements, .legal_basis, .agreement, .purpose,
        .threat, .valid_from, .valid_to, .subjects_only,
        agreement_info: [(f)-[:UNDER]->(g:Agreement) |
          g {.id, .kind, .purpose, .legal_basis, .valid_from, .valid_to, .destroy_by,
             .permitted_elements, .recipients}][0]}] AS inflows,
  [(g:Grant)-[:ON|SCOPED_ON]->(d) WHERE g.actor IN $actors |
     g {.id, .actor, .scope, .scope_org, .elements, .legal_basis, .agreement, .purpose,
        .valid_from, .valid_to}] AS grants

// Purpose: the given datasets with everything the lineage rules need: holder, flows in (with
//   their agreement) and the grants that can matter.
// Parameters: $datasets: dataset ids; $orgs: org ids (broad grants scoped to one of them count);
//   $actors: actor ids whose grants count whatever their scope (may be []; per-person grants of
//   a dataset are only scanned when it is not empty).
// Returns: rows {id, name, granularity, elements, members_only, retention, valid_from, valid_to,
//   min_cell_size, suppressed, holder: {id, name, role}, inflows: [flow {... agreement_info}],
//   grants: [grant {id, actor, scope, scope_org, elements, legal_basis, agreement, purpose,
//   valid_from, valid_to}]}.
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
  [(g:Grant)-[:ON]->(d) WHERE g.scope = 'all' OR g.scope_org IN $orgs OR g.actor IN $actors |
     g {.id, .actor, .scope, .scope_org, .elements, .legal_basis, .agreement, .purpose,
        .valid_from, .valid_to}] +
  CASE WHEN size($actors) = 0 THEN [] ELSE
    [(g:Grant)-[:SCOPED_ON]->(d) WHERE g.actor IN $actors |
       g {.id, .actor, .scope, .scope_org, .elements, .legal_basis, .agreement, .purpose,
          .valid_from, .valid_to}] END AS grants

// Purpose: the datasets downstream of a student's starting datasets, with their flows and the
//   grants that can concern the student. Bounded, directed traversal returning distinct datasets.
// Parameters: $starts: dataset ids where the student's records start (coverage, membership,
//   flows listing the student, small cells); $orgs: org ids the student was enrolled at, with
//   the orgs above them (for grants scoped to a school or district). Per-person grants (roster,
//   own child) come from exposure_personal_grants.
// Returns: one row per dataset: {id, name, granularity, elements, members_only, retention,
//   valid_from, valid_to, min_cell_size, suppressed, holder: {id, name, role},
//   inflows: [flow {...} with agreement_info {...}], grants: [broad grant {...}]}.
UNWIND $starts AS sid
MATCH (:Dataset {id: sid})-[:SOURCE_OF|TARGETS*0..24]->(d:Dataset)
WITH DISTINCT d
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
  [(g:Grant)-[:ON]->(d) WHERE g.scope = 'all' OR g.scope_org IN $orgs |
     g {.id, .actor, .scope, .scope_org, .elements, .legal_basis, .agreement, .purpose,
        .valid_from, .valid_to}] AS grants

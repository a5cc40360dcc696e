// Purpose: every organisation's chain up the hierarchy (school -> district -> state), to derive
//   coverage in Python for many students at once (impact).
// Parameters: $org_roles: the organisation roles (ORGANISATION_ROLES).
// Returns: one row {chains: [[org id, parent id, ...]]} (at most 3 PART_OF hops, as everywhere).
MATCH (o:Actor) WHERE o.role IN $org_roles
RETURN collect([o.id] + [(o)-[:PART_OF*1..3]->(p:Actor) | p.id]) AS chains

// Purpose: rule research-destroy-by. Identifiable data received under a research agreement is not
//   held past the agreement's destroy-by date, and such an agreement states one (FERPA
//   §99.31(a)(6)(iii)(C)(4)). Checks identifiable datasets held by a researcher (or received
//   under an agreement of kind 'research') whose inflow is under an agreement: the dataset's end
//   (valid_to; null = still held) must be on or before the agreement's destroy_by.
// Parameters: $researcher_roles: actor roles treated as researchers (e.g. ['researcher']).
// Returns: one row per (dataset, agreement): {dataset, holder, agreement, destroy_by,
//   valid_to (the dataset's end or null), flows: [flow id], problem ('no_destroy_by' | 'held_past')}.
MATCH (r:Actor)-[:HOLDS]->(t:Dataset {granularity: 'student'})<-[:TARGETS]-
      (f:Flow {kind: 'disclosure'})-[:UNDER]->(ag:Agreement)
WHERE r.role IN $researcher_roles OR ag.kind = 'research'
WITH r, t, ag, collect(f.id) AS flows
WITH r, t, ag, flows,
  CASE WHEN ag.destroy_by IS NULL THEN 'no_destroy_by'
       WHEN t.valid_to IS NULL OR t.valid_to > ag.destroy_by THEN 'held_past' END AS problem
WHERE problem IS NOT NULL
RETURN t.id AS dataset, r.id AS holder, ag.id AS agreement, ag.destroy_by AS destroy_by,
  t.valid_to AS valid_to, flows, problem
ORDER BY dataset, agreement

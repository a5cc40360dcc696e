// Purpose: rule emergency-threat. A disclosure in a health or safety emergency must record "the
//   articulable and significant threat" that was its basis (FERPA §99.32(a)(5), §99.36): flows
//   whose basis (the flow's, else its agreement's) is the emergency basis and that record no
//   threat (missing or blank); and access grants with that basis, which have no place for a
//   threat (a standing grant is not a disclosure in one emergency).
// Parameters: $emergency: the health or safety emergency basis value; $roster: the roster scope
//   value; $every_teacher / $every_guardian: how a role grant's recipients are named.
// Returns: one row per channel: {channel ('flow' | 'grant'), id, discloser (holder of the source;
//   null for a collection), recipient (holder of the target, or the grantee), source (dataset id
//   or null), target (dataset id; null for a grant)}.
CALL () {
  MATCH (f:Flow)-[:TARGETS]->(t:Dataset)
  OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
  WITH f, t, ag
  WHERE coalesce(f.legal_basis, ag.legal_basis) = $emergency AND trim(coalesce(f.threat, '')) = ''
  OPTIONAL MATCH (h1:Actor)-[:HOLDS]->(src:Dataset)-[:SOURCE_OF]->(f)
  OPTIONAL MATCH (h2:Actor)-[:HOLDS]->(t)
  RETURN 'flow' AS channel, f.id AS id, h1.id AS discloser, h2.id AS recipient,
    src.id AS source, t.id AS target
  UNION
  MATCH (g:Grant)-[:ON|SCOPED_ON]->(d:Dataset)
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  WITH g, d, ag WHERE coalesce(g.legal_basis, ag.legal_basis) = $emergency
  OPTIONAL MATCH (h:Actor)-[:HOLDS]->(d)
  OPTIONAL MATCH (g)-[:GRANTED_TO]->(a:Actor)
  RETURN 'grant' AS channel, g.id AS id, h.id AS discloser,
    coalesce(a.id, CASE g.scope WHEN $roster THEN $every_teacher ELSE $every_guardian END)
      AS recipient,
    d.id AS source, null AS target
}
RETURN channel, id, discloser, recipient, source, target
ORDER BY recipient, channel, id

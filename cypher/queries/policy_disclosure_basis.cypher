// Purpose: rule disclosure-basis. Every disclosure of identifiable data to another actor has a
//   legal basis (FERPA §99.30 consent or a §99.31(a) exception): disclosure flows from an
//   identifiable dataset to an identifiable dataset held by another actor, and access grants on
//   an identifiable dataset to an actor other than its holder (or, for a role grant, to every
//   teacher / guardian of the student). The basis is the flow's or grant's, else its agreement's.
// Parameters: $roster: the roster scope value; $every_teacher / $every_guardian: how a role
//   grant's recipients are named in the finding.
// Returns: one row per channel without a basis: {channel ('flow' | 'grant'), id, discloser,
//   recipient, source, target (null for a grant)}.
CALL () {
  MATCH (h1:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
        (f:Flow {kind: 'disclosure'})-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(h2:Actor)
  WHERE h1 <> h2
  OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
  WITH h1, h2, src, f, t, ag WHERE coalesce(f.legal_basis, ag.legal_basis) IS NULL
  RETURN 'flow' AS channel, f.id AS id, h1.id AS discloser, h2.id AS recipient,
    src.id AS source, t.id AS target
  UNION
  MATCH (a:Actor)<-[:GRANTED_TO]-(g:Grant)-[:ON|SCOPED_ON]->(d:Dataset {granularity: 'student'})<-[:HOLDS]-(h:Actor)
  WHERE a <> h
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  WITH a, g, d, h, ag WHERE coalesce(g.legal_basis, ag.legal_basis) IS NULL
  RETURN 'grant' AS channel, g.id AS id, h.id AS discloser, a.id AS recipient,
    d.id AS source, null AS target
  UNION
  // role grants (no actor): every teacher of the student / every guardian
  MATCH (g:Grant)-[:ON]->(d:Dataset {granularity: 'student'})<-[:HOLDS]-(h:Actor)
  WHERE g.actor IS NULL
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  WITH g, d, h, ag WHERE coalesce(g.legal_basis, ag.legal_basis) IS NULL
  RETURN 'grant' AS channel, g.id AS id, h.id AS discloser,
    CASE g.scope WHEN $roster THEN $every_teacher ELSE $every_guardian END AS recipient,
    d.id AS source, null AS target
}
RETURN channel, id, discloser, recipient, source, target
ORDER BY recipient, channel, id

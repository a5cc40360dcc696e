// Purpose: rule studies-without-agreement. The studies exception needs a written agreement
//   (FERPA §99.31(a)(6)(iii)(C)): disclosure flows of identifiable data to another actor, and
//   access grants on an identifiable dataset, whose legal basis is studies and that are under
//   no agreement.
// Parameters: $studies: the studies basis value ('studies').
// Returns: one row per channel: {channel ('flow' | 'grant'), id, discloser, recipient, source,
//   target (null for a grant)}.
CALL () {
  MATCH (h1:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
        (f:Flow {kind: 'disclosure'})-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(h2:Actor)
  WHERE h1 <> h2 AND f.legal_basis = $studies AND NOT EXISTS { (f)-[:UNDER]->(:Agreement) }
  RETURN 'flow' AS channel, f.id AS id, h1.id AS discloser, h2.id AS recipient,
    src.id AS source, t.id AS target
  UNION
  MATCH (a:Actor)<-[:GRANTED_TO]-(g:Grant)-[:ON|SCOPED_ON]->(d:Dataset {granularity: 'student'})<-[:HOLDS]-(h:Actor)
  WHERE a <> h AND g.legal_basis = $studies AND NOT EXISTS { (g)-[:UNDER]->(:Agreement) }
  RETURN 'grant' AS channel, g.id AS id, h.id AS discloser, a.id AS recipient,
    d.id AS source, null AS target
}
RETURN channel, id, discloser, recipient, source, target
ORDER BY recipient, channel, id

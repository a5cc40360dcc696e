// Purpose: rule research-basis. Identifiable data goes to a researcher only under a studies or
//   audit/evaluation basis and a written agreement that names the researcher, within the
//   agreement's window (FERPA §99.31(a)(6)(iii), §99.35). Checks every disclosure flow from an
//   identifiable dataset of one actor to an identifiable dataset held by a researcher. The basis
//   is the flow's, else the agreement's. Open flow dates mean "while the agreement runs".
// Parameters: $researcher_roles: actor roles treated as researchers (e.g. ['researcher']);
//   $research_bases: legal bases allowed (e.g. ['studies', 'audit_evaluation']).
// Returns: one row per failing flow: {id, researcher, discloser, source, target, basis,
//   agreement (id or null), problems: subset of ['basis', 'no_agreement', 'not_named',
//   'agreement_basis', 'window']}.
MATCH (sh:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
      (f:Flow {kind: 'disclosure'})-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(r:Actor)
WHERE r.role IN $researcher_roles AND sh <> r
OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
WITH sh, src, f, t, r, ag, coalesce(f.legal_basis, ag.legal_basis) AS basis
WITH sh, src, f, t, r, ag, basis, [p IN [
    CASE WHEN basis IS NULL OR NOT basis IN $research_bases THEN 'basis' END,
    CASE WHEN ag IS NULL THEN 'no_agreement' END,
    CASE WHEN ag IS NOT NULL AND NOT EXISTS { (ag)-[:NAMES]->(r) } THEN 'not_named' END,
    CASE WHEN ag IS NOT NULL AND ag.legal_basis IS NOT NULL
              AND NOT ag.legal_basis IN $research_bases THEN 'agreement_basis' END,
    CASE WHEN ag IS NOT NULL AND (
           (f.valid_from IS NOT NULL AND ag.valid_from IS NOT NULL AND f.valid_from < ag.valid_from)
        OR (f.valid_to IS NOT NULL AND ag.valid_to IS NOT NULL AND f.valid_to > ag.valid_to)
        OR (f.valid_from IS NOT NULL AND ag.valid_to IS NOT NULL AND f.valid_from > ag.valid_to))
         THEN 'window' END
  ] WHERE p IS NOT NULL] AS problems
WHERE size(problems) > 0
RETURN f.id AS id, r.id AS researcher, sh.id AS discloser, src.id AS source, t.id AS target,
  basis, ag.id AS agreement, problems
ORDER BY researcher, id

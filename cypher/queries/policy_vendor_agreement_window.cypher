// Purpose: rule vendor-agreement-window. Data reaches a service provider only while its agreement
//   is valid (NDPA term): a flow or grant to a vendor whose stated dates fall outside its
//   agreement's window (starts before it, ends after it, or starts after it ended). An open
//   flow date means "while the agreement runs" (the lineage rules intersect the windows).
// Parameters: $vendor_roles: actor roles treated as service providers (e.g. ['vendor']).
// Returns: one row per such channel: {channel, id, vendor, discloser, source, target, agreement,
//   valid_from, valid_to (the channel's), agreement_from, agreement_to}.
CALL () {
  MATCH (f:Flow)-[:TARGETS]->(t:Dataset)<-[:HOLDS]-(v:Actor)
  WHERE v.role IN $vendor_roles AND f.kind IN ['disclosure', 'collection']
  OPTIONAL MATCH (sh:Actor)-[:HOLDS]->(src:Dataset)-[:SOURCE_OF]->(f)
  WITH f, t, v, src, sh WHERE sh IS NULL OR sh <> v
  OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
  RETURN 'flow' AS channel, f.id AS id, v, sh.id AS discloser, src.id AS source, t.id AS target,
    ag, f.valid_from AS valid_from, f.valid_to AS valid_to,
    [e IN coalesce(f.elements, [])
       WHERE (src IS NULL OR src.elements IS NULL OR e IN src.elements)
         AND (t.elements IS NULL OR e IN t.elements)] AS elements
  UNION
  MATCH (g:Grant)-[:GRANTED_TO]->(v:Actor)
  WHERE v.role IN $vendor_roles
  MATCH (g)-[:ON|SCOPED_ON]->(d:Dataset)<-[:HOLDS]-(sh:Actor)
  WHERE sh <> v
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  RETURN 'grant' AS channel, g.id AS id, v, sh.id AS discloser, d.id AS source, d.id AS target,
    ag, g.valid_from AS valid_from, g.valid_to AS valid_to,
    CASE WHEN size(coalesce(g.elements, [])) > 0 THEN g.elements
         WHEN d.elements IS NOT NULL THEN d.elements
         ELSE COLLECT { MATCH (x:Flow)-[:TARGETS]->(d) MATCH (x)-[:CARRIES]->(e:Element)
                        RETURN DISTINCT e.name } END AS elements
}
WITH channel, id, v, discloser, source, target, ag, valid_from, valid_to
WHERE ag IS NOT NULL AND (
      (valid_from IS NOT NULL AND ag.valid_from IS NOT NULL AND valid_from < ag.valid_from)
   OR (valid_to IS NOT NULL AND ag.valid_to IS NOT NULL AND valid_to > ag.valid_to)
   OR (valid_from IS NOT NULL AND ag.valid_to IS NOT NULL AND valid_from > ag.valid_to))
RETURN channel, id, v.id AS vendor, discloser, source, target, ag.id AS agreement,
  valid_from, valid_to, ag.valid_from AS agreement_from, ag.valid_to AS agreement_to
ORDER BY vendor, channel, id

// Purpose: rule vendor-agreement. A service provider (vendor) receives student data (a disclosure
//   or collection into a dataset it holds, or an access grant on another holder's dataset) only
//   under a written agreement that names it (FERPA §99.31(a)(1)(i)(B) direct control; NDPA).
// Parameters: $vendor_roles: actor roles treated as service providers (e.g. ['vendor']).
// Returns: one row per channel without such an agreement: {channel ('flow' | 'grant'), id,
//   vendor, discloser (holder of the source; null for a collection), source (dataset id or
//   null), target (dataset id), agreement (id or null: no agreement), elements (moved),
//   sensitive (the moved elements marked sensitive)}.
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
WITH channel, id, v, discloser, source, target, ag, elements
WHERE ag IS NULL OR NOT EXISTS { (ag)-[:NAMES]->(v) }
RETURN channel, id, v.id AS vendor, discloser, source, target, ag.id AS agreement, elements,
  [e IN elements WHERE EXISTS { (:Element {name: e, sensitive: true}) }] AS sensitive
ORDER BY vendor, channel, id

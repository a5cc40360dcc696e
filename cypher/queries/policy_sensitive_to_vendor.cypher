// Purpose: rule sensitive-to-vendor. Sensitive elements (Element.sensitive: Special Indicator,
//   protected Student Survey Responses) go to a service provider only when its agreement lists
//   them (NDPA Exhibit B; PPRA 20 U.S.C. §1232h): the sensitive elements a vendor channel moves
//   that its agreement (naming the vendor) does not permit, or all of them without one.
// Parameters: $vendor_roles: actor roles treated as service providers (e.g. ['vendor']).
// Returns: one row per channel: {channel, id, vendor, discloser, source, target, agreement (id
//   of an agreement naming the vendor, or null), sensitive: [element]}.
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
WITH channel, id, v, discloser, source, target,
  CASE WHEN ag IS NOT NULL AND EXISTS { (ag)-[:NAMES]->(v) } THEN ag END AS ag,
  [e IN elements WHERE EXISTS { (:Element {name: e, sensitive: true}) }] AS sensitive
WITH channel, id, v, discloser, source, target, ag,
  [e IN sensitive WHERE ag IS NULL OR NOT e IN coalesce(ag.permitted_elements, [])] AS sensitive
WHERE size(sensitive) > 0
RETURN channel, id, v.id AS vendor, discloser, source, target, ag.id AS agreement, sensitive
ORDER BY vendor, channel, id

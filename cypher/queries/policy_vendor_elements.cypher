// Purpose: rule vendor-elements. A service provider receives only the elements its agreement
//   permits (NDPA Exhibit B; FERPA §99.31(a)(1)(i)(B)): for each disclosure or collection into a
//   dataset the vendor holds, and each access grant to the vendor, the elements actually moved
//   (carried, narrowed by what the source holds and the target keeps; a grant without elements
//   reads everything the dataset keeps) minus the agreement's permitted_elements. Only channels
//   under an agreement that names the vendor (the others are rule vendor-agreement).
// Parameters: $vendor_roles: actor roles treated as service providers (e.g. ['vendor']).
// Returns: one row per channel moving elements outside its agreement: {channel ('flow' |
//   'grant'), id, vendor, discloser, source, target, agreement, excess: [element],
//   sensitive: [the excess elements marked sensitive]}.
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
WHERE ag IS NOT NULL AND EXISTS { (ag)-[:NAMES]->(v) }
WITH channel, id, v, discloser, source, target, ag,
  [e IN elements WHERE NOT e IN coalesce(ag.permitted_elements, [])] AS excess
WHERE size(excess) > 0
RETURN channel, id, v.id AS vendor, discloser, source, target, ag.id AS agreement, excess,
  [e IN excess WHERE EXISTS { (:Element {name: e, sensitive: true}) }] AS sensitive
ORDER BY vendor, channel, id

// Purpose: rule redisclosure-basis. A party that received identifiable data by disclosure passes
//   it on only with a basis, and, unless the original agreement allows redisclosure
//   (may_redisclose), under an agreement that names the new recipient (FERPA §99.33). A
//   redisclosure is a disclosure flow from an identifiable dataset that its holder received by
//   disclosure from another actor (directly or through its own transformations, up to 8 steps)
//   to an identifiable dataset held by a third actor. A school or district that received
//   records (a transfer) keeps them as its own education records and discloses them under its
//   own authority: its disclosures are not redisclosures. The basis is the flow's, else its
//   agreement's.
// Parameters: $record_holder_roles: roles of educational agencies and institutions whose
//   onward disclosures are not redisclosures (e.g. ['district', 'school']).
// Returns: one row per failing flow: {id, discloser, recipient, source, target, basis,
//   agreement (id or null), named (the agreement names the recipient), received_from:
//   [actor id], original_agreements: [agreement id], allowed (an original agreement allows
//   redisclosure)}.
MATCH (h1:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
      (f:Flow {kind: 'disclosure'})-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(h2:Actor)
WHERE h1 <> h2 AND NOT h1.role IN $record_holder_roles
MATCH (h0:Actor)-[:HOLDS]->(:Dataset {granularity: 'student'})-[:SOURCE_OF]->
      (f0:Flow {kind: 'disclosure'})-[:TARGETS]->(:Dataset)
      ((:Dataset)-[:SOURCE_OF]->(:Flow {kind: 'transformation'})-[:TARGETS]->(:Dataset)){0,8}
      (src)
WHERE h0 <> h1
WITH h1, h2, src, f, t, collect(DISTINCT h0.id) AS received_from, collect(DISTINCT f0) AS received
OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
WITH h1, h2, src, f, t, received_from, ag,
  coalesce(f.legal_basis, ag.legal_basis) AS basis,
  ag IS NOT NULL AND EXISTS { (ag)-[:NAMES]->(h2) } AS named,
  COLLECT { UNWIND received AS r0 MATCH (r0)-[:UNDER]->(a0:Agreement) RETURN DISTINCT a0 } AS originals
WITH h1, h2, src, f, t, received_from, ag, basis, named,
  [a0 IN originals | a0.id] AS original_agreements,
  any(a0 IN originals WHERE a0.may_redisclose = true) AS allowed
WHERE basis IS NULL OR (NOT allowed AND NOT named)
RETURN f.id AS id, h1.id AS discloser, h2.id AS recipient, src.id AS source, t.id AS target,
  basis, ag.id AS agreement, named, received_from, original_agreements, allowed
ORDER BY discloser, id

// Purpose: rules federal-identifiable and public-identifiable: the U.S. Department of Education
//   receives aggregate counts only (domain brief; EDFacts, 20 U.S.C. §9543) and the public
//   aggregate reports only, never an individual student (domain brief; FERPA §99.31(b)(1)):
//   identifiable (student-granularity) data reaching an actor of one of $recipient_roles,
//   whatever the legal basis (directory information included). Finds: flows of any kind from an
//   identifiable dataset of another actor into an identifiable dataset the recipient holds;
//   access grants to the recipient on another holder's identifiable dataset; and identifiable
//   datasets the recipient holds that hold students by themselves (coverage, or members of an
//   origin dataset: docs/rules.md rule 1).
//   Directory information (FERPA §99.31(a)(11), §99.37) is not counted: a district may release
//   it (military recruiters, an honor roll); what it may carry is rule
//   directory-information-elements.
// Parameters: $recipient_roles: actor roles checked (['federal'] or ['public']);
//   $directory_information: the directory information basis value.
// Returns: one row per channel: {channel ('flow' | 'grant' | 'dataset'), id (flow, grant or
//   dataset id), recipient, discloser (holder of the source; null for a dataset), source (dataset
//   id; null for a dataset), target (dataset id; null for a grant), basis (the flow's or grant's,
//   else its agreement's; null for a dataset), covers: [org id] and members (number of listed
//   students; 0 unless the dataset is an origin) for a dataset, else [] and 0}.
CALL () {
  MATCH (h1:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
        (f:Flow)-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(r:Actor)
  WHERE r.role IN $recipient_roles AND h1 <> r
  OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
  WITH f, r, h1, src, t, coalesce(f.legal_basis, ag.legal_basis) AS basis
  WHERE basis IS NULL OR basis <> $directory_information
  RETURN 'flow' AS channel, f.id AS id, r.id AS recipient, h1.id AS discloser, src.id AS source,
    t.id AS target, basis, [] AS covers, 0 AS members
  UNION
  MATCH (r:Actor)<-[:GRANTED_TO]-(g:Grant)-[:ON|SCOPED_ON]->(d:Dataset {granularity: 'student'})<-[:HOLDS]-(h:Actor)
  WHERE r.role IN $recipient_roles AND h <> r
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  WITH g, r, h, d, coalesce(g.legal_basis, ag.legal_basis) AS basis
  WHERE basis IS NULL OR basis <> $directory_information
  RETURN 'grant' AS channel, g.id AS id, r.id AS recipient, h.id AS discloser, d.id AS source,
    null AS target, basis, [] AS covers, 0 AS members
  UNION
  MATCH (r:Actor)-[:HOLDS]->(d:Dataset {granularity: 'student'})
  WHERE r.role IN $recipient_roles
  WITH r, d, COLLECT { MATCH (d)-[:COVERS]->(o:Actor) RETURN DISTINCT o.id ORDER BY o.id } AS covers,
    CASE WHEN EXISTS { (:Dataset)-[:SOURCE_OF]->(:Flow)-[:TARGETS]->(d) } THEN 0
         ELSE COUNT { MATCH (s:Student)-[:MEMBER_OF]->(d) RETURN DISTINCT s } END AS members
  WHERE size(covers) > 0 OR members > 0
  RETURN 'dataset' AS channel, d.id AS id, r.id AS recipient, null AS discloser, null AS source,
    d.id AS target, null AS basis, covers, members
}
RETURN channel, id, recipient, discloser, source, target, basis, covers, members
ORDER BY recipient, channel, id

// Purpose: rule directory-information-elements. Directory information is information "that would
//   not generally be considered harmful or an invasion of privacy if disclosed" (FERPA §99.3:
//   name, address, telephone, email, photograph, date and place of birth, grade level,
//   enrollment status, dates of attendance, participation in activities, degrees and awards),
//   disclosed under §99.31(a)(11) / §99.37. Finds the identifiable channels whose basis is
//   directory information (the flow's or grant's, else its agreement's) that move an element
//   that cannot be directory information: an element of one of the given categories (sensitive
//   indicators, assessment, attendance, conduct, transcript, student work...) or marked
//   sensitive. Channels: flows of any kind from an identifiable dataset of one actor to an
//   identifiable dataset of another (the elements moved: carried, narrowed by what the source
//   holds and the target keeps), and access grants on an identifiable dataset to an actor other
//   than its holder or to every teacher / guardian (the grant's elements, else what the dataset
//   keeps, else what flows bring it).
// Parameters: $directory: the directory information basis value; $categories: element
//   categories that cannot be directory information; $roster: the roster scope value;
//   $every_teacher / $every_guardian: how a role grant's recipients are named.
// Returns: one row per channel moving such elements: {channel ('flow' | 'grant'), id,
//   discloser, recipient, source, target (null for a grant), elements: [element]}.
CALL () {
  MATCH (h1:Actor)-[:HOLDS]->(src:Dataset {granularity: 'student'})-[:SOURCE_OF]->
        (f:Flow)-[:TARGETS]->(t:Dataset {granularity: 'student'})<-[:HOLDS]-(h2:Actor)
  WHERE h1 <> h2
  OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
  WITH h1, h2, src, f, t, ag WHERE coalesce(f.legal_basis, ag.legal_basis) = $directory
  RETURN 'flow' AS channel, f.id AS id, h1.id AS discloser, h2.id AS recipient,
    src.id AS source, t.id AS target,
    [e IN coalesce(f.elements, [])
       WHERE (src.elements IS NULL OR e IN src.elements)
         AND (t.elements IS NULL OR e IN t.elements)] AS elements
  UNION
  MATCH (g:Grant)-[:ON|SCOPED_ON]->(d:Dataset {granularity: 'student'})<-[:HOLDS]-(h:Actor)
  OPTIONAL MATCH (g)-[:GRANTED_TO]->(a:Actor)
  WITH g, d, h, a WHERE a IS NULL OR a <> h
  OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
  WITH g, d, h, a, ag WHERE coalesce(g.legal_basis, ag.legal_basis) = $directory
  RETURN 'grant' AS channel, g.id AS id, h.id AS discloser,
    coalesce(a.id, CASE g.scope WHEN $roster THEN $every_teacher ELSE $every_guardian END)
      AS recipient,
    d.id AS source, null AS target,
    CASE WHEN size(coalesce(g.elements, [])) > 0 THEN g.elements
         WHEN d.elements IS NOT NULL THEN d.elements
         ELSE COLLECT { MATCH (x:Flow)-[:TARGETS]->(d) MATCH (x)-[:CARRIES]->(e:Element)
                        RETURN DISTINCT e.name } END AS elements
}
WITH channel, id, discloser, recipient, source, target,
  [e IN elements WHERE EXISTS {
     MATCH (x:Element {name: e}) WHERE x.category IN $categories OR x.sensitive = true }] AS elements
WHERE size(elements) > 0
RETURN channel, id, discloser, recipient, source, target, elements
ORDER BY recipient, channel, id

// Purpose: create or update access grants (who may read which dataset, for which students).
// Parameters: $rows: list of {id, actor (null for a role grant), dataset, scope, scope_org, elements: [name],
//   legal_basis, agreement, purpose, valid_from, valid_to}.
//   $person_scopes: the scopes that can name one person (Scope.ROSTER, Scope.OWN_CHILD);
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null
//   (`seen_in` of the grant marks what a snapshot asserts).
//   Links the row no longer names (an earlier definition, `load --update`) are removed.
// Returns: nothing.
UNWIND $rows AS r
MERGE (g:Grant {id: r.id})
SET g.scope = r.scope, g.scope_org = r.scope_org, g.elements = r.elements,
    g.legal_basis = r.legal_basis, g.agreement = r.agreement, g.purpose = r.purpose,
    g.valid_from = r.valid_from, g.valid_to = r.valid_to, g.actor = r.actor, g.dataset = r.dataset,
    g.seen_in = coalesce($load, g.seen_in),
    g.sources = CASE WHEN g.sources IS NULL THEN [$source] WHEN $source IN g.sources THEN g.sources
      ELSE [z IN g.sources WHERE z < $source] + $source + [z IN g.sources WHERE z > $source] END
WITH g, r
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:GRANTED_TO]->(a:Actor) WHERE a.id <> coalesce(r.actor, '')
  DELETE x
}
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:ON|SCOPED_ON]->(d:Dataset)
  WHERE d.id <> r.dataset
     OR (type(x) = 'SCOPED_ON') <> (r.actor IS NOT NULL AND r.scope IN $person_scopes)
  DELETE x
}
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:ALLOWS]->(e:Element) WHERE NOT e.name IN r.elements
  DELETE x
}
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:UNDER]->(ag:Agreement) WHERE ag.id <> coalesce(r.agreement, '')
  DELETE x
}
CALL (g, r) {
  MATCH (a:Actor {id: r.actor})
  MERGE (g)-[x:GRANTED_TO]->(a)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (g, r) {
  // broad grants (all, school, district) and role grants (no actor) hang on ON; per-person
  // grants (roster, own_child naming one actor) on SCOPED_ON, so that one student's grants
  // are found from the teacher/guardian side.
  MATCH (d:Dataset {id: r.dataset})
  WITH g, d, r.actor IS NOT NULL AND r.scope IN $person_scopes AS personal
  FOREACH (_ IN CASE WHEN personal THEN [] ELSE [1] END |
    MERGE (g)-[x:ON]->(d)
    SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END)
  FOREACH (_ IN CASE WHEN personal THEN [1] ELSE [] END |
    MERGE (g)-[x:SCOPED_ON]->(d)
    SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END)
}
CALL (g, r) {
  UNWIND r.elements AS name
  MATCH (e:Element {name: name})
  MERGE (g)-[x:ALLOWS]->(e)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (g, r) {
  WITH g, r WHERE r.agreement IS NOT NULL
  MATCH (ag:Agreement {id: r.agreement})
  MERGE (g)-[x:UNDER]->(ag)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}

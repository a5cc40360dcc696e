// Purpose: create or update agreements, the elements they permit and the recipients they name.
// Parameters: $rows: list of {id, kind, purpose, legal_basis, valid_from, valid_to, destroy_by,
//   may_redisclose, permitted_elements: [name], recipients: [actor id]};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null.
//   Relationships the row no longer names (an earlier definition, `load --update`) are removed.
// Returns: nothing.
UNWIND $rows AS r
MERGE (g:Agreement {id: r.id})
SET g.kind = r.kind, g.purpose = r.purpose, g.legal_basis = r.legal_basis,
    g.valid_from = r.valid_from, g.valid_to = r.valid_to, g.destroy_by = r.destroy_by,
    g.may_redisclose = r.may_redisclose, g.permitted_elements = r.permitted_elements,
    g.recipients = r.recipients,
    g.sources = CASE WHEN g.sources IS NULL THEN [$source] WHEN $source IN g.sources THEN g.sources
      ELSE [z IN g.sources WHERE z < $source] + $source + [z IN g.sources WHERE z > $source] END
WITH g, r
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:PERMITS]->(e:Element) WHERE NOT e.name IN r.permitted_elements
  DELETE x
}
CALL (g, r) {
  OPTIONAL MATCH (g)-[x:NAMES]->(a:Actor) WHERE NOT a.id IN r.recipients
  DELETE x
}
CALL (g, r) {
  UNWIND r.permitted_elements AS name
  MATCH (e:Element {name: name})
  MERGE (g)-[x:PERMITS]->(e)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}
CALL (g, r) {
  UNWIND r.recipients AS rid
  MATCH (a:Actor {id: rid})
  MERGE (g)-[x:NAMES]->(a)
  SET x.sources = CASE WHEN x.sources IS NULL THEN [$source] WHEN $source IN x.sources THEN x.sources
      ELSE [z IN x.sources WHERE z < $source] + $source + [z IN x.sources WHERE z > $source] END
}

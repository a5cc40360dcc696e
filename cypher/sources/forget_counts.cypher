// Purpose: what `lineage forget SOURCE` would remove, without removing it (the dry run).
// Parameters: $source: source name.
// Returns: one row {relationships: asserted by $source alone (removed), shared_relationships:
//   also asserted by another source (kept), nodes: asserted by $source alone with every
//   relationship asserted by $source alone (removed), shared_nodes: also asserted by another
//   source (kept), shared_definitions: definitions (actors, datasets, flows, agreements, grants,
//   sections, small cells, elements) another source also asserts, which keep the values the
//   last load wrote (forget cannot tell what the other source said before an update),
//   also_defined_by: those other sources, sorted}.
CALL () {
  MATCH ()-[x]->() WHERE $source IN x.sources
  RETURN count(CASE WHEN size(x.sources) = 1 THEN 1 END) AS relationships,
         count(CASE WHEN size(x.sources) > 1 THEN 1 END) AS shared_relationships
}
CALL () {
  MATCH (n) WHERE $source IN n.sources
  RETURN count(CASE WHEN n.sources = [$source]
                     AND NOT EXISTS { (n)-[y]-() WHERE y.sources IS NULL OR y.sources <> [$source] }
                    THEN 1 END) AS nodes,
         count(CASE WHEN size(n.sources) > 1 THEN 1 END) AS shared_nodes
}
CALL () {
  MATCH (n) WHERE $source IN n.sources AND size(n.sources) > 1
    AND (n:Actor OR n:Dataset OR n:Flow OR n:Agreement OR n:Grant OR n:Section OR n:SmallCell
         OR n:Element)
  UNWIND [z IN n.sources WHERE z <> $source] AS other
  WITH count(DISTINCT n) AS shared_definitions, collect(DISTINCT other) AS others
  RETURN shared_definitions, [z IN others | z] AS unsorted
}
CALL (unsorted) {
  UNWIND unsorted AS z
  WITH z ORDER BY z
  RETURN collect(z) AS also_defined_by
}
RETURN relationships, shared_relationships, nodes, shared_nodes, shared_definitions,
       also_defined_by

// Purpose: what `lineage forget SOURCE` would remove, without removing it (the dry run).
// Parameters: $source: source name.
// Returns: one row {relationships: asserted by $source alone (removed), shared_relationships:
//   also asserted by another source (kept), nodes: asserted by $source alone with every
//   relationship asserted by $source alone (removed), shared_nodes: also asserted by another
//   source (kept)}.
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
RETURN relationships, shared_relationships, nodes, shared_nodes

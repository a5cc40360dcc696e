// Purpose: `lineage forget SOURCE --yes`: remove what only $source asserted and nothing another
//   source also asserts: relationships whose sources are just [$source]; $source leaves the
//   `sources` of every other relationship and node; then nodes left with no source and no
//   relationship; then the source's Source and Load records. Batched (CALL ... IN
//   TRANSACTIONS): auto-commit, statement by statement.
// Parameters: $source: source name.
// Returns: one row per statement with {relationships} or {nodes} removed (0 for the others).
MATCH ()-[x]->()
WHERE x.sources = [$source]
CALL (x) { DELETE x } IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS relationships;
MATCH ()-[x]->()
WHERE $source IN x.sources
CALL (x) { SET x.sources = [z IN x.sources WHERE z <> $source] } IN TRANSACTIONS OF 10000 ROWS
RETURN 0 AS relationships;
MATCH (n)
WHERE $source IN n.sources
CALL (n) { SET n.sources = [z IN n.sources WHERE z <> $source] } IN TRANSACTIONS OF 10000 ROWS
RETURN 0 AS nodes;
MATCH (n)
WHERE n.sources = [] AND NOT EXISTS { (n)--() }
CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS nodes;
MATCH (s:Source {name: $source})
OPTIONAL MATCH (s)-[:LAST_LOAD]->(l:Load)
DETACH DELETE s, l
RETURN 0 AS nodes

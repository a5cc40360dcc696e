// Purpose: the ids of every actor in the graph, to suggest the closest ones when a user types
//   an actor id the graph does not hold (`lineage path STUDENT ACTOR`).
// Parameters: none.
// Returns: one row per actor: {id}, sorted by id.
MATCH (a:Actor)
RETURN a.id AS id
ORDER BY id

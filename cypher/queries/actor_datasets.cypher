// Purpose: the datasets an actor holds or has a grant on (what a breach at the actor exposes).
// Parameters: $actor: actor id.
// Returns: zero rows if the actor is unknown, else one row {actor: {id, name, role},
//   held: [dataset id], granted: [dataset id]}.
MATCH (a:Actor {id: $actor})
RETURN a {.id, .name, .role} AS actor,
  [(a)-[:HOLDS]->(d:Dataset) | d.id] AS held,
  [(a)<-[:GRANTED_TO]-(:Grant)-[:ON|SCOPED_ON]->(d:Dataset) | d.id] AS granted

// Purpose: the datasets an actor holds or has a grant on (what a breach at the actor exposes),
//   role grants included: a teacher (who teaches a section) is reached by roster role grants,
//   a guardian by own_child role grants (grants without an actor).
// Parameters: $actor: actor id; $roster: the roster scope value; $own_child: the own_child
//   scope value (Scope enum).
// Returns: zero rows if the actor is unknown, else one row {actor: {id, name, role},
//   held: [dataset id], granted: [dataset id], broad: [dataset id] (held, or granted with a scope
//   that is not roster/own_child: the whole covered population can be reached), person: true
//   when the actor teaches a section or is a guardian (rosters and guardianship then decide
//   which students it reaches), read: [dataset id] (the datasets its access-log events name:
//   rule 10, what it is recorded as having read, whatever its grants)}.
MATCH (a:Actor {id: $actor})
WITH a, EXISTS { (a)-[:TEACHES]->(:Section) } AS teaches,
  EXISTS { (a)-[:GUARDIAN_OF]->(:Student) } AS guards
RETURN a {.id, .name, .role} AS actor,
  [(a)-[:HOLDS]->(d:Dataset) | d.id] AS held,
  [(a)<-[:GRANTED_TO]-(:Grant)-[:ON|SCOPED_ON]->(d:Dataset) | d.id] +
  [(g:Grant)-[:ON]->(d:Dataset)
     WHERE g.actor IS NULL AND ((teaches AND g.scope = $roster) OR (guards AND g.scope = $own_child))
     | d.id] AS granted,
  [(a)-[:HOLDS]->(d:Dataset) | d.id] +
  [(a)<-[:GRANTED_TO]-(g:Grant)-[:ON|SCOPED_ON]->(d:Dataset)
     WHERE NOT g.scope IN [$roster, $own_child] | d.id] AS broad,
  teaches OR guards AS person,
  COLLECT { MATCH (a)-[x:ACCESSED]->(:Student) WHERE x.dataset IS NOT NULL
            RETURN DISTINCT x.dataset } AS read

// Purpose: breach impact of an actor: the students its access-log events name (docs/rules.md
//   rule 10: an actor recorded as having read a student's record touched it on the day of the
//   event, whether or not a grant covers it). The impact evaluates each of them with the whole
//   context (its events included), apart from the classes of students that have none.
// Parameters: $actor: actor id.
// Returns: rows {key}: distinct student pseudonyms (none when the actor has no events).
MATCH (:Actor {id: $actor})-[:ACCESSED]->(s:Student)
RETURN DISTINCT s.key AS key

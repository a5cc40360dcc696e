// Purpose: names and roles of actors (to label results, e.g. actors known only from access logs).
// Parameters: $ids: list of actor ids.
// Returns: rows {id, name, role}.
UNWIND $ids AS i
MATCH (a:Actor {id: i})
RETURN a.id AS id, a.name AS name, a.role AS role

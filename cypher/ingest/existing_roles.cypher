// Purpose: actors among the given ids that the graph holds with a role not in $allowed
//   (validation: an actor has one role; a vendor never becomes a parent or a teacher through a
//   bulk file, whichever load defined it).
// Parameters: $ids: list of actor ids; $allowed: list of role values the ids may have.
// Returns: rows {id, role} for the actors found with another role.
UNWIND $ids AS i
MATCH (a:Actor {id: i})
WHERE NOT a.role IN $allowed
RETURN a.id AS id, a.role AS role

// Purpose: bulk guardianship: a parent/guardian of a student during a window. A guardian not in
//   the graph yet is created as an actor with $role (existing actors keep name and role).
// Parameters: $rows: list of {guardian (actor id), student (pseudonym), valid_from, valid_to (ISO text), k};
//   $role: the role given to guardians created here (Role.PARENT).
// Returns: nothing.
UNWIND $rows AS r
MERGE (g:Actor {id: r.guardian})
  ON CREATE SET g.name = r.guardian, g.role = $role
MERGE (s:Student {key: r.student})
MERGE (g)-[e:GUARDIAN_OF {k: r.k}]->(s)
SET e.valid_from = date(r.valid_from), e.valid_to = date(r.valid_to)

// Purpose: every workspace user, without the password hash (`lineage users list`).
// Parameters: none.
// Returns: rows {name, role, created_at} ordered by name.
MATCH (u:WorkspaceUser)
RETURN u.name AS name, u.role AS role, u.created_at AS created_at
ORDER BY name

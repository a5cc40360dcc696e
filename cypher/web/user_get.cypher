// Purpose: one workspace user by sign-in name (sign-in, and each signed-in request).
// Parameters: $user_name (lower-case sign-in name).
// Returns: zero or one row {name, role, password_hash}.
MATCH (u:WorkspaceUser {name: $user_name})
RETURN u.name AS name, u.role AS role, u.password_hash AS password_hash

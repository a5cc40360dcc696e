// Purpose: add a workspace user (sign-in name, role, Argon2id password hash); an existing name
//   is left unchanged (the caller sees nodes_created = 0 and reports it).
// Parameters: $user_name (lower-case sign-in name), $role (officer|analyst|viewer), $password_hash
//   (Argon2id PHC string), $now (datetime, UTC).
// Returns: nothing (counters: nodes_created 1 when created).
MERGE (u:WorkspaceUser {name: $user_name})
ON CREATE SET u.role = $role, u.password_hash = $password_hash, u.created_at = $now

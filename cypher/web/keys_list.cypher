// Purpose: every API key, without its hash (`lineage keys list`).
// Parameters: none.
// Returns: rows {name, role, prefix, created_at, revoked_at} ordered by name.
MATCH (k:ApiKey)
RETURN k.name AS name, k.role AS role, k.prefix AS prefix, k.created_at AS created_at,
       k.revoked_at AS revoked_at
ORDER BY name

// Purpose: the API key presented as a Bearer token, found by the SHA-256 of the key.
// Parameters: $key_hash (hex SHA-256 of the presented key).
// Returns: zero or one row {name, role, revoked (true when revoked)}.
MATCH (k:ApiKey {key_hash: $key_hash})
RETURN k.name AS name, k.role AS role, k.revoked_at IS NOT NULL AS revoked

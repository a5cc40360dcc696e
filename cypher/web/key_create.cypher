// Purpose: add an API key: its name, role, the SHA-256 of the key (never the key) and its first
//   characters for listing. An existing name is left unchanged (nodes_created = 0).
// Parameters: $key_name, $role (officer|analyst|viewer|ingest), $key_hash (hex SHA-256 of the key),
//   $prefix (first characters of the key), $now (datetime, UTC).
// Returns: nothing (counters: nodes_created 1 when created).
MERGE (k:ApiKey {name: $key_name})
ON CREATE SET k.role = $role, k.key_hash = $key_hash, k.prefix = $prefix, k.created_at = $now

// Purpose: revoke an API key (`lineage keys revoke`): it is kept, marked revoked, and refused.
// Parameters: $key_name, $now (datetime, UTC).
// Returns: nothing (counters: properties_set 1 when revoked now, 0 if unknown or revoked before).
MATCH (k:ApiKey {name: $key_name})
WHERE k.revoked_at IS NULL
SET k.revoked_at = $now

// Purpose: remove a workspace user (`lineage users remove`); look-up records keep the name.
// Parameters: $user_name (lower-case sign-in name).
// Returns: nothing (counters: nodes_deleted 1 when removed).
MATCH (u:WorkspaceUser {name: $user_name})
DETACH DELETE u

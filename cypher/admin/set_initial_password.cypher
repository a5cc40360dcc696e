// Purpose: replace the default password of the current user (the local server's `neo4j`
//   user of a home made before authentication was turned on) by the generated one. Runs on
//   the `system` database, signed in with the old password (lineage.graph.server._upgrade_password).
// Parameters: $old (string, the current password, "neo4j"), $new (string, the password of
//   HOME/password, 32 characters).
// Returns: no rows.
ALTER CURRENT USER SET PASSWORD FROM $old TO $new

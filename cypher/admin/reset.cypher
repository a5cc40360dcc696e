// Purpose: delete every node and relationship in batches (`lineage db reset --yes`); constraints
//   and indexes stay. Runs in an auto-commit transaction (CALL ... IN TRANSACTIONS).
// Parameters: none.
// Returns: nothing.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS

// Purpose: delete every node and relationship in batches (`lineage db reset --yes`); constraints
//   and indexes stay. Relationships go first, in small transactions, then the nodes: a state of a
//   million students (15 M relationships) never needs one large transaction.
//   Each statement runs in an auto-commit transaction (CALL ... IN TRANSACTIONS).
// Parameters: none.
// Returns: nothing.
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS;
MATCH (n)
CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS

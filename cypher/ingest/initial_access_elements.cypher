// Purpose: after a first load through the offline importer (`lineage load --initial`), give
//   access events without elements the empty list `lineage load` stores (the importer reads an
//   empty list as "no value"). Runs in auto-commit transactions of 50,000 relationships.
// Parameters: none.
// Returns: nothing.
MATCH ()-[x:ACCESSED]->() WHERE x.elements IS NULL
CALL (x) { SET x.elements = [] } IN TRANSACTIONS OF 50000 ROWS

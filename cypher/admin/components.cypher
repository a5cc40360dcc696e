// Purpose: the server's name, version and edition (connectivity check, `lineage db status`).
// Parameters: none.
// Returns: rows {name, version, edition}.
CALL dbms.components() YIELD name, versions, edition
RETURN name, versions[0] AS version, edition

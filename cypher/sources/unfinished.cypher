// Purpose: the sources whose last load did not finish (killed, server lost, stopped by an
//   error): until a later load of the source finishes, answers may be incomplete.
// Parameters: none.
// Returns: rows {name, started, snapshot}, ordered by name.
MATCH (l:Load)
WHERE l.finished = false
RETURN l.source AS name, l.started AS started, l.snapshot AS snapshot
ORDER BY name

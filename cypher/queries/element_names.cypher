// Purpose: the names of every data element the graph knows (the NDPA Exhibit B catalogue and
//   the elements inventories defined), to match an element a user typed (`exposure --element`).
// Parameters: none.
// Returns: one row per element: {name}, sorted by name.
MATCH (e:Element)
RETURN e.name AS name
ORDER BY name

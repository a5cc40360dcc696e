// Purpose: which of the given pseudonyms are students in the graph (a teacher or guardian ID of
//   a bulk file whose pseudonym is a student's: swapped columns would make a student an actor).
// Parameters: $keys: list of pseudonyms (keyed hashes of the IDs, never the IDs).
// Returns: rows {key} for the pseudonyms found.
UNWIND $keys AS k
MATCH (s:Student {key: k})
RETURN s.key AS key

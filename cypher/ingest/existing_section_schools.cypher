// Purpose: sections that the graph already holds at another school than the one a bulk teaching
//   file gives them (validation: a section belongs to one school, whichever load made it).
// Parameters: $rows: list of {id (section id), school (actor id)}.
// Returns: rows {id, school}: each given section found at another school, with that school's id.
UNWIND $rows AS r
MATCH (:Section {id: r.id})-[:SECTION_OF]->(o:Actor)
WHERE o.id <> r.school
RETURN r.id AS id, min(o.id) AS school

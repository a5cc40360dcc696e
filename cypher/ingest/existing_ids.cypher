// Purpose: which of the given ids the graph already holds (validation of references across loads).
// Parameters: $actors, $datasets, $agreements, $flows, $sections, $elements: lists of ids/names.
// Returns: one row {actors, datasets, agreements, flows, sections, elements}: the ids found.
CALL (*) { UNWIND $actors AS i MATCH (n:Actor {id: i}) RETURN collect(n.id) AS actors }
CALL (*) { UNWIND $datasets AS i MATCH (n:Dataset {id: i}) RETURN collect(n.id) AS datasets }
CALL (*) { UNWIND $agreements AS i MATCH (n:Agreement {id: i}) RETURN collect(n.id) AS agreements }
CALL (*) { UNWIND $flows AS i MATCH (n:Flow {id: i}) RETURN collect(n.id) AS flows }
CALL (*) { UNWIND $sections AS i MATCH (n:Section {id: i}) RETURN collect(n.id) AS sections }
CALL (*) { UNWIND $elements AS i MATCH (n:Element {name: i}) RETURN collect(n.name) AS elements }
RETURN actors, datasets, agreements, flows, sections, elements

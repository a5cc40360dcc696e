// Purpose: the stored definitions of the ids a load is about to write, so that a change to what
//   an earlier load defined is listed (and needs `lineage load --update`) instead of made silently.
// Parameters: $actors, $datasets, $agreements, $flows, $grants, $sections, $small_cells: lists of
//   ids; $elements: list of element names.
// Returns: one row {actors, datasets, agreements, flows, grants, sections, small_cells, elements}:
//   lists of maps of the stored properties plus relationship ends as ids (actor part_of, dataset
//   holder and coverage [{org, valid_from, valid_to}], section school, small cell dataset).
CALL (*) {
  UNWIND $actors AS i MATCH (a:Actor {id: i})
  RETURN collect(a {.*, part_of: head(COLLECT { MATCH (a)-[:PART_OF]->(p:Actor) RETURN p.id })}) AS actors
}
CALL (*) {
  UNWIND $datasets AS i MATCH (d:Dataset {id: i})
  RETURN collect(d {.*,
    holder: head(COLLECT { MATCH (h:Actor)-[:HOLDS]->(d) RETURN h.id }),
    coverage: COLLECT { MATCH (d)-[c:COVERS]->(o:Actor)
                        RETURN {org: o.id, valid_from: c.valid_from, valid_to: c.valid_to} }}) AS datasets
}
CALL (*) { UNWIND $agreements AS i MATCH (g:Agreement {id: i}) RETURN collect(g {.*}) AS agreements }
CALL (*) { UNWIND $flows AS i MATCH (f:Flow {id: i}) RETURN collect(f {.*}) AS flows }
CALL (*) { UNWIND $grants AS i MATCH (g:Grant {id: i}) RETURN collect(g {.*}) AS grants }
CALL (*) {
  UNWIND $sections AS i MATCH (s:Section {id: i})
  RETURN collect(s {.*, school: head(COLLECT { MATCH (s)-[:SECTION_OF]->(o:Actor) RETURN o.id })}) AS sections
}
CALL (*) {
  UNWIND $small_cells AS i MATCH (c:SmallCell {id: i})
  RETURN collect(c {.*, dataset: head(COLLECT { MATCH (c)-[:CELL_OF]->(d:Dataset) RETURN d.id })}) AS small_cells
}
CALL (*) { UNWIND $elements AS i MATCH (e:Element {name: i}) RETURN collect(e {.*}) AS elements }
RETURN actors, datasets, agreements, flows, grants, sections, small_cells, elements

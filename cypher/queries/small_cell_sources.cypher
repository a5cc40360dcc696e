// Purpose: what the named small cells of aggregates could reveal (docs/rules.md rule 5: a cell
//   reveals only the elements its source holds): the structure of every dataset and flow (no
//   student is read), to compute the elements each dataset can ever hold, and every named cell.
// Parameters: none.
// Returns: one row {datasets, flows, cells}:
//   datasets [{id, elements (null = lists none), starts (true when records can start there:
//            it has coverage, or no flow from another dataset enters it)}]
//   flows    [{source (null for a collection), target, elements}]
//   cells    [{dataset, label, elements}] named small cells that name elements
RETURN
  COLLECT { MATCH (d:Dataset)
            RETURN d {.id, .elements,
                      starts: EXISTS { (d)-[:COVERS]->() }
                              OR NOT EXISTS { (:Dataset)-[:SOURCE_OF]->(:Flow)-[:TARGETS]->(d) }}
            } AS datasets,
  COLLECT { MATCH (f:Flow)-[:TARGETS]->(t:Dataset)
            RETURN {source: f.source, target: t.id, elements: f.elements} } AS flows,
  COLLECT { MATCH (c:SmallCell)-[:CELL_OF]->(d:Dataset) WHERE size(coalesce(c.elements, [])) > 0
            RETURN {dataset: d.id, label: c.label, elements: c.elements} } AS cells

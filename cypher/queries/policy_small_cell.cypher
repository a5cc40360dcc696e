// Purpose: rule small-cell. Aggregates received by public or federal recipients must not publish
//   a cell below the minimum cell size unsuppressed (FERPA §99.31(b)(1) de-identification; NCES
//   minimum-n guidance). Finds: named small cells published unsuppressed below the threshold;
//   a recorded smallest cell below it without suppression; suppression with a declared minimum
//   below the policy threshold; and aggregates that record neither suppression nor a smallest
//   cell (cannot be shown to pass).
// Parameters: $recipient_roles: actor roles checked (e.g. ['public', 'federal']);
//   $min_cell_size: policy threshold overriding every dataset's own minimum (null = use the
//   dataset's min_cell_size); $default_min_cell_size: threshold when neither is set (10).
// Returns: one row per failing aggregate: {dataset, recipient, threshold, declared_min,
//   suppressed, smallest_cell, problem ('cells' | 'smallest' | 'weak_suppression' | 'unknown'),
//   cells: [{label, size}] (named unsuppressed cells below the threshold),
//   flows: [{id, source, discloser}] (the flows that feed the aggregate)}.
MATCH (h:Actor)-[:HOLDS]->(d:Dataset {granularity: 'aggregate'})
WHERE h.role IN $recipient_roles
WITH h, d, coalesce($min_cell_size, d.min_cell_size, $default_min_cell_size) AS threshold
WITH h, d, threshold,
  [(c:SmallCell)-[:CELL_OF]->(d)
     WHERE NOT coalesce(c.suppressed, d.suppressed, false) AND c.size < threshold
     | c {.label, .size}] AS cells
WITH h, d, threshold, cells,
  CASE
    WHEN size(cells) > 0 THEN 'cells'
    WHEN d.suppressed = true THEN
      CASE WHEN d.min_cell_size IS NOT NULL AND d.min_cell_size < threshold
           THEN 'weak_suppression' END
    WHEN d.smallest_cell IS NOT NULL THEN
      CASE WHEN d.smallest_cell < threshold THEN 'smallest' END
    ELSE 'unknown'
  END AS problem
WHERE problem IS NOT NULL
RETURN d.id AS dataset, h.id AS recipient, threshold, d.min_cell_size AS declared_min,
  d.suppressed AS suppressed, d.smallest_cell AS smallest_cell, problem, cells,
  [(src:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(d) |
     {id: f.id, source: src.id, discloser: [(x:Actor)-[:HOLDS]->(src) | x.id][0]}] AS flows
ORDER BY dataset

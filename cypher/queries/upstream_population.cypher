// Purpose: the datasets upstream of the given ones (impact): with $all_flows through every
//   flow (the datasets whose records can reach them), otherwise only through flows that do not
//   list their students: the datasets whose whole population can flow in (a flow that lists its
//   students, such as a transfer, carries only those; impact finds them as its subjects).
//   Bounded (12 flows), directed, distinct datasets (no path enumeration: a ring of transfers
//   between districts is expanded once).
// Parameters: $datasets: dataset ids (included in the result); $all_flows: boolean.
// Returns: rows {id}.
CALL () {
  WITH 1 AS one WHERE $all_flows
  UNWIND $datasets AS did
  MATCH (d:Dataset)-[:SOURCE_OF|TARGETS*0..24]->(:Dataset {id: did})
  RETURN d
  UNION
  WITH 1 AS one WHERE NOT $all_flows
  UNWIND $datasets AS did
  MATCH (d:Dataset)((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(:Dataset)
          WHERE f.subjects_only IS NULL OR f.subjects_only = false){0,12}(:Dataset {id: did})
  RETURN d
}
RETURN DISTINCT d.id AS id

// Purpose: the datasets whose whole population can flow into the given datasets: upstream
//   through flows that do not list their students (a flow that lists its students, such as a
//   transfer, carries only those; impact finds them as the flow's subjects instead).
//   Bounded (12 flows), directed, distinct datasets.
// Parameters: $datasets: dataset ids (included in the result).
// Returns: rows {id}.
UNWIND $datasets AS did
MATCH (d:Dataset)((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(:Dataset)
        WHERE f.subjects_only IS NULL OR f.subjects_only = false){0,12}(:Dataset {id: did})
RETURN DISTINCT d.id AS id

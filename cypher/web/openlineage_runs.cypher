// Purpose: the OpenLineage runs received, newest first, with their last state: a run whose last
//   event is not COMPLETE, FAIL or ABORT is an unfinished load (Sources page).
// Parameters: $limit (maximum runs).
// Returns: rows {run_id, job_namespace, job_name, events, first_time, last_time, last_type,
//   received_by, unfinished}.
MATCH (e:OpenLineageEvent {kind: 'run'})
WITH e ORDER BY e.event_time, e.received_at
WITH e.run_id AS run_id, collect(e) AS es
WITH run_id, es, es[-1] AS last
RETURN run_id, last.job_namespace AS job_namespace, last.job_name AS job_name,
       size(es) AS events, es[0].event_time AS first_time, last.event_time AS last_time,
       last.event_type AS last_type, last.received_by AS received_by,
       NOT coalesce(last.event_type, '') IN ['COMPLETE', 'FAIL', 'ABORT'] AS unfinished
ORDER BY last_time DESC
LIMIT $limit

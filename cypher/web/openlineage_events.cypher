// Purpose: every OpenLineage event received so far, oldest first, as it was received: the
//   receiver replays them through the mapping so that a flow is dated from the first to the
//   last completed run seen.
// Parameters: none.
// Returns: one row per event {raw: the event as JSON text}.
MATCH (e:OpenLineageEvent)
RETURN e.raw AS raw
ORDER BY e.event_time, e.received_at

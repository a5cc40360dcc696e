// Purpose: store OpenLineage events as received (append-only), before and apart from mapping
//   them onto the lineage graph: the event's lineage facts as JSON (lineage_facts: no
//   free-text facets) and the fields needed to find them again.
// Parameters: $events: list of {kind (run|dataset|job), event_type, event_time (ISO text),
//   run_id, job_namespace, job_name, dataset_namespace, dataset_name, producer, schema_url,
//   raw (the event's lineage facts as JSON text)}; $received_by (API key name); $now (datetime, UTC).
// Returns: one row {stored: number of events stored}.
UNWIND $events AS e
CREATE (x:OpenLineageEvent {received_at: $now, received_by: $received_by, kind: e.kind,
        event_type: e.event_type, event_time: e.event_time, run_id: e.run_id,
        job_namespace: e.job_namespace, job_name: e.job_name,
        dataset_namespace: e.dataset_namespace, dataset_name: e.dataset_name,
        producer: e.producer, schema_url: e.schema_url, raw: e.raw})
RETURN count(x) AS stored

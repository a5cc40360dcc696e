// Purpose: record that a load of one source starts, BEFORE any of its rows is written: the
//   (:Source {name, kind}) node and its one (:Load) record (the source's last load, replaced
//   whole: row counts of an earlier load go), marked unfinished until load_finish runs.
// Parameters: $source: source name; $kind: inventory, dictionary, oneroster, edfi or
//   openlineage; $load: this load's id (random, text); $started: date-time (UTC);
//   $snapshot: the export's date (a full snapshot) or null.
// Returns: nothing.
MERGE (s:Source {name: $source})
SET s.kind = $kind
MERGE (l:Load {source: $source})
SET l = {source: $source, id: $load, kind: $kind, started: $started, finished: false,
         snapshot: $snapshot}
MERGE (s)-[:LAST_LOAD]->(l)

// Purpose: constraints and indexes of the web workspace's own nodes (users, API keys, look-up
//   records, OpenLineage events received). Idempotent (IF NOT EXISTS); run by `lineage serve`,
//   `lineage users` and `lineage keys` before they write.
// Parameters: none.
// Returns: nothing. Run statement by statement by lineage.graph.store.Store.run_schema("web/schema").
CREATE CONSTRAINT workspace_user_name IF NOT EXISTS FOR (n:WorkspaceUser) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT api_key_name IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT api_key_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.key_hash IS UNIQUE;
CREATE INDEX lookup_at IF NOT EXISTS FOR (n:Lookup) ON (n.at);
CREATE INDEX lookup_student IF NOT EXISTS FOR (n:Lookup) ON (n.student);
CREATE INDEX lookup_who IF NOT EXISTS FOR (n:Lookup) ON (n.who);
CREATE INDEX openlineage_run IF NOT EXISTS FOR (n:OpenLineageEvent) ON (n.run_id)

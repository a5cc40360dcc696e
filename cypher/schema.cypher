// Purpose: constraints and indexes of the lineage graph. Idempotent (IF NOT EXISTS).
// Parameters: none.
// Returns: nothing. Run statement by statement by lineage.graph.store.Store.run_schema().
CREATE CONSTRAINT student_key IF NOT EXISTS FOR (n:Student) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT element_name IF NOT EXISTS FOR (n:Element) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT actor_id IF NOT EXISTS FOR (n:Actor) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (n:Dataset) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT agreement_id IF NOT EXISTS FOR (n:Agreement) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT flow_id IF NOT EXISTS FOR (n:Flow) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT grant_id IF NOT EXISTS FOR (n:Grant) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT section_id IF NOT EXISTS FOR (n:Section) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT small_cell_id IF NOT EXISTS FOR (n:SmallCell) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT pseudonym_key_id IF NOT EXISTS FOR (n:PseudonymKey) REQUIRE n.id IS UNIQUE;
CREATE INDEX actor_role IF NOT EXISTS FOR (n:Actor) ON (n.role);
CREATE INDEX dataset_granularity IF NOT EXISTS FOR (n:Dataset) ON (n.granularity);
CREATE INDEX grant_scope IF NOT EXISTS FOR (n:Grant) ON (n.scope);
CREATE INDEX flow_kind IF NOT EXISTS FOR (n:Flow) ON (n.kind);
CREATE CONSTRAINT source_name IF NOT EXISTS FOR (n:Source) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT load_source IF NOT EXISTS FOR (n:Load) REQUIRE n.source IS UNIQUE

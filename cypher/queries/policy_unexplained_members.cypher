// Purpose: rule unexplained-members (candidates). A members_only dataset (a research sample, an
//   opt-in list) that flows from other datasets feed keeps only its members *of what the flows
//   deliver* (docs/rules.md rule 2): a listed member whose records no inflow can deliver is not
//   held, and the graph cannot show how that record got there (FERPA §99.32(a): the record of
//   disclosures must name where data went). This query lists each such dataset with its
//   members; the lineage rules decide, per member, whether an inflow delivers the record
//   (lineage.questions.audit).
// Parameters: none.
// Returns: one row per members_only dataset with an inflow from another dataset:
//   {dataset, holder, members: [student key]} (pseudonyms; never shown), sorted by dataset.
MATCH (h:Actor)-[:HOLDS]->(d:Dataset {members_only: true})
WHERE EXISTS { (:Dataset)-[:SOURCE_OF]->(:Flow)-[:TARGETS]->(d) }
RETURN d.id AS dataset, h.id AS holder,
  COLLECT { MATCH (s:Student)-[:MEMBER_OF]->(d) RETURN DISTINCT s.key } AS members
ORDER BY dataset

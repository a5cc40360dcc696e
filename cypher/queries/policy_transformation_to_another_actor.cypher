// Purpose: rule transformation-to-another-actor. A transformation derives a dataset from others
//   within one actor; data that leaves one actor for another is a disclosure (domain brief), with
//   a legal basis (FERPA §99.30, §99.31) and a place in the record of disclosures (§99.32). Finds
//   transformation flows into a student-level (identifiable) dataset whose holder and the
//   source's differ (de-identified or aggregate data leaving is not a disclosure of PII, FERPA
//   §99.31(b)); the disclosure rules, which read disclosure flows, do not see them.
//   lineage.questions.audit then drops the pairs within one educational agency.
// Parameters: $transformation: the transformation flow kind value; $student: the student
//   granularity value.
// Returns: one row per such flow: {id, discloser (holder of the source), recipient (holder of
//   the target), source, target, operation}.
MATCH (h1:Actor)-[:HOLDS]->(src:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(t:Dataset)<-[:HOLDS]-(h2:Actor)
WHERE f.kind = $transformation AND h1 <> h2 AND t.granularity = $student
RETURN f.id AS id, h1.id AS discloser, h2.id AS recipient, src.id AS source, t.id AS target,
  f.operation AS operation
ORDER BY discloser, id

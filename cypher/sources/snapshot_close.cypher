// Purpose: close what a full snapshot of a source no longer asserts (docs/rules.md "Sources
//   and snapshots"): enrolments, roster rows, teaching, guardianships (relationships), then
//   grants and flows (nodes) that list $source, were not written by this load (seen_in <>
//   $load) and are open on the snapshot date. Asserted by $source alone: valid_to becomes the
//   snapshot date (inclusive); also asserted by another source: $source leaves `sources`, the
//   window stays. Nothing is deleted. Batched (CALL ... IN TRANSACTIONS): auto-commit.
// Parameters: $source: source name; $load: the snapshot load's id; $snapshot: the export's date.
// Returns: one row {closed, released} per statement.
MATCH ()-[x:ENROLLED_AT|IN_SECTION|TEACHES|GUARDIAN_OF]->()
WHERE $source IN x.sources AND coalesce(x.seen_in, '') <> $load
  AND (x.valid_from IS NULL OR x.valid_from <= $snapshot)
  AND (x.valid_to IS NULL OR x.valid_to >= $snapshot)
CALL (x) {
  WITH x, size(x.sources) = 1 AS alone
  SET x.valid_to = CASE WHEN alone THEN $snapshot ELSE x.valid_to END,
      x.sources = CASE WHEN alone THEN x.sources ELSE [z IN x.sources WHERE z <> $source] END
  RETURN alone
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(CASE WHEN alone THEN 1 END) AS closed, count(CASE WHEN NOT alone THEN 1 END) AS released;
MATCH (x:Grant|Flow)
WHERE $source IN x.sources AND coalesce(x.seen_in, '') <> $load
  AND (x.valid_from IS NULL OR x.valid_from <= $snapshot)
  AND (x.valid_to IS NULL OR x.valid_to >= $snapshot)
CALL (x) {
  WITH x, size(x.sources) = 1 AS alone
  SET x.valid_to = CASE WHEN alone THEN $snapshot ELSE x.valid_to END,
      x.sources = CASE WHEN alone THEN x.sources ELSE [z IN x.sources WHERE z <> $source] END
  RETURN alone
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(CASE WHEN alone THEN 1 END) AS closed, count(CASE WHEN NOT alone THEN 1 END) AS released

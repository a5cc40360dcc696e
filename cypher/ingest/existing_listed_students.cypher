// Purpose: the students each source already lists inline for a flow (SUBJECT_OF) or a small cell
//   (IN_CELL), so that a load whose inventory no longer lists some of them shows that as a change
//   (it needs `lineage load --update`) instead of keeping them silently. For a flow only the
//   students the source lists inline count (`inline_sources`), not those a subjects file of the
//   source lists too (`file_sources`): subjects files only ever add.
// Parameters: $flows, $cells: lists of {id, source}: a flow or small cell id and the source name
//   of the load that defines it.
// Returns: one row {flows: [{id, source, keys}], cells: [{id, source, keys}]}: `keys` are the
//   pseudonyms of the students whose relationship lists that source (inline, for a flow;
//   empty when none).
CALL (*) {
  UNWIND $flows AS r
  MATCH (f:Flow {id: r.id})
  RETURN collect({id: r.id, source: r.source,
                  keys: COLLECT { MATCH (s:Student)-[x:SUBJECT_OF]->(f)
                                  WHERE r.source IN coalesce(x.inline_sources, [])
                                    AND NOT r.source IN coalesce(x.file_sources, [])
                                  RETURN s.key }}) AS flows
}
CALL (*) {
  UNWIND $cells AS r
  MATCH (c:SmallCell {id: r.id})
  RETURN collect({id: r.id, source: r.source,
                  keys: COLLECT { MATCH (s:Student)-[x:IN_CELL]->(c)
                                  WHERE r.source IN x.sources RETURN s.key }}) AS cells
}
RETURN flows, cells

// Purpose: create or update data elements.
// Parameters: $rows: list of {name, category, sensitive, ceds_id, description, own (true when
//   an input of the load defines the element; the NDPA catalogue is vocabulary, asserted by no
//   source)};
//   $source: the source name the load speaks for (added to the sorted `sources` list of every
//   node and relationship written here); $load: the id of a snapshot load or null.
// Returns: nothing.
UNWIND $rows AS r
MERGE (e:Element {name: r.name})
SET e.category = r.category, e.sensitive = r.sensitive,
    e.ceds_id = coalesce(r.ceds_id, e.ceds_id), e.description = coalesce(r.description, e.description),
    e.sources = CASE WHEN NOT r.own THEN e.sources WHEN e.sources IS NULL THEN [$source] WHEN $source IN e.sources THEN e.sources
      ELSE [z IN e.sources WHERE z < $source] + $source + [z IN e.sources WHERE z > $source] END

// Purpose: create or update data elements.
// Parameters: $rows: list of {name, category, sensitive, ceds_id, description}.
// Returns: nothing.
UNWIND $rows AS r
MERGE (e:Element {name: r.name})
SET e.category = r.category, e.sensitive = r.sensitive,
    e.ceds_id = coalesce(r.ceds_id, e.ceds_id), e.description = coalesce(r.description, e.description)

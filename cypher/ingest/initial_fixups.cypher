// Purpose: after a first load through the offline importer (`lineage load --initial`), set the
//   inventory properties whose value is an empty string or an empty list: the importer reads
//   both as "no value", while `lineage load` stores them (lineage.graph.importer).
// Parameters: $rows: list of {label (node label), id (the node's id; an Element's name),
//   props: map of property -> '' or []}.
// Returns: nothing.
UNWIND $rows AS r
CALL (r) { WITH r WHERE r.label = 'Element' MATCH (n:Element {name: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Actor' MATCH (n:Actor {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Dataset' MATCH (n:Dataset {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'SmallCell' MATCH (n:SmallCell {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Agreement' MATCH (n:Agreement {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Flow' MATCH (n:Flow {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Grant' MATCH (n:Grant {id: r.id}) SET n += r.props }
CALL (r) { WITH r WHERE r.label = 'Section' MATCH (n:Section {id: r.id}) SET n += r.props }

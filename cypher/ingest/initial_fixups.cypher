// Purpose: after a first load through the offline importer (`lineage load --initial`), set the
//   inventory properties whose value is an empty string or an empty list: the importer reads
//   both as "no value", while `lineage load` stores them (lineage.graph.importer). One
//   statement per label, each run only with the rows of its label: a statement of one simple
//   MATCH plans in a fraction of the time one statement for every label takes.
// Parameters: $rows: list of {label (node label), id (the node's id; an Element's name),
//   props: map of property -> '' or []}, all of the statement's label.
// Returns: nothing.
UNWIND $rows AS r MATCH (n:Element {name: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Actor {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Dataset {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:SmallCell {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Agreement {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Flow {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Grant {id: r.id}) SET n += r.props;
UNWIND $rows AS r MATCH (n:Section {id: r.id}) SET n += r.props

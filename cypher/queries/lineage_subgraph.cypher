// Purpose: the dataset subgraph the lineage rules work on, in ONE round trip: every dataset
//   downstream of the start datasets (bounded, directed traversal returning distinct datasets,
//   not paths; at most 12 flows) with its holder, its inflows from inside the subgraph (with their agreement;
//   flows from datasets the records never reach cannot carry them) and the grants that can
//   matter, plus the names and roles of the actors involved.
// Parameters: $starts: dataset ids where the records start (a student's coverage, memberships,
//   flows listing the student, small cells, and the datasets its access-log events read; or
//   for impact the datasets upstream of a breach);
//   $subject_flows: the flows that list the student (a flow that lists its students is only
//   followed when it lists this one: a transfer of other students never carries this one's
//   records); $all_flows: true to follow every flow (impact);
//   $within: null, or dataset ids: keep only these (impact: the datasets upstream of a breach);
//   $orgs: org ids (broad grants scoped to one of them count; [] = none);
//   $people: actor ids whose own grants count whatever their scope, and whose names are wanted
//   (a student's teachers and guardians and access-log actors; an impact's actor; may be []).
//   Role grants (no actor: every teacher / every guardian) always count.
// Returns: one row {datasets, actors}:
//   datasets  [{id, name, granularity, elements, members_only, retention, valid_from, valid_to,
//             min_cell_size, suppressed, origin (true when no flow from another dataset
//             enters it anywhere in the graph: its members are where records start),
//             holder: {id, name, role}, coverage: [{org,
//             valid_from, valid_to}], inflows: [flow {..., population (free text),
//             agreement_info}], grants: [grant {id, actor, scope, scope_org, elements,
//             legal_basis, agreement, purpose, valid_from, valid_to, agreement_info}]}]
//   actors    [{id, name, role}] grant actors and $people found in the graph
CALL () {
  // every flow: a variable-length expand that Neo4j prunes to distinct datasets (no paths),
  // so rings of transfers between districts cost nothing
  WITH 1 AS one WHERE $all_flows
  UNWIND $starts AS sid
  MATCH (:Dataset {id: sid})-[:SOURCE_OF|TARGETS*0..24]->(d:Dataset)
  RETURN d
  UNION
  // one student: flows that list other students are not followed (no ring to enumerate)
  WITH 1 AS one WHERE NOT $all_flows
  UNWIND $starts AS sid
  MATCH (:Dataset {id: sid})((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(:Dataset)
          WHERE f.subjects_only IS NULL OR f.subjects_only = false
                OR f.id IN $subject_flows){0,12}(d:Dataset)
  RETURN d
}
WITH collect(d) AS downstream
WITH [x IN downstream WHERE $within IS NULL OR x.id IN $within] AS reached
WITH reached, [x IN reached | x.id] AS reached_ids
UNWIND reached AS d
WITH d, reached_ids,
  [(g:Grant)-[:ON]->(d) WHERE g.scope = 'all' OR g.scope_org IN $orgs OR g.actor IN $people
                              OR g.actor IS NULL | g] +
  CASE WHEN size($people) = 0 THEN [] ELSE
    [(g:Grant)-[:SCOPED_ON]->(d) WHERE g.actor IN $people | g] END AS grants
WITH collect({
  id: d.id, name: d.name, granularity: d.granularity, elements: d.elements,
  members_only: d.members_only, retention: d.retention, valid_from: d.valid_from,
  valid_to: d.valid_to, min_cell_size: d.min_cell_size, suppressed: d.suppressed,
  origin: NOT EXISTS { (:Dataset)-[:SOURCE_OF]->(:Flow)-[:TARGETS]->(d) },
  holder: [(h:Actor)-[:HOLDS]->(d) | h {.id, .name, .role}][0],
  coverage: [(d)-[c:COVERS]->(o:Actor) | {org: o.id, valid_from: c.valid_from, valid_to: c.valid_to}],
  inflows: [(f:Flow)-[:TARGETS]->(d) WHERE f.source IS NULL OR f.source IN reached_ids |
     f {.id, .kind, .operation, .source, .target, .elements, .legal_basis, .agreement, .purpose,
        .threat, .valid_from, .valid_to, .subjects_only, .population,
        agreement_info: [(f)-[:UNDER]->(ag:Agreement) |
          ag {.id, .kind, .purpose, .legal_basis, .valid_from, .valid_to, .destroy_by,
              .permitted_elements, .recipients}][0]}],
  grants: [g IN grants | g {.id, .actor, .scope, .scope_org, .elements, .legal_basis,
                            .agreement, .purpose, .valid_from, .valid_to,
                            agreement_info: [(g)-[:UNDER]->(ag:Agreement) |
                              ag {.id, .valid_from, .valid_to}][0]}]
}) AS datasets, collect(grants) AS grant_lists
WITH datasets,
  reduce(acc = $people, l IN grant_lists | acc + [g IN l WHERE g.actor IS NOT NULL | g.actor]) AS ids
RETURN datasets,
  COLLECT { UNWIND ids AS i WITH DISTINCT i MATCH (a:Actor {id: i}) RETURN a {.id, .name, .role} }
    AS actors

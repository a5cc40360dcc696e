// Purpose: everything the lineage rules need, in ONE round trip: the context of each given
//   student (bounded, from the student) and, with $subgraph, the dataset subgraph the rules run
//   on: every dataset downstream of the start datasets (bounded, directed traversal returning
//   distinct datasets, not paths; at most 12 flows for one student) with its holder, its
//   inflows from inside the subgraph (with their agreement; flows from datasets the records
//   never reach cannot carry them) and the grants that can matter, plus the names and roles of
//   the actors involved. Used for one student with its subgraph by exposure; for batches of
//   students without it by impact (per student) and the audit; for a breach's upstream
//   datasets without students by impact. Each organisation's chain up the hierarchy is walked
//   once per student, not once per enrolment or roster row; each section's teachers and school
//   are read in one walk of its relationships. The pseudonym key check value comes in the same
//   row, so that a student question is one round trip (lineage.graph.keys.check_recorded).
// Parameters: $student_keys: list of pseudonyms (keyed hashes; never raw IDs), may be [];
//   $subgraph: true to return the subgraph (false: datasets and actors are null);
//   $starts: dataset ids where records start besides the students' own (impact: the datasets
//   upstream of a breach), may be []; the students' coverage, memberships, small cells and
//   access-log datasets are added;
//   $orgs: org ids (broad grants scoped to one of them count); the students' orgs are added;
//   $people: actor ids whose own grants count whatever their scope, and whose names are wanted
//   (an impact's actor); the students' teachers, guardians and access-log actors are added.
//   Role grants (no actor: every teacher / every guardian) always count;
//   $all_flows: true to follow every flow (impact), false to follow a flow that lists its
//   students only when it lists one of the given students ($subject_flows and theirs: a
//   transfer of other students never carries this one's records);
//   $subject_flows: flow ids listing the student besides the students' own, may be [];
//   $within: null, or dataset ids: keep only these (impact: the datasets upstream of a breach).
// Returns: one row {students, datasets, actors, key_check}:
//   students  [{key, enrolments, coverage, memberships, subject_flows, cells, teaching,
//             guardians, accesses}] one per known student (unknown keys give none):
//     enrolments  [{org, chain: [org ids up the hierarchy], valid_from, valid_to}]
//     coverage    [{dataset, org, enrol_from, enrol_to, valid_from, valid_to}] datasets
//                 covering an org the student was enrolled at (or an org above it)
//     memberships [{dataset, valid_from, valid_to}] explicit dataset membership
//     subject_flows [flow id] flows that list this student
//     cells       [{id, dataset, label, size, suppressed, elements}] named small cells
//     teaching    [{teacher, section, chain: [school id and the orgs above it], in_from, in_to,
//                 teach_from, teach_to}] roster links
//     guardians   [{guardian, valid_from, valid_to}]
//     accesses    [{actor, at, dataset, action, elements}] access-log events about the student
//   datasets  [{id, name, granularity, elements, members_only, retention, valid_from, valid_to,
//             min_cell_size, suppressed, smallest_cell, named_cells (small cells it
//             lists with their students), origin (true when no flow from another dataset
//             enters it anywhere in the graph: its members are where records start),
//             holder: {id, name, role, chain: [{id, role, hops}] of the actors above it,
//             up to 6 PART_OF hops (lineage.rules.evaluator.agency_of)}, coverage: [{org, valid_from, valid_to}],
//             inflows: [flow {..., population (free text), agreement_info}], grants: [grant {id, actor, scope,
//             scope_org, elements, legal_basis, agreement, purpose, valid_from, valid_to,
//             agreement_info}]}] ([] when nothing starts)
//   actors    [{id, name, role, chain: [{id, role, hops}] as for a holder}] grant actors and
//             people found in the graph
//   key_check the pseudonym key check value the graph records (null: none), as
//             cypher/admin/key_check.cypher reads it
CALL () {
  UNWIND $student_keys AS student_key
  MATCH (s:Student {key: student_key})
  WITH s,
    [(s)-[e:ENROLLED_AT]->(o:Actor) | {org: o, e: e}] AS enrols,
    // each section's relationships walked once: its teachers (in) and its school (out)
    reduce(acc = [], x IN [(s)-[r:IN_SECTION]->(x:Section) |
                             {x: x, r: r, ends: [(x)-[q:TEACHES|SECTION_OF]-(y:Actor)
                               WHERE (type(q) = 'TEACHES') = (endNode(q) = x) | {q: q, y: y}]}] |
      acc + [e IN x.ends WHERE type(e.q) = 'TEACHES' |
             {x: x.x, r: x.r, t: e.q, a: e.y,
              school: [o IN x.ends WHERE type(o.q) = 'SECTION_OF' | o.y][0]}]) AS rosters
  // each distinct org once, with its chain of nodes up the hierarchy
  WITH s, enrols, rosters,
    [o IN reduce(acc = [], o IN [e IN enrols | e.org] +
                   [r IN rosters WHERE r.school IS NOT NULL | r.school] |
                 CASE WHEN o IN acc THEN acc ELSE acc + o END) |
     {org: o, chain: [o] + [(o)-[:PART_OF*1..3]->(p:Actor) | p]}] AS chains
  WITH s, rosters, chains,
    [e IN enrols | {e: e.e, chain: [c IN chains WHERE c.org = e.org][0].chain}] AS enrols
  RETURN collect({
    key: s.key,
    enrolments: [e IN enrols | {org: e.chain[0].id, chain: [n IN e.chain | n.id],
                                valid_from: e.e.valid_from, valid_to: e.e.valid_to}],
    coverage: COLLECT {
      UNWIND enrols AS e
      UNWIND e.chain AS o
      MATCH (o)<-[c:COVERS]-(d:Dataset)
      RETURN {dataset: d.id, org: o.id, enrol_from: e.e.valid_from, enrol_to: e.e.valid_to,
              valid_from: c.valid_from, valid_to: c.valid_to} },
    memberships: [(s)-[m:MEMBER_OF]->(d:Dataset) |
                  {dataset: d.id, valid_from: m.valid_from, valid_to: m.valid_to}],
    subject_flows: [(s)-[:SUBJECT_OF]->(f:Flow) | f.id],
    cells: [(s)-[:IN_CELL]->(c:SmallCell)-[:CELL_OF]->(d:Dataset) |
            {id: c.id, dataset: d.id, label: c.label, size: c.size, suppressed: c.suppressed,
             elements: c.elements}],
    teaching: [r IN rosters |
               {teacher: r.a.id, section: r.x.id,
                chain: CASE WHEN r.school IS NULL THEN null
                       ELSE [n IN [c IN chains WHERE c.org = r.school][0].chain | n.id] END,
                in_from: r.r.valid_from, in_to: r.r.valid_to,
                teach_from: r.t.valid_from, teach_to: r.t.valid_to}],
    guardians: [(g:Actor)-[r:GUARDIAN_OF]->(s) |
                {guardian: g.id, valid_from: r.valid_from, valid_to: r.valid_to}],
    accesses: [(a:Actor)-[x:ACCESSED]->(s) |
               {actor: a.id, at: x.at, dataset: x.dataset, action: x.action,
                elements: x.elements}]}) AS students
}
WITH students,
  reduce(acc = $starts, st IN students | acc + [c IN st.coverage | c.dataset] +
         [m IN st.memberships | m.dataset] + [c IN st.cells | c.dataset] +
         [a IN st.accesses WHERE a.dataset IS NOT NULL | a.dataset]) AS starts,
  reduce(acc = $orgs, st IN students |
         acc + reduce(x = [], e IN st.enrolments | x + e.chain)) AS orgs,
  reduce(acc = $people, st IN students | acc + [t IN st.teaching | t.teacher] +
         [g IN st.guardians | g.guardian] + [a IN st.accesses | a.actor]) AS people,
  reduce(acc = $subject_flows, st IN students | acc + st.subject_flows) AS subject_flows
OPTIONAL CALL (starts, orgs, people, subject_flows) {
  WITH starts, orgs, people, subject_flows WHERE $subgraph
  // a COLLECT subquery: one row (an empty list) even when nothing starts
  WITH orgs, people, COLLECT {
    CALL (starts, subject_flows) {
      // every flow: a variable-length expand that Neo4j prunes to distinct datasets (no paths),
      // so rings of transfers between districts cost nothing
      WITH starts WHERE $all_flows
      UNWIND starts AS sid
      MATCH (:Dataset {id: sid})-[:SOURCE_OF|TARGETS*0..24]->(d:Dataset)
      RETURN d
      UNION
      // the students': flows that list other students are not followed (no ring to enumerate)
      WITH starts, subject_flows WHERE NOT $all_flows
      UNWIND starts AS sid
      MATCH (:Dataset {id: sid})((:Dataset)-[:SOURCE_OF]->(f:Flow)-[:TARGETS]->(:Dataset)
              WHERE f.subjects_only IS NULL OR f.subjects_only = false
                    OR f.id IN subject_flows){0,12}(d:Dataset)
      RETURN d
    }
    RETURN d
  } AS downstream
  WITH orgs, people, [x IN downstream WHERE $within IS NULL OR x.id IN $within] AS reached
  WITH orgs, people, reached, [x IN reached | x.id] AS reached_ids
  // one row even when nothing is reached (the people's names are still wanted)
  UNWIND CASE WHEN reached = [] THEN [null] ELSE reached END AS d
  WITH d, people, reached_ids,
    CASE WHEN d IS NULL THEN [] ELSE
      [(g:Grant)-[:ON]->(d) WHERE g.scope = 'all' OR g.scope_org IN orgs OR g.actor IN people
                                  OR g.actor IS NULL | g] +
      CASE WHEN size(people) = 0 THEN [] ELSE
        [(g:Grant)-[:SCOPED_ON]->(d) WHERE g.actor IN people | g] END END AS grants
  WITH people, collect(CASE WHEN d IS NULL THEN null ELSE {
    id: d.id, name: d.name, granularity: d.granularity, elements: d.elements,
    members_only: d.members_only, retention: d.retention, valid_from: d.valid_from,
    valid_to: d.valid_to, min_cell_size: d.min_cell_size, suppressed: d.suppressed,
    smallest_cell: d.smallest_cell, named_cells: COUNT { (:SmallCell)-[:CELL_OF]->(d) },
    origin: NOT EXISTS { (:Dataset)-[:SOURCE_OF]->(:Flow)-[:TARGETS]->(d) },
    holder: [(h:Actor)-[:HOLDS]->(d) |
             h {.id, .name, .role,
                chain: [path = (h)-[:PART_OF*1..6]->(p:Actor) |
                        p {.id, .role, hops: length(path)}]}][0],
    coverage: [(d)-[c:COVERS]->(o:Actor) |
               {org: o.id, valid_from: c.valid_from, valid_to: c.valid_to}],
    inflows: [(f:Flow)-[:TARGETS]->(d) WHERE f.source IS NULL OR f.source IN reached_ids |
       f {.id, .kind, .operation, .source, .target, .elements, .legal_basis, .agreement,
          .purpose, .threat, .valid_from, .valid_to, .subjects_only, .population,
          agreement_info: [(f)-[:UNDER]->(ag:Agreement) |
            ag {.id, .kind, .purpose, .legal_basis, .valid_from, .valid_to, .destroy_by,
                .permitted_elements, .recipients}][0]}],
    grants: [g IN grants | g {.id, .actor, .scope, .scope_org, .elements, .legal_basis,
                              .agreement, .purpose, .valid_from, .valid_to,
                              agreement_info: [(g)-[:UNDER]->(ag:Agreement) |
                                ag {.id, .valid_from, .valid_to}][0]}]
  } END) AS datasets, collect(grants) AS grant_lists
  WITH datasets,
    reduce(acc = people, l IN grant_lists | acc + [g IN l WHERE g.actor IS NOT NULL | g.actor])
      AS ids
  RETURN datasets,
    COLLECT { UNWIND ids AS i WITH DISTINCT i MATCH (a:Actor {id: i})
              RETURN a {.id, .name, .role,
                        chain: [path = (a)-[:PART_OF*1..6]->(p:Actor) |
                                p {.id, .role, hops: length(path)}]} }
      AS actors
}
RETURN students, datasets, actors,
  COLLECT { MATCH (k:PseudonymKey {id: 'pseudonym-key'}) RETURN k.check }[0] AS key_check

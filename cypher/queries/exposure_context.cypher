// Purpose: everything about each given student that the lineage rules need (bounded, from the
//   student; used for one student by exposure and in batches by impact).
// Parameters: $student_keys: list of pseudonyms (keyed hashes; never raw IDs).
// Returns: one row per known student (unknown keys give no row):
//   key         the pseudonym
//   enrolments  [{org, chain: [org ids up the hierarchy], valid_from, valid_to}]
//   coverage    [{dataset, org, enrol_from, enrol_to, valid_from, valid_to}] datasets covering an
//               org the student was enrolled at (or an org above it), with both windows
//   memberships [{dataset, valid_from, valid_to}] explicit dataset membership
//   subject_flows [flow id] flows that list this student
//   cells       [{id, dataset, label, size, suppressed, elements}] named small cells
//   teaching    [{teacher, section, chain: [school id and the orgs above it], in_from, in_to,
//               teach_from, teach_to}] roster links
//   guardians   [{guardian, valid_from, valid_to}]
//   accesses    [{actor, at, dataset, action, elements}] access-log events about the student
UNWIND $student_keys AS student_key
MATCH (s:Student {key: student_key})
RETURN s.key AS key,
  [(s)-[e:ENROLLED_AT]->(o:Actor) |
     {org: o.id, chain: [o.id] + [(o)-[:PART_OF*1..3]->(p:Actor) | p.id],
      valid_from: e.valid_from, valid_to: e.valid_to}] AS enrolments,
  [(s)-[e:ENROLLED_AT]->(:Actor)-[:PART_OF*0..3]->(o:Actor)<-[c:COVERS]-(d:Dataset) |
     {dataset: d.id, org: o.id, enrol_from: e.valid_from, enrol_to: e.valid_to,
      valid_from: c.valid_from, valid_to: c.valid_to}] AS coverage,
  [(s)-[m:MEMBER_OF]->(d:Dataset) |
     {dataset: d.id, valid_from: m.valid_from, valid_to: m.valid_to}] AS memberships,
  [(s)-[:SUBJECT_OF]->(f:Flow) | f.id] AS subject_flows,
  [(s)-[:IN_CELL]->(c:SmallCell)-[:CELL_OF]->(d:Dataset) |
     {id: c.id, dataset: d.id, label: c.label, size: c.size, suppressed: c.suppressed,
      elements: c.elements}] AS cells,
  [(s)-[r:IN_SECTION]->(x:Section)<-[t:TEACHES]-(a:Actor) |
     {teacher: a.id, section: x.id,
      chain: [(x)-[:SECTION_OF]->(o:Actor) | [o.id] + [(o)-[:PART_OF*1..3]->(p:Actor) | p.id]][0],
      in_from: r.valid_from, in_to: r.valid_to,
      teach_from: t.valid_from, teach_to: t.valid_to}] AS teaching,
  [(g:Actor)-[r:GUARDIAN_OF]->(s) |
     {guardian: g.id, valid_from: r.valid_from, valid_to: r.valid_to}] AS guardians,
  [(a:Actor)-[x:ACCESSED]->(s) |
     {actor: a.id, at: x.at, dataset: x.dataset, action: x.action, elements: x.elements}] AS accesses

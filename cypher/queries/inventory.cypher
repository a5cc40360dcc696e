// Purpose: the public data inventory (Illinois SOPPA / Oklahoma / Utah metadata dictionary):
//   every data element collected (kept by a dataset or carried by a flow) with its NDPA
//   category and purposes, and every channel by which data leaves its holder: disclosure flows
//   to another actor, collections into a dataset held by a party other than a school or
//   district (an operator collecting under its agreement), and access grants to such parties.
//   No student-level content: no Student node is read.
// Parameters: $internal_roles: roles whose own grants and collections are internal (e.g.
//   ['district', 'school', 'teacher', 'parent', 'eligible_student']) for collections;
//   $person_roles, $own_child: a parent's or eligible student's grant on their own records
//   (scope own_child) is not a channel; any other grant, and a transformation into another
//   holder's dataset, is one here -- lineage.questions.reports.data_inventory then drops the
//   channels within one educational agency (lineage.rules.evaluator.same_agency).
// Returns: one row {elements, channels}:
//   elements [{name, category, ceds_id, sensitive, purposes: [dataset and collection purposes]}]
//   channels [{channel ('flow' | 'grant'), id, kind, operation, recipient {id, name, role},
//     discloser {id, name, role} (null for a collection), source, target, granularity (of what
//     the recipient gets), elements (moved: carried, narrowed by what the source holds and the
//     target keeps; a grant without elements reads what the dataset keeps), purpose,
//     legal_basis, population, subjects_only (a flow about listed students only), valid_from,
//     valid_to, dataset {id, name, min_cell_size, suppressed, smallest_cell},
//     agreement {id, kind, purpose, legal_basis, valid_from, valid_to, destroy_by} or null}]
CALL () {
  MATCH (e:Element)
  WHERE EXISTS { (:Dataset)-[:KEEPS]->(e) } OR EXISTS { (:Flow)-[:CARRIES]->(e) }
  WITH e ORDER BY e.category, e.name
  RETURN collect(e {.name, .category, .ceds_id, .sensitive,
    purposes: COLLECT {
      CALL (e) {
        MATCH (d:Dataset)-[:KEEPS]->(e) WHERE d.purpose IS NOT NULL RETURN d.purpose AS p
        UNION
        MATCH (f:Flow {kind: 'collection'})-[:CARRIES]->(e) WHERE f.purpose IS NOT NULL
        RETURN f.purpose AS p
      }
      RETURN p ORDER BY p
    }}) AS elements
}
CALL () {
  CALL () {
    MATCH (f:Flow)-[:TARGETS]->(t:Dataset)<-[:HOLDS]-(r:Actor)
    OPTIONAL MATCH (sh:Actor)-[:HOLDS]->(src:Dataset)-[:SOURCE_OF]->(f)
    WITH f, t, r, src, sh
    WHERE (f.kind IN ['disclosure', 'transformation'] AND sh IS NOT NULL AND sh <> r)
       OR (f.kind = 'collection' AND NOT r.role IN $internal_roles)
    OPTIONAL MATCH (f)-[:UNDER]->(ag:Agreement)
    RETURN 'flow' AS channel, f.id AS id, f.kind AS kind, f.operation AS operation, r, sh,
      src.id AS source, t.id AS target, t.granularity AS granularity,
      [e IN coalesce(f.elements, [])
         WHERE (src IS NULL OR src.elements IS NULL OR e IN src.elements)
           AND (t.elements IS NULL OR e IN t.elements)] AS elements,
      f.purpose AS purpose, coalesce(f.legal_basis, ag.legal_basis) AS legal_basis,
      coalesce(f.population, t.population) AS population,
      coalesce(f.subjects_only, false) AS subjects_only, f.valid_from AS valid_from,
      f.valid_to AS valid_to, t AS dataset, ag
    UNION
    MATCH (r:Actor)<-[:GRANTED_TO]-(g:Grant)-[:ON|SCOPED_ON]->(d:Dataset)<-[:HOLDS]-(sh:Actor)
    WHERE r <> sh AND NOT (r.role IN $person_roles AND g.scope = $own_child)
    OPTIONAL MATCH (g)-[:UNDER]->(ag:Agreement)
    RETURN 'grant' AS channel, g.id AS id, 'grant' AS kind, null AS operation, r, sh,
      d.id AS source, null AS target, d.granularity AS granularity,
      CASE WHEN size(coalesce(g.elements, [])) > 0 THEN g.elements
           WHEN d.elements IS NOT NULL THEN d.elements
           ELSE COLLECT { MATCH (x:Flow)-[:TARGETS]->(d) MATCH (x)-[:CARRIES]->(e:Element)
                          RETURN DISTINCT e.name } END AS elements,
      g.purpose AS purpose, coalesce(g.legal_basis, ag.legal_basis) AS legal_basis,
      d.population AS population, false AS subjects_only, g.valid_from AS valid_from,
      g.valid_to AS valid_to, d AS dataset, ag
  }
  WITH channel, id, kind, operation, r, sh, source, target, granularity, elements, purpose,
    legal_basis, population, subjects_only, valid_from, valid_to, dataset, ag
  ORDER BY r.id, channel, id
  RETURN collect({channel: channel, id: id, kind: kind, operation: operation,
    recipient: r {.id, .name, .role},
    discloser: CASE WHEN sh IS NULL THEN null ELSE sh {.id, .name, .role} END,
    source: source, target: target, granularity: granularity, elements: elements,
    purpose: purpose, legal_basis: legal_basis, population: population,
    subjects_only: subjects_only, valid_from: valid_from, valid_to: valid_to,
    dataset: dataset {.id, .name, .min_cell_size, .suppressed, .smallest_cell},
    agreement: CASE WHEN ag IS NULL THEN null
               ELSE ag {.id, .kind, .purpose, .legal_basis, .valid_from, .valid_to, .destroy_by} END
  }) AS channels
}
RETURN elements, channels

// Purpose: rule roster-access. A teacher reads only the records of students on their rosters
//   (FERPA §99.31(a)(1)(ii): access only to records in which the official has a legitimate
//   educational interest). An access-log event (ACCESSED) by a teacher is covered when, on its
//   date, the student is in a section the teacher teaches (both windows contain the date), or
//   the teacher holds a broad grant on that dataset valid on that date (scope 'all', or
//   'school'/'district' with the student enrolled at scope_org or a school below it).
// Parameters: $teacher_roles: actor roles checked (e.g. ['teacher']).
// Returns: one row per (teacher, dataset) with uncovered events, no student key:
//   {actor, dataset, students (distinct students), events, first (date), last (date)}.
MATCH (t:Actor)-[x:ACCESSED]->(s:Student)
WHERE t.role IN $teacher_roles
  AND NOT EXISTS {
    MATCH (t)-[te:TEACHES]->(:Section)<-[r:IN_SECTION]-(s)
    WHERE (te.valid_from IS NULL OR te.valid_from <= x.at) AND (te.valid_to IS NULL OR x.at <= te.valid_to)
      AND (r.valid_from IS NULL OR r.valid_from <= x.at) AND (r.valid_to IS NULL OR x.at <= r.valid_to)
  }
  AND NOT EXISTS {
    MATCH (t)<-[:GRANTED_TO]-(g:Grant)-[:ON]->(:Dataset {id: x.dataset})
    WHERE (g.valid_from IS NULL OR g.valid_from <= x.at) AND (g.valid_to IS NULL OR x.at <= g.valid_to)
      AND (g.scope = 'all' OR EXISTS {
        MATCH (s)-[e:ENROLLED_AT]->(:Actor)-[:PART_OF*0..3]->(:Actor {id: g.scope_org})
        WHERE (e.valid_from IS NULL OR e.valid_from <= x.at) AND (e.valid_to IS NULL OR x.at <= e.valid_to)
      })
  }
RETURN t.id AS actor, x.dataset AS dataset, count(DISTINCT s) AS students, count(x) AS events,
  min(x.at) AS first, max(x.at) AS last
ORDER BY actor, dataset

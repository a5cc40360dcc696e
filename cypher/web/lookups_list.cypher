// Purpose: look-up records, newest first, filtered (`lineage lookups`, the Look-ups page).
// Parameters: $student (pseudonym or null: any), $who (name, any case, or null: any), $since (datetime or
//   null: ever; inclusive), $limit (maximum rows).
// Returns: rows {at, who, who_kind, channel, what, student, detail}.
MATCH (l:Lookup)
WHERE ($student IS NULL OR l.student = $student)
  AND ($who IS NULL OR toLower(l.who) = toLower($who))
  AND ($since IS NULL OR l.at >= $since)
RETURN l.at AS at, l.who AS who, l.who_kind AS who_kind, l.channel AS channel, l.what AS what,
       l.student AS student, l.detail AS detail
ORDER BY at DESC
LIMIT $limit

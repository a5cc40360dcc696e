// Purpose: record one look-up (append-only: created, never updated; only `lineage db reset`
//   deletes look-up records). The student is named by pseudonym only.
// Parameters: $at (datetime, UTC), $who (user name, API key name or operating-system user),
//   $who_kind (user|api_key|os_user), $channel (web|api|cli), $what (exposure|record|path|
//   report|picture|impact), $student (pseudonym or null), $detail (text or null).
// Returns: nothing.
CREATE (:Lookup {at: $at, who: $who, who_kind: $who_kind, channel: $channel, what: $what,
                 student: $student, detail: $detail})

// Purpose: record the pseudonym key check value on the first load: a :PseudonymKey singleton
//   holding an HMAC of a fixed label with the key (never the key). Later loads leave it as it is
//   (lineage.core.pseudonym.claim_key compares it with their own key afterwards).
// Parameters: $check: hex HMAC-SHA256(key, label); $demo: true when `lineage demo` makes the graph.
// Returns: nothing.
MERGE (k:PseudonymKey {id: 'pseudonym-key'})
  ON CREATE SET k.check = $check, k.demo = $demo

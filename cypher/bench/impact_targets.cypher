// Purpose: pick the benchmark's impact targets: vendor-held datasets of one district and the
//   vendor serving the most districts.
// Parameters: $vendor_role: Role.VENDOR; $district_prefix: dataset id prefix, e.g. 'sd001--'.
// Returns: one row {district_dataset, district_vendor, widest_vendor, widest_datasets}.
CALL () {
  MATCH (a:Actor {role: $vendor_role})-[:HOLDS]->(d:Dataset)
  WHERE d.id STARTS WITH $district_prefix
  RETURN d.id AS district_dataset, a.id AS district_vendor
  ORDER BY district_dataset LIMIT 1
}
CALL () {
  MATCH (a:Actor {role: $vendor_role})-[:HOLDS]->(d:Dataset)
  RETURN a.id AS widest_vendor, count(d) AS widest_datasets
  ORDER BY widest_datasets DESC, widest_vendor LIMIT 1
}
RETURN district_dataset, district_vendor, widest_vendor, widest_datasets

"""Student data lineage: who could ever have touched a student's information.

The library behind the ``lineage`` command. Modules:

- :mod:`lineage.models` -- pydantic models of the inventory (actors, datasets, flows, ...).
- :mod:`lineage.inventory` -- parsing and validating inventory files (YAML + bulk CSV).
- :mod:`lineage.dictionary` -- importing a district "metadata dictionary" spreadsheet.
- :mod:`lineage.store` -- the one seam that owns the Neo4j driver.
- :mod:`lineage.semantics` -- the lineage rules (exposure, record of disclosures, impact).
- :mod:`lineage.policy` -- the policy audit (``lineage check``).
- :mod:`lineage.reports` -- parent-inquiry reports and the public data inventory.
- :mod:`lineage.output` -- pure renderers for table / json / csv.
"""

__version__ = "0.1.0"

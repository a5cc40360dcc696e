"""Student data lineage: who could ever have touched a student's information.

The library behind the ``lineage`` command. Modules:

- :mod:`lineage.core.models` -- pydantic models of the inventory (actors, datasets, flows, ...).
- :mod:`lineage.sources.inventory` -- parsing and validating inventory files (YAML + bulk CSV).
- :mod:`lineage.sources.dictionary` -- importing a district "metadata dictionary" spreadsheet.
- :mod:`lineage.graph.store` -- the one seam that owns the Neo4j driver.
- :mod:`lineage.rules.evaluator` -- the lineage rules (exposure, record of disclosures, impact).
- :mod:`lineage.questions.audit` -- the policy audit (``lineage check``).
- :mod:`lineage.questions.reports` -- parent-inquiry reports and the public data inventory.
- :mod:`lineage.render.tables` -- pure renderers for table / json / csv.
"""

__version__ = "0.1.0"

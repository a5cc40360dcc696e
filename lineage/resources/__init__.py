"""The data packages shipped in a wheel: ``lineage.resources.cypher`` (from ``cypher/``) and
``lineage.resources.seeds`` (from ``seeds/``). No code: :mod:`lineage.core.resources` finds them.
"""

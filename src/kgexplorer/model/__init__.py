"""The model: what the domain reads over a backend (labels, search, entity cards, neighbourhoods, paths,
relations, statistics, claims, comparisons, the question gallery). Imports the engine and the foundation.
"""

__all__: list[str] = []  # a stage folder; its modules export their own names

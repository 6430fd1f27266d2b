"""The engine: stores, loading, reasoning, validation, the query guard and its workers, remote endpoints,
the backend protocol and the query result types. Imports only the foundation (errors, settings, terms,
namespaces, evidence).
"""

__all__: list[str] = []  # a stage folder; its modules export their own names

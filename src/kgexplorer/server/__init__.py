"""The SPARQL 1.1 endpoint (``kgexplorer serve``): the web app, the protocol, the service description,
which Host names it answers and who its clients are.
"""

__all__: list[str] = []  # a stage folder; its modules export their own names

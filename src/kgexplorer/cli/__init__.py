"""The command line (``kgexplorer``): its commands, what they print in a terminal, and the app launcher."""

__all__: list[str] = []  # a stage folder; its modules export their own names

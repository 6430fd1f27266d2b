"""The data a command works on, as the command line's global options name it.

``kgexplorer`` works on the bundled graph unless ``--data FILES`` (with ``--data-format``,
``--with-bundled``), ``--store DIR`` or ``--endpoint URL`` name other data, with ``--reasoning`` on top.
:class:`DataOptions` holds those options, says why a combination cannot work (the CLI reports it as a
usage error) and opens the :class:`~kgexplorer.knowledge_graph.KnowledgeGraph` they name, or describes
it for the app (:class:`~kgexplorer.datasources.AppSource`). Heavy modules are imported only when a
graph is opened, so ``kgexplorer --help`` stays quick.

>>> DataOptions(data=("a.ttl",), store="store").open_problem()
'use only one of --data, --store'
>>> with DataOptions().open() as kg:
...     kg.stats().claims > 50
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from .datasources import AppSource
    from .knowledge_graph import KnowledgeGraph

__all__ = ["DataOptions"]


@dataclass(frozen=True)
class DataOptions:
    """The global data options of ``kgexplorer``: all empty means the bundled graph."""

    data: tuple[str, ...] = ()
    data_format: str | None = None
    with_bundled: bool = False
    store: str | None = None
    endpoint: str | None = None
    reasoning: str | None = None

    def source_conflict(self) -> str | None:
        """Why the options name more than one source of data, or None when they name at most one.

        >>> DataOptions(endpoint="http://127.0.0.1:9/sparql", data=("x.ttl",)).source_conflict()
        'use only one of --data, --endpoint'
        """
        given = [
            name
            for name, value in (("--data", self.data), ("--store", self.store), ("--endpoint", self.endpoint))
            if value
        ]
        return f"use only one of {', '.join(given)}" if len(given) > 1 else None

    def open_problem(self) -> str | None:
        """Why :meth:`open` cannot work with these options (with the fix), or None.

        >>> DataOptions(store="store", reasoning="rdfs").open_problem().split(";")[0]
        '--reasoning works on files'
        """
        if conflict := self.source_conflict():
            return conflict
        if self.reasoning and (self.store or self.endpoint):
            return (
                "--reasoning works on files; for a store, build it with "
                "'kgexplorer load --reasoning PROFILE', which keeps the inferences"
            )
        return None

    def app_problem(self) -> str | None:
        """Why the app cannot open these options (more than one source, or a path that does not exist), or None.

        >>> DataOptions(store="no/such/store").app_problem()
        'no/such/store does not exist; give the path of an RDF file or of a store folder'
        """
        if conflict := self.source_conflict():
            return conflict
        for path in [*self.data, *([self.store] if self.store else [])]:
            if not Path(path).exists():
                return f"{path} does not exist; give the path of an RDF file or of a store folder"
        return None

    def open(self, *, settings: Settings | None = None) -> KnowledgeGraph:
        """Open the graph the options name (check :meth:`open_problem` first); the caller closes it.

        >>> with DataOptions().open(settings=Settings(max_view_nodes=80)) as kg:
        ...     kg.settings.max_view_nodes
        80
        """
        from .knowledge_graph import KnowledgeGraph

        settings = settings or Settings()
        if self.endpoint:
            return KnowledgeGraph.from_endpoint(self.endpoint, settings=settings)
        if self.store:
            return KnowledgeGraph.open_store(self.store, settings=settings)
        if self.data:
            return KnowledgeGraph.from_files(
                self.data,
                format=self.data_format,
                include_bundled=self.with_bundled,
                reasoning=self.reasoning,
                settings=settings,
            )
        return KnowledgeGraph.bundled(reasoning=self.reasoning, settings=settings)

    def app_source(self, *, settings: tuple[tuple[str, str], ...] = ()) -> AppSource:
        """What the app should open for these options, paths made absolute, with the ``--setting`` pairs.

        >>> source = DataOptions(store="hetionet-store").app_source(settings=(("max_view_nodes", "60"),))
        >>> source.store == str(Path("hetionet-store").resolve()), source.settings
        (True, (('max_view_nodes', '60'),))
        """
        from .datasources import AppSource

        return AppSource(
            data=tuple(str(Path(d).resolve()) for d in self.data),
            data_format=self.data_format,
            with_bundled=self.with_bundled,
            store=str(Path(self.store).resolve()) if self.store else None,
            endpoint=self.endpoint,
            reasoning=self.reasoning,
            settings=settings,
        )

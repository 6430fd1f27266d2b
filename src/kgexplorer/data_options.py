"""The data a command works on, as the command line's global options name it.

``kgexplorer`` works on the bundled graph unless ``--data FILES`` (with ``--data-format``,
``--with-bundled``), ``--store DIR`` or ``--endpoint URL`` name other data, with ``--reasoning`` on top.
:class:`DataOptions` holds those options, says why a combination cannot work (the CLI reports it as a
usage error) and opens the :class:`~kgexplorer.knowledge_graph.KnowledgeGraph` they name. It is also what
``kgexplorer app`` hands the app (with the ``--setting`` pairs, paths made absolute: :meth:`DataOptions.for_app`):
it travels to the Streamlit process as JSON in :data:`APP_SOURCE_VARIABLE`, where the app opens it for every
session (:func:`kgexplorer.ui.data_sources.open_app_source`). Heavy modules are imported only when a graph is
opened, so ``kgexplorer --help`` stays quick.

>>> DataOptions(data=("a.ttl",), store="store").open_problem()
'use only one of --data, --store'
>>> with DataOptions().open() as kg:
...     kg.stats().claims > 50
True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SettingError
from .settings import Settings

if TYPE_CHECKING:
    from .knowledge_graph import KnowledgeGraph

__all__ = ["APP_SOURCE_VARIABLE", "DataOptions"]

#: The environment variable through which ``kgexplorer app`` tells the app what to open (:meth:`DataOptions.to_json`).
APP_SOURCE_VARIABLE = "KGEXPLORER_APP_SOURCE"


@dataclass(frozen=True)
class DataOptions:
    """The global data options of ``kgexplorer``: all empty means the bundled graph.

    ``settings`` holds the ``--setting`` pairs when the options travel to the app (:meth:`for_app`):

    >>> spec = DataOptions(store="/data/hetionet-store", settings=(("max_view_nodes", "300"),))
    >>> DataOptions.from_json(spec.to_json()) == spec
    True
    >>> DataOptions.from_json("{not json")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.SettingError: the app's data description (KGEXPLORER_APP_SOURCE) is not valid JSON: ...
    """

    data: tuple[str, ...] = ()
    data_format: str | None = None
    with_bundled: bool = False
    store: str | None = None
    endpoint: str | None = None
    reasoning: str | None = None
    settings: tuple[tuple[str, str], ...] = ()

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

    def open(self, *, settings: Settings | None = None, start_query_worker: bool = False) -> KnowledgeGraph:
        """Open the graph the options name (check :meth:`open_problem` first); the caller closes it.

        ``start_query_worker``: for a command that will query files, a query worker loads them while they are
        parsed (:meth:`KnowledgeGraph.from_files <kgexplorer.knowledge_graph.KnowledgeGraph.from_files>`).

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
                start_query_worker=start_query_worker and not self.reasoning,
            )
        return KnowledgeGraph.bundled(reasoning=self.reasoning, settings=settings)

    def for_app(self, *, settings: tuple[tuple[str, str], ...] = ()) -> DataOptions:
        """What the app should open for these options, paths made absolute, with the ``--setting`` pairs.

        >>> source = DataOptions(store="hetionet-store").for_app(settings=(("max_view_nodes", "60"),))
        >>> source.store == str(Path("hetionet-store").resolve()), source.settings
        (True, (('max_view_nodes', '60'),))
        """
        return dataclasses.replace(
            self,
            data=tuple(str(Path(d).resolve()) for d in self.data),
            store=str(Path(self.store).resolve()) if self.store else None,
            settings=settings,
        )

    def to_json(self) -> str:
        """The options as JSON (lists for tuples)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> DataOptions:
        """Read :meth:`to_json`'s output; an empty or missing value means the bundled graph."""
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            return cls(
                data=tuple(str(d) for d in raw.get("data", ())),
                data_format=raw.get("data_format"),
                with_bundled=bool(raw.get("with_bundled", False)),
                store=raw.get("store"),
                endpoint=raw.get("endpoint"),
                reasoning=raw.get("reasoning"),
                settings=tuple((str(k), str(v)) for k, v in raw.get("settings", ())),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise SettingError(
                f"the app's data description ({APP_SOURCE_VARIABLE}) is not valid JSON: {exc}; start the app "
                "with 'kgexplorer app' (its --data, --store, --endpoint and --setting options write it)"
            ) from None

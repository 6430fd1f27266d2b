"""The library's front door: load a graph once, then search, read entities, explore and query it.

>>> kg = KnowledgeGraph.bundled()
>>> kg.resolve("Spravato")
'https://w3id.org/kgexplorer/id/esketamine'
>>> [h.label for h in kg.search("special K")][:1]
['Ketamine']
>>> card = kg.entity("ketamine")
>>> card.label, card.ref.kind
('Ketamine', 'Substance')
>>> view = kg.neighbourhood("ketamine", depth=1)
>>> view.graph.nodes[view.focus]["label"]
'Ketamine'
>>> kg.close()

The same features work on any SPARQL 1.1 endpoint (:meth:`KnowledgeGraph.from_endpoint`): the library's
queries then run on the endpoint, search asks it for matching labels only, and paths are found by a
bounded search (:mod:`kgexplorer.model.paths`) instead of loading the whole graph.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .engine.backend import Backend, LocalBackend
from .engine.bindings import bindings as bindings_of
from .engine.disk_store import Generation, open_generation
from .engine.guard import prepare_query
from .engine.load_once import parse_for_queries
from .engine.parse_worker import ParsedFiles, parse_recipe
from .engine.query_workers import Answer, QueryWorkers
from .engine.results import QueryResult, SelectResult
from .engine.sandbox import SandboxStatus
from .engine.store import DataFile, StoreRecipe, build_store
from .errors import QueryError
from .evidence import level
from .model.entity import EntityCard, build_card
from .model.label_index import StoredIndex
from .model.labels import fetch_labels
from .model.neighbourhood import STUDY_KINDS, Neighbourhood, PathSet, neighbourhood
from .model.networkx_export import as_networkx
from .model.paths import DEFAULT_PATH_GROUPS as DEFAULT
from .model.paths import find_remote_paths
from .model.relations import RelationCount
from .model.relations import relations as relations_of
from .model.search import LabelIndex, SearchHit, candidate_index, resolve_name
from .model.stats import DatasetInfo, GraphStats, dataset_info, graph_stats
from .settings import Settings, cap
from .terms import Term

Groups = Collection[str] | None  # relation group IRIs a path may follow (model/paths.py)

if TYPE_CHECKING:
    from .engine.remote_endpoint import RemoteBackend

__all__ = ["KnowledgeGraph"]


class KnowledgeGraph:
    """A loaded, read-only knowledge graph, in this process or behind a SPARQL endpoint.

    Build one with :meth:`bundled`, :meth:`from_files`, :meth:`open_store` or :meth:`from_endpoint`.
    It is safe to share between threads (the Streamlit app shares one): nothing mutates it after loading.
    With an ``endpoint`` nothing is loaded: the recipe then only names the source (``recipe.label``).
    The recipe's files other than the bundled graph's are parsed in the parse worker first
    (:mod:`kgexplorer.engine.parse_worker`: no network, capped memory and time), never in this process; this
    process and the query workers load the N-Quads it wrote, kept until :meth:`close` (``start_query_worker``:
    one loads them as they are written, :mod:`kgexplorer.engine.load_once`).
    """

    def __init__(
        self,
        recipe: StoreRecipe,
        *,
        settings: Settings | None = None,
        store: Any = None,
        endpoint: RemoteBackend | None = None,
        start_query_worker: bool = False,
    ) -> None:
        self.settings = settings or Settings()
        self.recipe = recipe
        self.endpoint = endpoint
        self._workers: QueryWorkers | None = None
        self._parsed: ParsedFiles | None = None
        #: The generation of the on-disk store this graph reads (``recipe.store_dir``), held open (so no load
        #: deletes it) until :meth:`close`; its ``notes`` say what opening it tidied up. None for other data.
        self.generation: Generation | None = None
        self._backend: Backend
        started = time.perf_counter()
        if endpoint is not None:
            self._backend = endpoint
        else:
            if store is None and recipe.store_dir:
                # Pin the generation `current` names now: this process and every query worker read that one.
                self.generation = open_generation(recipe.store_dir)
                recipe = dataclasses.replace(recipe, store_dir=str(self.generation.path))
            try:
                if store is None and not recipe.store_dir:
                    recipe, self._parsed, self._workers = parse_for_queries(recipe, self.settings, start_query_worker)
                self.recipe = recipe
                store = build_store(recipe, settings=self.settings) if store is None and recipe.store_dir else store
                build = functools.partial(build_store, recipe, settings=self.settings)  # this process's copy
                self._backend = self._local = LocalBackend(store, load=build)
                self._workers = self._workers or QueryWorkers(recipe, self.settings)
            except BaseException:  # also stops a worker that loaded part of a file that failed (never ready)
                self.close()
                raise
        self.load_seconds = time.perf_counter() - started
        #: What reasoning added, when the graph was built with ``reasoning=`` (else None).
        self.inference: Any = None
        self._lock = threading.Lock()
        self._index: LabelIndex | None = None
        self._stats: GraphStats | None = None
        self._stored_index = StoredIndex(self.generation.path) if self.generation is not None else None

    @property
    def _store(self) -> Any:
        """This process's store (loaded when first needed, see LocalBackend); None behind an endpoint."""
        return None if self.endpoint is not None else self._local.store

    # ------------------------------------------------------------------ constructors
    @classmethod
    def bundled(cls, *, reasoning: str | None = None, settings: Settings | None = None) -> KnowledgeGraph:
        """The bundled psychedelic-therapy graph (``reasoning``: see :meth:`from_files`)."""
        return cls._with_reasoning(StoreRecipe.bundled(), reasoning, settings)

    @classmethod
    def from_files(
        cls,
        paths: Iterable[str],
        *,
        format: str | None = None,
        include_bundled: bool = False,
        reasoning: str | None = None,
        settings: Settings | None = None,
        start_query_worker: bool = False,
    ) -> KnowledgeGraph:
        """Your own RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; gzip or not).

        ``format`` overrides the format guessed from the file extensions; ``include_bundled`` loads the bundled
        graph beside them. ``reasoning`` (``"rdfs"`` or ``"owl-rl"``) materialises the entailments into a separate
        named graph (cached on disk; the asserted data stays untouched; see :mod:`kgexplorer.engine.reasoning`);
        queries see both. Raises :class:`~kgexplorer.errors.GraphLoadError` with the file, line and column of the
        first problem; nothing is half-loaded. ``start_query_worker``: see the class (not with ``reasoning``).
        """
        files = tuple(DataFile(str(p), format) for p in paths)
        base = StoreRecipe.bundled().files if include_bundled else ()
        label = "bundled graph + your files" if include_bundled else "your files"
        recipe = StoreRecipe(files=(*base, *files), label=label)
        return cls._with_reasoning(recipe, reasoning, settings, start_query_worker=start_query_worker)

    @classmethod
    def _with_reasoning(
        cls, recipe: StoreRecipe, reasoning: str | None, settings: Settings | None, *, start_query_worker: bool = False
    ) -> KnowledgeGraph:
        if reasoning is None:
            return cls(recipe, settings=settings, start_query_worker=start_query_worker)
        from .engine.reasoning import infer

        limits = settings or Settings()
        recipe, parsed = parse_recipe(recipe, settings=limits)  # the reasoner reads what the worker parsed
        try:
            result = infer(recipe, profile=reasoning, max_triples=limits.max_reasoning_triples)  # type: ignore[arg-type]
            kg = cls(recipe.with_extra([result.data_file]), settings=settings)
        except BaseException:
            if parsed is not None:
                parsed.close()
            raise
        kg._parsed = parsed
        kg.inference = result
        return kg

    @classmethod
    def open_store(cls, directory: str, *, settings: Settings | None = None) -> KnowledgeGraph:
        """An on-disk store built by ``kgexplorer load``, opened read-only.

        The graph reads the generation the store's ``current`` link names when it opens (a later load does
        not change it; :class:`~kgexplorer.server.current_graph.CurrentGraph` follows loads), and
        :attr:`generation` ``.notes`` says what opening tidied up after an interrupted load.
        """
        recipe = StoreRecipe(store_dir=str(directory), derive_edges=False, label=f"store {directory}")
        return cls(recipe, settings=settings)

    @classmethod
    def from_endpoint(cls, url: str, *, settings: Settings | None = None) -> KnowledgeGraph:
        """A graph behind a SPARQL 1.1 endpoint (Oxigraph server, QLever, Virtuoso, GraphDB, Fuseki …).

        Nothing is sent until the first query; the library's own queries are limited by the
        ``endpoint_timeout_s`` setting. Raises :class:`~kgexplorer.errors.EndpointError` for a URL that
        is not http(s) or that the ``remote_endpoints`` setting forbids (0: none; 1: public addresses
        only); later calls raise it when the endpoint cannot be reached or fails.

        >>> KnowledgeGraph.from_endpoint("http://localhost:7878/query")
        <KnowledgeGraph SPARQL endpoint http://localhost:7878/query>
        """
        chosen = settings or Settings()
        from .engine.remote_endpoint import RemoteBackend  # only now: urllib and http.client: 10 MiB, 25 ms

        backend = RemoteBackend(
            url, timeout_s=chosen.endpoint_timeout_s, remote_endpoints=chosen.remote_endpoints, settings=chosen
        )
        label = StoreRecipe(derive_edges=False, label=f"SPARQL endpoint {backend.url}")
        return cls(label, endpoint=backend, settings=chosen)

    @property
    def is_remote(self) -> bool:
        """True when the graph is behind a SPARQL endpoint."""
        return self.endpoint is not None

    # ------------------------------------------------------------------ SPARQL
    def sparql(
        self,
        query: str,
        *,
        max_rows: int | None = None,
        timeout_s: float | None = None,
        client: str | None = None,
        bindings: Mapping[str, Term] | Iterable[tuple[str, Term]] | None = None,
    ) -> QueryResult:
        """Run a user-written SPARQL query safely and return a typed result.

        The query is normalised and screened here (:func:`kgexplorer.engine.guard.prepare_query`), then checked
        by the full guard (:func:`kgexplorer.engine.guard.check_query`: read-only, no SERVICE or FROM) in a
        worker process under the time and memory limits, and runs there, the worker sandboxed from the
        network; or, on an endpoint, the checked text is sent with the time limit as its HTTP timeout.
        ``max_rows`` and ``timeout_s`` can lower the settings, never raise them. The project prefixes
        (kg:, kgx:, rdfs:, skos: …) can be used without declaring them.

        ``client`` names who asks (an app session, a web client), so that the query workers (behind an
        endpoint: the guard's workers) are shared fairly (:mod:`kgexplorer.engine.scheduler`): a client over its
        share gets :class:`~kgexplorer.errors.TooManyQueries`, and a query that waited too long for a worker
        :class:`~kgexplorer.errors.ServerBusy`. None, the default, is the program itself. ``bindings`` give
        variables values beside the unchanged text (:mod:`kgexplorer.engine.bindings`).

        >>> with KnowledgeGraph.bundled() as kg:
        ...     kg.sparql("ASK { kg:ketamine a kgx:Substance }").value
        True
        """
        rows = cap(max_rows, self.settings.max_result_rows)
        limit = cap(timeout_s, self.settings.query_time_limit_s)
        chars, bound = self.settings.max_query_chars, bindings_of(bindings)
        if self.endpoint is not None:  # the endpoint runs the same guard before sending anything
            return self.endpoint.query(
                query, max_rows=rows, timeout_s=limit, max_chars=chars, client=client, bindings=bound
            )
        workers = self._local_workers()
        with workers.visit(client) as visit:  # a client over its share is refused before anything else
            prepared = prepare_query(query, max_chars=chars)
            return workers.run(prepared, max_rows=rows, timeout_s=limit, visit=visit, bindings=bound)

    async def answer(
        self,
        query: str,
        *,
        select_format: str | None,
        graph_format: str | None,
        max_rows: int | None = None,
        timeout_s: float | None = None,
        max_result_mb: int | None = None,
        client: str | None = None,
        bindings: Mapping[str, Term] | Iterable[tuple[str, Term]] | None = None,
    ) -> Answer:
        """Run a user-written query like :meth:`sparql`, with the answer written in a format, for the endpoint.

        Checked and run as :meth:`sparql` does (``bindings`` too), in a worker that writes the answer natively
        (:mod:`kgexplorer.engine.serialization`) in ``select_format`` (SELECT, ASK) or ``graph_format`` (CONSTRUCT,
        DESCRIBE), the endpoint's ``format=`` names; the bytes come back as they are. An answer larger than
        ``max_result_mb`` (which, like the other limits, can lower the setting) is
        :class:`~kgexplorer.errors.ResultTooLarge`. Waiting for a worker holds no thread. The client's request
        lasts until :meth:`~kgexplorer.engine.query_workers.Answer.close` (call it once the answer is sent). A
        graph behind a remote endpoint cannot answer so: use :meth:`sparql`.
        """
        rows = cap(max_rows, self.settings.max_result_rows)
        limit = cap(timeout_s, self.settings.query_time_limit_s)
        workers = self._local_workers()
        prepared = prepare_query(query, max_chars=self.settings.max_query_chars)  # linear in the text: no thread
        visit = workers.visit(client)  # a request in progress, also when the answer is remembered
        try:
            found = await workers.answer(
                prepared,
                visit=visit,
                select_format=select_format,
                graph_format=graph_format,
                max_rows=rows,
                timeout_s=limit,
                max_bytes=int(cap(max_result_mb, self.settings.max_result_mb)) << 20,
                bindings=bindings_of(bindings),
            )
        except BaseException:
            visit.leave()
            raise
        found.visit = visit
        return found

    def query_counts(self) -> dict[str, int]:
        """What the query workers did so far: answered, refused and why, stopped at a limit (empty if remote)."""
        return {} if self._workers is None else self._workers.counts()

    def query_sandbox(self) -> SandboxStatus | None:
        """Whether the kernel refuses the query workers the network (:mod:`kgexplorer.engine.sandbox`).

        Starts a worker to find out if none has started. None for a graph behind an endpoint, whose
        queries run on the remote engine: no sandbox here can stop what that engine does.
        """
        return None if self._workers is None else self._workers.sandbox_status()

    def _local_workers(self) -> QueryWorkers:
        if self._workers is None:  # pragma: no cover - a local graph always has workers
            raise QueryError("this knowledge graph has no query workers; open it again")
        return self._workers

    def select(
        self,
        template: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult:
        """Run one of the library's own SELECT templates on the graph's backend (trusted queries only)."""
        return self._backend.select(template, values=values, max_rows=cap(max_rows, self.settings.max_result_rows))

    # ------------------------------------------------------------------ entities
    def search(self, text: str, *, limit: int | None = None, kinds: Iterable[str] | None = None) -> list[SearchHit]:
        """Entities whose label or synonym matches ``text`` (case- and accent-insensitive).

        On an endpoint only the labels containing the words of ``text`` are fetched (accents must then
        match), and ranked the same way.
        """
        return self._index_for(text).search(text, limit=cap(limit, self.settings.search_limit), kinds=kinds)

    def resolve(self, name: str) -> str:
        """The IRI of the entity a person means: a full IRI, prefixed name, local name, label or synonym."""
        return resolve_name(self._backend, name, index_for=self._index_for, search_limit=self.settings.search_limit)

    def entity(self, name: str) -> EntityCard:
        """The entity card: type, definition, synonyms, identifiers, claims with evidence, links."""
        iri = self.resolve(name)
        return build_card(
            self._backend, iri, max_links=self.settings.max_card_links, max_rows=self.settings.max_card_rows
        )

    def label(self, iri: str) -> str:
        """The display label of an IRI."""
        return fetch_labels(self._backend, [iri])[iri]

    def kinds(self) -> list[str]:
        """The kinds of entity present, most common first."""
        counts = (stats := self.stats()).entities_by_kind or stats.classes
        return sorted(counts, key=lambda k: (-counts[k], k))

    # ------------------------------------------------------------------ exploration and description
    def neighbourhood(
        self,
        name: str,
        *,
        depth: int = 1,
        kinds: Iterable[str] | None = None,
        relations: Iterable[str] | None = None,
        min_evidence: str | None = None,
        per_relation: int | None = None,
        max_nodes: int | None = None,
        expanded: Iterable[tuple[str, str, str]] = (),
        studies: bool = True,
    ) -> Neighbourhood:
        """The neighbourhood of an entity as a networkx graph, capped and filtered.

        ``kinds`` keeps only nodes of those kinds; ``relations`` only those predicate IRIs; ``min_evidence`` (a
        rubric key such as ``"RCT"``) drops evidence edges weaker than it; ``expanded`` lists ``(node, predicate,
        direction)`` groups to show in full ("+N more" clicked); ``studies=False`` folds studies into the edges
        they support (their claims), as Explore does by default."""
        focus = self.resolve(name)
        if depth < 1:
            raise QueryError(f"depth must be at least 1, got {depth}")
        depth = cap(depth, self.settings.max_depth)
        rank = level(min_evidence).rank if min_evidence else None
        return neighbourhood(
            self._backend,
            focus,
            depth=depth,
            kinds=kinds,
            relations=relations,
            max_level_rank=rank,
            per_relation=cap(per_relation, self.settings.neighbours_per_relation),
            max_nodes=cap(max_nodes, self.settings.max_view_nodes),
            max_rows=self.settings.max_neighbour_rows,
            expanded=expanded,
            leave_out=() if studies else STUDY_KINDS,
        )

    def relations(self, name: str) -> tuple[RelationCount, ...]:
        """The relations linking an entity to other entities, with their labels and link counts.

        They are exactly the predicates its neighbourhood view draws from or to it (claims count through the direct
        edges they derive), most links first: pass the IRIs of the ones wanted to :meth:`neighbourhood` as
        ``relations``. Counted by the backend in one query (see :mod:`kgexplorer.model.relations`).

        >>> with KnowledgeGraph.bundled() as kg:
        ...     acts_on = next(r for r in kg.relations("ketamine") if r.label == "acts on")
        ...     view = kg.neighbourhood("ketamine", relations=[acts_on.iri])
        >>> acts_on.outgoing, view.graph.number_of_nodes() > 1
        (10, True)
        """
        return relations_of(self._backend, self.resolve(name))

    def paths(
        self, source: str, target: str, *, k: int | None = None, max_length: int | None = None, groups: Groups = DEFAULT
    ) -> PathSet:
        """How two entities are linked: the ``k`` shortest simple paths, each step explained. They follow the
        relation ``groups`` (default: mechanisms and clinical evidence; None: every relation; see model/paths.py).

        The paths come from a bounded search around both ends (:func:`kgexplorer.model.paths.find_remote_paths`,
        at most ``path_search_nodes`` nodes), locally as on an endpoint: copying it all to networkx took 35 s on
        Hetionet."""
        a, b, s = self.resolve(source), self.resolve(target), self.settings
        most, longest = cap(k, s.max_paths), cap(max_length, s.max_path_length)
        return find_remote_paths(
            self._backend, a, b, k=most, max_length=longest, node_budget=s.path_search_nodes,
            max_rows=s.max_neighbour_rows, groups=groups
        )  # fmt: skip

    to_networkx = as_networkx  # the graph or a view as networkx, GraphML/GEXF-ready: model/networkx_export.py

    def stats(self) -> GraphStats:
        """Counts: triples, entities by kind, claims by evidence level and direction, studies.

        A local graph counts once and remembers (it never changes after loading; counting LUBM50's 6.7
        million triples took 4 s); an endpoint is asked every time, since its data may change."""
        if self._store is None:
            return graph_stats(self._backend)
        with self._lock:
            if self._stats is None:
                self._stats = graph_stats(self._backend, triples=len(self._store))
            return self._stats

    def warm_up(self) -> None:
        """Do the one-time work now, so that a person's first search and first query do not wait for it.

        Builds the search index of a local graph (about 2 s on Hetionet's 0.86 million triples) and starts
        a query worker. The app runs this in the background when it opens its graph
        (:func:`kgexplorer.ui.default_source`). Calling it again does nothing more.

        >>> with KnowledgeGraph.bundled() as kg:
        ...     kg.warm_up()
        ...     kg.search("special K")[0].label
        'Ketamine'
        """
        if self._workers is None:
            return  # an endpoint: search asks it for each text, and queries go to it
        self._label_index()
        self._workers.warm_up()

    def metadata(self) -> DatasetInfo:
        """The dataset's title, version, licence and citation (from its VoID/DCAT description)."""
        return dataset_info(self._backend)

    def close(self) -> None:
        """Stop the query workers and delete the parsed files (a store or an endpoint needs no closing)."""
        if self._workers is not None:
            self._workers.close()
        if self._parsed is not None:
            self._parsed.close()
        if self.generation is not None:
            self.generation.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.endpoint is not None or self._local.loaded is None:  # a repr never fails, waits or loads
            return f"<KnowledgeGraph {self.recipe.label}>"
        return f"<KnowledgeGraph {self.recipe.label}: {len(self._local.loaded):,} triples>"

    def __len__(self) -> int:
        """The number of triples (on an endpoint, one COUNT query, which may raise EndpointError)."""
        if self._store is not None:
            return len(self._store)
        rows = self._backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
        return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0

    # ------------------------------------------------------------------ internals
    def _index_for(self, text: str) -> LabelIndex:
        """The labels to rank for ``text``: all of them locally, only the candidates on an endpoint."""
        if self.endpoint is not None:
            return candidate_index(self._backend, text, max_rows=self.settings.max_result_rows)
        return self._label_index()

    def _label_index(self) -> LabelIndex:
        stored = self._stored_index.get() if self._stored_index is not None else None
        with self._lock:
            if self._index is None:
                self._index = stored or LabelIndex.from_backend(self._backend)
            return self._index

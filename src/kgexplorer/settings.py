"""Every limit kgexplorer enforces, as one named setting with a default and help text.

Each limit is enforced in one place (the module named in its help). A call may lower a limit but never
raise it above the setting: :func:`cap` is how code combines the two.

>>> s = Settings()
>>> s.max_result_rows
10000
>>> s.with_overrides(max_result_rows=50).max_result_rows
50
>>> cap(5_000_000, s.max_result_rows)
10000
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from .errors import SettingError

__all__ = ["Setting", "Settings", "cap", "describe_settings"]


def _s(default: Any, help_text: str, *, minimum: float | None = None, maximum: float | None = None) -> Any:
    return field(default=default, metadata={"help": help_text, "min": minimum, "max": maximum})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Limits and defaults. Create with keyword overrides, e.g. ``Settings(max_result_rows=100)``."""

    query_time_limit_s: float = _s(
        10.0,
        "Wall-clock limit for one user-written SPARQL query, in seconds; a query still running is "
        "killed with its worker process (engine/query_workers.py).",
        minimum=0.05,
        maximum=3600,
    )
    max_result_rows: int = _s(
        10_000,
        "Most rows (or triples) a query returns; a longer result is cut and says so (engine/results.py). The "
        "endpoint never sends a cut answer: it refuses it (422 TooManyRows) unless the query has a LIMIT at or "
        "under this, so clients page with LIMIT and OFFSET (server/protocol.py).",
        minimum=1,
        maximum=10_000_000,
    )
    worker_memory_mb: int = _s(
        2048,
        "Memory cap (RLIMIT_AS) of the query worker process, in MiB; a query that needs more is "
        "stopped with QueryTooLarge (engine/query_workers.py).",
        minimum=256,
        maximum=1_048_576,
    )
    require_sandbox: int = _s(
        0,
        "Whether queries may run without the network sandbox. Each query worker asks the kernel (a seccomp "
        "filter) to refuse it every network socket, so a query that got past the guard still reaches nothing. "
        "Where the kernel refuses (not Linux x86-64 or aarch64, or a container profile that forbids seccomp), "
        "0 = run queries anyway, checked by the guard alone, with a warning in the log; 1 = refuse to run "
        "queries (SandboxUnavailable). Use 1 for a server people you do not trust can reach; see engine/sandbox.py "
        "for the filter (engine/query_workers.py).",
        minimum=0,
        maximum=1,
    )
    max_result_mb: int = _s(
        32,
        "Largest answer one query may give, in MiB: the bytes the endpoint sends, or the values handed to the "
        "app and the library. A larger answer is refused with ResultTooLarge (422 at the endpoint) as soon as "
        "the worker has written this much, never cut in the middle (engine/query_workers.py).",
        minimum=1,
        maximum=65_536,
    )
    query_workers: int = _s(
        3,
        "Query worker processes one graph may run at once; each starts when first needed. At least 3, so that "
        "two clients with runaway queries still leave one for everyone else (engine/scheduler.py).",
        minimum=3,
        maximum=256,
    )
    client_query_workers: int = _s(
        1,
        "Most query workers one client (an endpoint client's address, an app session) uses at once; never more "
        "than query_workers - 1, so no client takes them all. Its further queries wait in line (engine/scheduler.py).",
        minimum=1,
        maximum=255,
    )
    client_queries: int = _s(
        4,
        "Most requests one client may have in progress at once (waiting for a worker, running, or still being "
        "sent); one more is refused at once with TooManyQueries (HTTP 429 and Retry-After) (engine/scheduler.py).",
        minimum=1,
        maximum=10_000,
    )
    slow_query_s: float = _s(
        1.0,
        "A query that has run this many seconds while another client's query waits in line for a worker steps "
        "aside: its worker drops to the lowest CPU priority and its place goes to the waiting query (at most "
        "slow_query_workers such queries at once); see engine/slow_queries.py. 0 turns this off (engine/scheduler.py).",
        minimum=0,
        maximum=3600,
    )
    slow_query_workers: int = _s(
        2,
        "Most queries stepped aside at once (slow_query_s): each keeps its worker process, so up to this many "
        "workers run beside query_workers, each holding its own copy of in-memory data (engine/scheduler.py).",
        minimum=0,
        maximum=64,
    )
    max_queue_wait_s: float = _s(
        5.0,
        "Longest a query waits in line for a query worker, in seconds. Then it is refused: ServerBusy (HTTP 503 "
        "and Retry-After) when other clients' queries held every worker, TooManyQueries (429) when its own "
        "client's did (engine/scheduler.py).",
        minimum=0.01,
        maximum=3600,
    )
    client_stall_s: float = _s(
        30.0,
        "Longest the endpoint waits for a client to take the next part of an answer, in seconds; a client that "
        "reads nothing for longer is disconnected and its answer dropped, so a client that never reads holds "
        "little memory and no worker (server/endpoint.py).",
        minimum=0.1,
        maximum=3600,
    )
    trusted_proxies: str = _s(
        "",
        "Addresses of the reverse proxies in front of kgexplorer serve, separated by commas. Only a request "
        "from one of them may name its client in X-Forwarded-For; otherwise the client is the address that "
        "connected. Empty (the default): the header is never believed (server/endpoint.py).",
    )
    max_query_chars: int = _s(
        100_000,
        "Longest user-written SPARQL query accepted, in characters; a longer one is refused before it is "
        "parsed (engine/guard.py).",
        minimum=100,
        maximum=10_000_000,
    )
    search_limit: int = _s(20, "Most search results returned (model/search.py).", minimum=1, maximum=1000)
    suggestion_limit: int = _s(
        12,
        "Most suggestions a search box offers for the name typed so far (model/suggestions.py).",
        minimum=1,
        maximum=100,
    )
    max_depth: int = _s(3, "Deepest neighbourhood that can be asked for (knowledge_graph.py).", minimum=1, maximum=6)
    neighbours_per_relation: int = _s(
        12,
        "Most neighbours shown per relation and direction when a node is expanded; the rest are "
        "gathered into a '+N more' node (model/neighbourhood.py).",
        minimum=1,
        maximum=10_000,
    )
    max_view_nodes: int = _s(
        150,
        "Most nodes in one neighbourhood or path view; a bigger view is cut and says so (model/neighbourhood.py).",
        minimum=2,
        maximum=100_000,
    )
    max_path_length: int = _s(6, "Most edges in one path (knowledge_graph.py).", minimum=1, maximum=12)
    max_paths: int = _s(
        10, "Most paths returned for one pair of entities (knowledge_graph.py).", minimum=1, maximum=100
    )
    max_upload_mb: int = _s(
        50, "Largest RDF file accepted for upload or --data, in MiB (engine/store.py).", minimum=1, maximum=102_400
    )
    max_session_upload_mb: int = _s(
        200,
        "Largest total size of the RDF files one session uploads together, in MiB; a bigger set is refused "
        "before any file is read, and the session keeps its data (ui/data_sources.py).",
        minimum=1,
        maximum=1_048_576,
    )
    max_upload_files: int = _s(
        20,
        "Most RDF files one session uploads together; more are refused before any file is read, and the "
        "session keeps its data (ui/data_sources.py).",
        minimum=1,
        maximum=10_000,
    )
    max_decompressed_mb: int = _s(
        500,
        "Largest size a gzip-compressed RDF file may expand to, in MiB; protects against gzip bombs (engine/store.py).",
        minimum=1,
        maximum=1_048_576,
    )
    parse_memory_mb: int = _s(
        2048,
        "Memory cap (RLIMIT_AS) of the process that parses uploaded and --data files, in MiB; a file that needs "
        "more is refused with GraphLoadError (engine/parse_worker.py).",
        minimum=256,
        maximum=1_048_576,
    )
    parse_time_limit_s: float = _s(
        300.0,
        "Wall-clock limit for parsing the uploaded or --data files of one load, in seconds (raise it for files "
        "of many gigabytes); the parsing process is then killed and the load refused (engine/parse_worker.py).",
        minimum=1,
        maximum=86_400,
    )
    max_xml_depth: int = _s(
        1_000,
        "Deepest nesting of XML elements read in an RDF/XML file; a deeper file is refused (Oxigraph's RDF/XML "
        "parser takes time quadratic in the depth: 30,000 levels took 16 s) (engine/rdfxml.py).",
        minimum=10,
        maximum=1_000_000,
    )
    max_xml_expansion: int = _s(
        10,
        "How many times its own size an RDF/XML file may grow when its XML entities are expanded (files under "
        "1 MiB count as 1 MiB); a file that grows more, an entity bomb or 'billion laughs', is refused "
        "(engine/rdfxml.py).",
        minimum=1,
        maximum=10_000,
    )
    endpoint_timeout_s: float = _s(
        30.0,
        "Time limit for one request to a remote SPARQL endpoint, in seconds (engine/remote_endpoint.py).",
        minimum=0.1,
        maximum=3600,
    )
    remote_endpoints: int = _s(
        2,
        "Which remote SPARQL endpoints may be queried. 0 = none: the app's Data page does not offer them, and "
        "--endpoint and KnowledgeGraph.from_endpoint refuse. 1 = public internet addresses only: every address "
        "the endpoint's host name resolves to must be public, not loopback, private, link-local, multicast or "
        "reserved, checked on every connection, so visitors of a hosted app cannot make the server reach its own "
        "network; environment proxies are not used. 2 = any address, e.g. a Fuseki on localhost. Use 0 or 1 for "
        "an app that people you do not trust can reach (engine/remote_endpoint.py).",
        minimum=0,
        maximum=2,
    )
    layout_threshold_nodes: int = _s(
        150,
        "Graph views with more nodes than this are laid out on the server (networkx, fixed seed) and drawn "
        "without physics, so they appear at once; smaller views settle in the browser (views/render.py).",
        minimum=2,
        maximum=100_000,
    )
    path_search_nodes: int = _s(
        5_000,
        "Most nodes one path search explores, locally or on a remote endpoint; a search cut short says so "
        "(model/paths.py).",
        minimum=10,
        maximum=10_000_000,
    )
    max_reasoning_triples: int = _s(
        2_000_000,
        "Largest graph (in triples) that --reasoning rdfs|owl-rl will materialise; owlrl needs about a "
        "minute per 100,000 triples (engine/reasoning.py).",
        minimum=1,
        maximum=1_000_000_000,
    )
    max_image_px: int = _s(
        6000,
        "Largest width or height of an exported PNG or SVG image, in pixels; a bigger request is refused "
        "(views/image.py).",
        minimum=200,
        maximum=20_000,
    )
    timeline_events: int = _s(
        200,
        "Most events drawn on one timeline (a lesson step or the timeline picture); the oldest are kept and "
        "the timeline says it was cut (model/timeline.py).",
        minimum=1,
        maximum=5_000,
    )
    lesson_steps: int = _s(
        40,
        "Most steps in one lesson file, shipped or uploaded to the lesson builder; a longer file is refused "
        "with the count (views/lessons.py).",
        minimum=1,
        maximum=500,
    )
    lesson_file_kb: int = _s(
        256,
        "Largest lesson file (KiB) the lesson builder reads back from an upload; a larger one is refused "
        "before parsing (views/lesson_builder.py).",
        minimum=1,
        maximum=10_240,
    )
    export_query_rows: int = _s(
        200,
        "Most rows of a lesson query shown in an exported lesson or handout; a longer result is cut and the "
        "table says so (views/lesson_pages.py).",
        minimum=1,
        maximum=100_000,
    )
    query_history_size: int = _s(
        50,
        "Most queries the SPARQL workbench keeps in one session's history; the oldest go first (ui/workbench.py).",
        minimum=1,
        maximum=10_000,
    )
    share_link_max_chars: int = _s(
        8_000,
        "Longest share token (the compressed query) the SPARQL workbench puts into a link, in characters; many "
        "web servers refuse much longer addresses. A longer query is not shared and the page says so; a longer "
        "token in a link is refused (ui/workbench.py).",
        minimum=100,
        maximum=1_000_000,
    )
    server_storage: int = _s(
        0,
        "Whether the app may keep what people save on the server: 0 = nothing is stored server-side (the "
        "workbench's history lives in the browser's localStorage, a share link carries the whole edited query, "
        "lesson drafts stay in the browser); 1 = the workbench keeps short links on the server "
        "($XDG_DATA_HOME/kgexplorer/short-links), which anyone who reaches the app can open. One setting for the "
        "workbench and lesson drafts (ui/short_links.py).",
        minimum=0,
        maximum=1,
    )
    short_links_max: int = _s(
        10_000,
        "Most short links the app keeps on the server (with server_storage on), each at most max_query_chars "
        "characters; a kept link is never dropped, so past this a query gets a whole link and the page says "
        "why (ui/short_links.py).",
        minimum=1,
        maximum=10_000_000,
    )
    result_label_lookups: int = _s(
        2_000,
        "Most distinct IRIs of one query result whose labels are looked up for its table; the others show "
        "the last part of their IRI and the table says so (views/result_views.py).",
        minimum=0,
        maximum=1_000_000,
    )
    max_card_links: int = _s(
        200,
        "Most links (to and from other entities) one entity card lists; a card of a hub lists the first ones "
        "and says 'first N of M links' (model/entity.py).",
        minimum=1,
        maximum=1_000_000,
    )
    max_card_rows: int = _s(
        10_000,
        "Most rows one entity card reads for each part (its own values, its claims, their studies); a card cut "
        "by it says so (model/entity.py).",
        minimum=1,
        maximum=1_000_000,
    )
    max_neighbour_rows: int = _s(
        20_000,
        "Most links read per entity and direction when a neighbourhood is built, and most claim rows per batch "
        "of its links; a hub with more gets a view marked cut, as its '+N more' counts miss the rest "
        "(model/neighbourhood.py).",
        minimum=1,
        maximum=1_000_000,
    )
    allowed_hosts: str = _s(
        "",
        "Host names (comma-separated) that kgexplorer serve answers to besides its own address, such as the "
        "name people use to reach it. A request whose Host header names anything else gets 400, so that a web "
        "page cannot reach the endpoint through a name it controls (DNS rebinding). Bound to a loopback "
        "address, the endpoint also answers to localhost, 127.0.0.1 and [::1]; bound to another address, to "
        "that address and the names given here. '*' turns the check off (behind a proxy that checks Host "
        "itself) (server/endpoint.py).",
    )
    guard_cache_queries: int = _s(
        512,
        "How many distinct query texts the SPARQL guard remembers its verdict for, so a repeated query is not "
        "parsed again; the length limit is still checked on every call (engine/guard.py).",
        minimum=0,
        maximum=100_000,
    )
    guard_fast_path: int = _s(
        1,
        "Whether a query worker whose network sandbox is on checks queries at native speed: 1 = a linear scan "
        "of the query's text decides, and the full parse runs only when the scan cannot decide and when the "
        "engine refuses the query (for its message); 0 = the full parse checks every query. Never used for "
        "remote endpoints or without the sandbox; see docs/decisions/guard-in-the-sandbox.md "
        "(engine/worker_main.py).",
        minimum=0,
        maximum=1,
    )
    result_cache_mb: int = _s(
        64,
        "Memory for remembered endpoint answers, in MiB: the data is read-only, so an answer is kept by store "
        "generation, query text, format and limits, and a repeated query is sent from memory without a worker. "
        "The least recently used answers leave first; an answer larger than a quarter of this is never kept; "
        "0 turns the cache off (engine/query_workers.py).",
        minimum=0,
        maximum=65_536,
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            _check(f, value)

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed (validated like the constructor)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SettingError(_unknown_message(unknown[0]))
        return dataclasses.replace(self, **changes)

    def with_pairs(self, pairs: Iterable[tuple[str, str]]) -> Settings:
        """Apply ``(name, text value)`` pairs, e.g. from ``--setting NAME VALUE`` on the command line."""
        changes: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for name, text in pairs:
            if name not in fields:
                raise SettingError(_unknown_message(name))
            default = fields[name].default
            kind: type = str if isinstance(default, str) else int if isinstance(default, int) else float
            try:
                changes[name] = kind(text)
            except ValueError:
                raise SettingError(
                    f"setting {name} must be {'a whole number' if kind is int else 'a number'}, got {text!r}; "
                    f"for example --setting {name} {fields[name].default}"
                ) from None
        return self.with_overrides(**changes)


@dataclass(frozen=True)
class Setting:
    """One setting as documented: its name, default and help text."""

    name: str
    default: int | float | str
    help: str


def describe_settings() -> tuple[Setting, ...]:
    """All settings with their defaults and help text, in declaration order.

    >>> [s.name for s in describe_settings()][:2]
    ['query_time_limit_s', 'max_result_rows']
    """
    return tuple(
        Setting(f.name, cast(int | float | str, f.default), f.metadata["help"]) for f in dataclasses.fields(Settings)
    )


def cap(requested: int | float | None, limit: int | float) -> Any:
    """The effective limit: what the caller asked for, but never more than the setting allows."""
    if requested is None:
        return limit
    if isinstance(requested, float) and math.isnan(requested):
        # NaN compares false with everything, so min() would let it through as the limit.
        raise SettingError(f"a limit must be a number, got {requested}; leave it out to use the setting ({limit})")
    if requested <= 0:
        raise SettingError(f"a limit must be positive, got {requested}; leave it out to use the setting ({limit})")
    return min(requested, limit)


def _check(f: dataclasses.Field[Any], value: Any) -> None:
    meta: Mapping[str, Any] = f.metadata
    if isinstance(f.default, str):
        if not isinstance(value, str):
            raise SettingError(f"setting {f.name} must be text, got {value!r}; the default is {f.default!r}")
        if any(ord(c) < 32 for c in value):
            raise SettingError(
                f"setting {f.name} must be text on one line (no control characters), got {value!r}; "
                f"the default is {f.default!r}"
            )
        return
    expected = int if isinstance(f.default, int) else float
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (expected is int and isinstance(value, float)):
        raise SettingError(
            f"setting {f.name} must be {'a whole number' if expected is int else 'a number'}, "
            f"got {value!r}; the default is {f.default}"
        )
    if isinstance(value, float) and math.isnan(value):
        raise SettingError(f"setting {f.name} must be a number, got {value!r}; the default is {f.default}")
    if meta.get("min") is not None and value < meta["min"]:
        raise SettingError(f"setting {f.name} must be at least {meta['min']}, got {value}; the default is {f.default}")
    if meta.get("max") is not None and value > meta["max"]:
        raise SettingError(f"setting {f.name} must be at most {meta['max']}, got {value}; the default is {f.default}")


def _unknown_message(name: str) -> str:
    names = ", ".join(f.name for f in dataclasses.fields(Settings))
    return f"unknown setting {name!r}; the settings are: {names}"

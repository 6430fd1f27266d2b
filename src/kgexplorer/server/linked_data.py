"""The endpoint's other doors: the gallery as canned queries (``/queries/NAME``) and the vocabulary's IRIs
dereferenced (``/id/NAME``), as linked data should be.

* ``GET /queries`` lists the gallery's questions (JSON: name, title, description, parameters, URL), as
  Datasette lists its canned queries; ``GET /queries/NAME?PARAM=VALUE`` runs one. A value is an IRI, a
  prefixed name (``kg:esketamine``) or a name the graph knows (``Spravato``), checked for the parameter's
  kind and bound beside the unchanged text (:mod:`kgexplorer.engine.bindings`), never pasted into it; a
  parameter left out takes its default. The
  answer comes in every format ``/sparql`` offers (``format=`` or Accept), through the same guarded worker
  and limits.
* ``GET /id/NAME`` describes the entity ``kg:NAME``: Turtle (or any RDF format asked for) from a
  ``DESCRIBE``, or, for a browser that asks for HTML, a card with its label, kinds, definition and links.

Refusals: 404 ``NotFound`` (no such question or entity, with what there is), 400 ``BadRequest`` (a
parameter the question does not have, or a value that is not of its kind), and those of ``/sparql``.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from kgexplorer.engine.bindings import Bindings
from kgexplorer.errors import EntityNotFound, KgExplorerError, QueryError
from kgexplorer.model.gallery import GalleryQuery, load_gallery
from kgexplorer.namespaces import KG
from kgexplorer.terms import IRI

from .protocol import (
    GRAPH_FORMATS,
    PAGE_FORMAT,
    SECURITY_HEADERS,
    Refusal,
    choose_format,
    not_acceptable,
    wanted_accept,
)
from .query_string import url_params

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = ["Runner", "entity_page", "question_list", "question_request"]

#: How the endpoint runs a query text (with values bound beside it) for a request: guarded, limited, in the
#: format ``accept`` asks.
Runner = Callable[[str, "str | None", Request, Bindings], Awaitable[Response]]
_FORMAT_KEYS = ("format", "output", "results")
_CARD_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _gallery() -> dict[str, GalleryQuery]:
    return {q.name: q for q in load_gallery()}


async def question_list(request: Request) -> Response:
    """The gallery's questions as JSON, each with its parameters and the URL that runs it."""
    base = str(request.url_for("queries"))
    found = [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "parameters": [{"name": p.name, "kind": p.kind, "default": p.default} for p in q.params],
            "url": f"{base}/{q.name}",
        }
        for q in _gallery().values()
    ]
    return JSONResponse({"queries": found}, headers=SECURITY_HEADERS)


async def question_request(request: Request, kg: KnowledgeGraph, run: Runner) -> Response:
    """Run the gallery question ``NAME`` of ``/queries/NAME`` with the request's parameters, via ``run``."""
    name = request.path_params["name"]
    gallery = _gallery()
    question = gallery.get(name)
    if question is None:
        raise Refusal(
            404, "NotFound", f"no gallery question called {name[:100]!r}; the questions are: {', '.join(gallery)}"
        )
    params = url_params(request)
    texts: dict[str, str] = {}
    for key, value in params:
        if key in _FORMAT_KEYS:
            continue
        if key in texts:
            raise Refusal(400, "BadRequest", f"the parameter {key!r} is given twice; give it once")
        texts[key] = value
    try:
        values = await run_in_threadpool(question.resolve_values, kg, texts)
        bound = question.bind(values)
    except EntityNotFound as exc:
        raise Refusal(400, "BadRequest", str(exc)) from None
    except QueryError as exc:
        raise Refusal(400, "BadRequest", str(exc)) from None
    return await run(question.text, wanted_accept(params, request.headers.get("accept")), request, bound)


async def entity_page(request: Request, kg: KnowledgeGraph, run: Runner) -> Response:
    """``/id/NAME``: the entity as RDF (a DESCRIBE, via ``run``) or, for a browser, an HTML card."""
    iri = KG + request.path_params["name"]
    try:
        checked = IRI(iri).n3()
    except ValueError:
        raise Refusal(404, "NotFound", f"{iri[:200]!r} is not an IRI of this graph") from None
    accept = request.headers.get("accept")
    offered = (*GRAPH_FORMATS, PAGE_FORMAT)
    fmt = choose_format(wanted_accept(url_params(request), accept), offered)
    if fmt is None:
        raise not_acceptable(accept, offered, f"the description of {iri}")
    try:
        known = await run_in_threadpool(kg.sparql, f"ASK {{ {{ {checked} ?p ?o }} UNION {{ ?s ?p {checked} }} }}")
    except KgExplorerError as exc:  # a busy or failing engine: the client may try again
        raise Refusal(503, type(exc).__name__, str(exc)) from None
    if not getattr(known, "value", False):
        raise Refusal(404, "NotFound", f"the graph says nothing about {iri}; search for it at /sparql")
    if fmt is not PAGE_FORMAT:
        return await run(f"DESCRIBE {checked}", fmt.media_type, request, ())
    try:
        card = await run_in_threadpool(kg.entity, iri)
    except KgExplorerError as exc:
        raise Refusal(404, "NotFound", str(exc)) from None
    rows = "".join(
        f"<tr><td>{html.escape(link.label)}{' (of)' if link.direction == 'in' else ''}</td>"
        f'<td><a href="{html.escape(_local(link.other.iri))}">{html.escape(link.other.label)}</a></td></tr>'
        for link in card.links
    )
    kinds = ", ".join(html.escape(t) for t in card.types)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(card.ref.label)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
td{{padding:.2rem .6rem;vertical-align:top}}</style></head>
<body><h1>{html.escape(card.ref.label)}</h1>
<p><code>{html.escape(iri)}</code> · {kinds}</p>
<p>{html.escape(card.definition)}</p>
<table>{rows}</table>
<p>{html.escape(card.links_note())}. As RDF: ask for <code>text/turtle</code>, or add <code>?format=turtle</code>.</p>
<p>Educational content, not medical advice.</p></body></html>
"""
    headers = {"Vary": "Accept", "Content-Security-Policy": _CARD_POLICY, **SECURITY_HEADERS}
    return HTMLResponse(body, headers=headers)


def _local(iri: str) -> str:
    """A link to another entity's card on this endpoint when it is one of ours, else its IRI."""
    return iri[len(KG) :] if iri.startswith(KG) else iri

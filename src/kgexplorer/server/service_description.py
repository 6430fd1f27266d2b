"""What the SPARQL endpoint says about itself: its service description (RDF) and its query page (HTML).

``GET /service-description`` (and ``GET /sparql`` without a query) answers with a SPARQL 1.1 Service
Description (:func:`description_graph`): the endpoint, the language, the result formats, the limits in
words and the dataset's title, size and licence (the bundled graph is CC BY 4.0: reusers must credit it).
``GET /`` is a small page with a query form
(:func:`page_response`): every piece of data on it is escaped, under a ``default-src 'none'`` policy.
:mod:`kgexplorer.server.endpoint` serves both.
"""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse, Response

from kgexplorer.engine.results import GraphResult
from kgexplorer.namespaces import PREFIXES, RDF, RDFS
from kgexplorer.terms import IRI, BlankNode, Literal, Triple

from .protocol import GRAPH_FORMATS, RESULT_FORMATS, SECURITY_HEADERS

__all__ = ["description_graph", "limits_text", "page_response"]

_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS_NS = "http://www.w3.org/ns/formats/"
_XSD_INTEGER = PREFIXES["xsd"] + "integer"
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"


def description_graph(endpoint: str, *, title: str, triples: int, limits: str, licence: str = "") -> GraphResult:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint`` (its URL), as a graph.

    ``licence`` (the data's licence, an IRI or text) becomes the dataset's ``dcterms:license``.

    >>> cc_by = "https://creativecommons.org/licenses/by/4.0/"
    >>> g = description_graph("http://127.0.0.1:7878/sparql", title="t", triples=3, limits="read-only", licence=cc_by)
    >>> any(t.object == IRI(_SD + "SPARQL11Query") for t in g.triples)
    True
    >>> [t.object for t in g.triples if t.predicate == IRI(PREFIXES["dcterms"] + "license")] == [IRI(cc_by)]
    True
    """
    sd, service, dataset, graph = _SD, BlankNode("service"), BlankNode("dataset"), BlankNode("defaultGraph")
    rdf_type = IRI(RDF + "type")
    found = [
        Triple(service, rdf_type, IRI(sd + "Service")),
        Triple(service, IRI(sd + "supportedLanguage"), IRI(sd + "SPARQL11Query")),
        Triple(service, IRI(sd + "feature"), IRI(sd + "UnionDefaultGraph")),
        *(
            Triple(service, IRI(sd + "resultFormat"), IRI(_FORMATS_NS + f.sd_format))
            for f in (*RESULT_FORMATS, *GRAPH_FORMATS)
        ),
        Triple(service, IRI(RDFS + "comment"), Literal(limits, language="en")),
        Triple(service, IRI(sd + "defaultDataset"), dataset),
        Triple(dataset, rdf_type, IRI(sd + "Dataset")),
        Triple(dataset, IRI(PREFIXES["dcterms"] + "title"), Literal(title)),
        Triple(dataset, IRI(sd + "defaultGraph"), graph),
        Triple(graph, rdf_type, IRI(sd + "Graph")),
        Triple(graph, IRI(PREFIXES["void"] + "triples"), Literal(str(triples), datatype=_XSD_INTEGER)),
    ]
    try:
        IRI(endpoint).n3()
        found.insert(1, Triple(service, IRI(sd + "endpoint"), IRI(endpoint)))
    except ValueError:  # a Host header that makes no valid IRI: describe the service without it
        pass
    if licence:
        found.append(Triple(dataset, IRI(PREFIXES["dcterms"] + "license"), _iri_or_text(licence)))
    return GraphResult(tuple(found), prefixes={**PREFIXES, "sd": _SD, "formats": _FORMATS_NS})


def _iri_or_text(value: str) -> IRI | Literal:
    if value.startswith(("http://", "https://")):
        try:
            IRI(value).n3()
            return IRI(value)
        except ValueError:
            pass
    return Literal(value)


def limits_text(*, time_limit_s: float, memory_mb: int, max_rows: int) -> str:
    """The endpoint's limits in one sentence (in its description and on its page)."""
    return (
        f"Read-only SPARQL 1.1 queries. Each query may run {time_limit_s:g} s (query_time_limit_s) and use "
        f"{memory_mb} MiB (worker_memory_mb); results are cut at {max_rows:,} rows "
        "(max_result_rows). Updates, LOAD, SERVICE, FROM and FROM NAMED are refused."
    )


def page_response(*, title: str, triples: int, limits: str, licence: str = "") -> Response:
    """The endpoint's HTML page: a query form, the prefixes, the limits and the data's licence (data escaped,
    under a strict CSP)."""
    licence_line = (
        f"<p>Data licence: {html.escape(licence)}; credit the dataset when you reuse it.</p>" if licence else ""
    )
    example = "SELECT ?substance ?label WHERE {\n  ?substance a kgx:Substance ; rdfs:label ?label .\n}\n"
    example += "ORDER BY ?label\nLIMIT 20"
    prefixes = "".join(f"<li><code>{html.escape(p)}:</code> {html.escape(iri)}</li>" for p, iri in PREFIXES.items())
    options = "".join(
        f'<option value="{f.name}">{f.name} ({html.escape(f.media_type)})</option>'
        for f in (*RESULT_FORMATS, *GRAPH_FORMATS)
    )
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}: SPARQL</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
textarea{{width:100%;font-family:monospace}}</style></head>
<body><h1>SPARQL query: {html.escape(title)}</h1>
<p>{html.escape(limits)} {triples:,} triples.</p>
<form method="get" action="sparql">
<p><label for="query">Query</label></p>
<textarea id="query" name="query" rows="12">{html.escape(example)}</textarea>
<p><label for="format">Result format</label> <select id="format" name="format">
<option value="">automatic (JSON for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE)</option>{options}</select>
<button type="submit">Run query</button></p></form>
<p>These prefixes need no PREFIX line:</p><ul>{prefixes}</ul>
<p>Machines: the endpoint is <code>/sparql</code> (SPARQL 1.1 Protocol, GET or POST);
the <a href="service-description">service description</a> says what it supports.</p>
{licence_line}<p>Educational content, not medical advice.</p></body></html>
"""
    return HTMLResponse(body, headers={"Content-Security-Policy": _PAGE_POLICY, **SECURITY_HEADERS})

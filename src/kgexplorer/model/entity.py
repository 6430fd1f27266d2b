"""The entity card: what one thing is, what is claimed about it, and on what evidence.

Works on any RDF (labels, types, attributes and links); on the kgexplorer vocabulary it also shows the
definition, synonyms, identifiers linked to their registries, and the claims grouped by relation with
evidence level, design, year, N, result direction and the supporting studies.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field

from kgexplorer.engine.backend import Backend
from kgexplorer.evidence import DIRECTIONS, level, level_by_iri
from kgexplorer.namespaces import KGX, RDF, RDFS, SKOS
from kgexplorer.terms import IRI, Literal, Term

from .labels import EntityRef, fetch_kinds, fetch_labels

__all__ = ["Attribute", "ClaimView", "EntityCard", "Identifier", "Link", "StudyRef", "build_card"]

_DEFINITION = (
    SKOS + "definition",
    "http://purl.org/dc/terms/description",
    RDFS + "comment",
    "http://schema.org/description",
)
_SYNONYM = (SKOS + "altLabel",)
_HIDDEN = {
    RDF + "type",
    RDFS + "label",
    SKOS + "prefLabel",
    "http://schema.org/name",
    *_DEFINITION,
    *_SYNONYM,
    "http://purl.org/dc/terms/source",
    "http://purl.org/dc/terms/provenance",
}
_DIRECTION = {KGX + d.capitalize(): d for d in DIRECTIONS}


@dataclass(frozen=True)
class Identifier:
    """An identifier with a link to its registry when the scheme has one."""

    scheme: str
    value: str
    url: str | None


@dataclass(frozen=True)
class StudyRef:
    """A study or document cited by a claim, with what it reported about the claim when it is evidence.

    ``url`` is the canonical link: the DOI, else the PubMed record, else the source's own ``dcterms:source``
    (a label or a regulator's page). ``direction`` and ``result`` are this source's own finding (its result
    direction and the result as it reports it), which may differ from the claim's combined direction.
    """

    iri: str
    label: str
    year: str | None
    design: str | None
    n: int | None
    url: str | None
    direction: str = ""
    result: str = ""


@dataclass(frozen=True)
class ClaimView:
    """One claim as seen from the entity: the relation, the other end and the evidence."""

    iri: str
    relation: str
    predicate: str
    role: str  # "subject" when the entity is the claim's subject, else "object"
    other: EntityRef
    statement: str
    explanation: str
    level: str
    level_rank: int | None
    direction: str
    design: str
    n: int | None
    studies: tuple[StudyRef, ...]
    cited_in: tuple[StudyRef, ...]
    species: tuple[str, ...]
    contested: bool
    status: str
    note: str
    sources: tuple[str, ...]

    @property
    def years(self) -> tuple[str, ...]:
        """The supporting studies' years, oldest first."""
        return tuple(sorted({s.year for s in self.studies if s.year}))


@dataclass(frozen=True)
class Attribute:
    """A value of the entity: a literal, or a link to something without a card of its own."""

    property: str
    label: str
    value: str
    iri: str | None


@dataclass(frozen=True)
class Link:
    """A structural link to or from another entity (not a claim)."""

    property: str
    label: str
    direction: str  # "out" or "in"
    other: EntityRef


@dataclass(frozen=True)
class EntityCard:
    """Everything the explorer shows about one entity."""

    ref: EntityRef
    types: tuple[str, ...]
    definition: str
    synonyms: tuple[str, ...]
    identifiers: tuple[Identifier, ...]
    claims: tuple[ClaimView, ...]
    attributes: tuple[Attribute, ...]
    links: tuple[Link, ...]
    sources: tuple[str, ...]
    #: How many links the entity has in all; more than ``len(links)`` when the max_card_links setting cut them.
    links_total: int = 0

    @property
    def iri(self) -> str:
        return self.ref.iri

    @property
    def links_truncated(self) -> bool:
        """True when the card lists only the first ``len(links)`` of ``links_total`` links."""
        return self.links_total > len(self.links)

    def links_note(self) -> str:
        """What the card lists of the entity's links, e.g. ``"first 200 of 8,802 links"``.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     card = kg.entity("ketamine")
        >>> card.links_truncated, card.links_note() == f"{len(card.links)} links"
        (False, True)
        """
        if self.links_truncated:
            return f"first {len(self.links):,} of {self.links_total:,} links (the max_card_links setting)"
        return f"{len(self.links):,} link{'' if len(self.links) == 1 else 's'}"

    @property
    def label(self) -> str:
        return self.ref.label

    def to_text(self) -> str:
        """The card as plain text for a terminal (what `kgexplorer show` prints)."""
        from kgexplorer.namespaces import shorten

        card = self
        lines = [f"{card.label}  [{card.ref.kind}]  {shorten(card.iri)}"]
        if card.types:
            lines.append("types: " + ", ".join(card.types))
        if card.definition:
            lines.append(card.definition)
        if card.synonyms:
            lines.append("also called: " + ", ".join(card.synonyms))
        for ident in card.identifiers:
            lines.append(f"{ident.scheme}: {ident.value}" + (f"  {ident.url}" if ident.url else ""))
        for relation, claims in card.claims_by_relation().items():
            lines.append(f"\n{relation}:")
            for c in claims:
                years = "-".join(dict.fromkeys((c.years[0], c.years[-1]))) if c.years else ""
                facts = ", ".join(x for x in (c.level, c.direction, years, f"N={c.n}" if c.n else "") if x)
                flags = (" [contested]" if c.contested else "") + (
                    f" [{c.status}]" if c.status and c.status != "verified" else ""
                )
                lines.append(f"  - {c.other.label} ({facts}){flags}")
                if c.explanation:
                    lines.append(f"    {c.explanation}")
                for s in c.studies:
                    own = f" [{s.direction}]" if s.direction else ""
                    lines.append(f"    evidence: {s.label}{own}" + (f"  {s.url}" if s.url else ""))
                    if s.result:
                        lines.append(f"      {s.result}")
        for a in card.attributes:
            lines.append(f"{a.label}: {a.value}")
        if card.links:
            lines.append(f"\nlinks ({card.links_note()}):")
            for lk in card.links:
                arrow = "→" if lk.direction == "out" else "←"
                lines.append(f"  {arrow} {lk.label}: {lk.other.label} [{lk.other.kind}]")
        if card.sources:
            lines.append("\nsources: " + " ".join(card.sources))
        lines.append("\nEducational content, not medical advice.")
        return "\n".join(lines)

    def at_least(self, level_key: str | None) -> EntityCard:
        """The card with only the claims whose evidence is at ``level_key`` (a rubric key, e.g. ``"RCT"``) or
        stronger, as the graph shows them under the same filter; the whole card for None.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     card = kg.entity("ketamine")
        >>> strong = card.at_least("RCT")
        >>> 0 < len(strong.claims) < len(card.claims), all(c.level_rank <= 2 for c in strong.claims)
        (True, True)
        """
        if level_key is None:
            return self
        rank = level(level_key).rank
        return dataclasses.replace(
            self, claims=tuple(c for c in self.claims if c.level_rank is not None and c.level_rank <= rank)
        )

    def claims_by_relation(self) -> dict[str, list[ClaimView]]:
        """Claims grouped by relation, strongest evidence first inside each group."""
        groups: dict[str, list[ClaimView]] = defaultdict(list)
        for c in self.claims:
            key = c.relation if c.role == "subject" else f"{c.relation} (from)"
            groups[key].append(c)
        for items in groups.values():
            items.sort(key=lambda c: (c.level_rank or 99, c.other.label, c.iri))
        return dict(groups)


@dataclass
class _Parts:
    """The entity's own triples, sorted by what the card does with them."""

    definition: str = ""
    synonyms: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    literals: list[tuple[str, str]] = field(default_factory=list)
    iris: list[tuple[str, str]] = field(default_factory=list)


def _sort_triples(rows: tuple[tuple[Term | None, ...], ...]) -> _Parts:
    parts = _Parts()
    for pred, obj in rows:
        if pred is None or obj is None:
            continue
        pv = str(pred)
        if pv == RDF + "type" and isinstance(obj, IRI):
            parts.types.append(obj.value)
        elif pv in _DEFINITION and isinstance(obj, Literal):
            if not parts.definition or (obj.language or "en").startswith("en"):
                parts.definition = obj.value
        elif pv in _SYNONYM and isinstance(obj, Literal):
            parts.synonyms.append(obj.value)
        elif pv == "http://purl.org/dc/terms/source":
            parts.sources.append(str(obj))
        elif pv in _HIDDEN:
            continue
        elif isinstance(obj, Literal):
            parts.literals.append((pv, obj.value))
        elif isinstance(obj, IRI):
            parts.iris.append((pv, obj.value))
    return parts


def build_card(backend: Backend, iri: str, *, kind: str | None = None, max_links: int = 200) -> EntityCard:
    """Build the card of one entity (which must exist), listing at most ``max_links`` links.

    Links are taken in the store's order (no ORDER BY: Oxigraph sorts about 10,000 rows a second, which
    made a hub's card slow), outgoing and incoming sharing the cap (each direction keeps at least half of
    it when it has that many); a cut card counts the rest with COUNT queries (``links_total``).
    """
    target = IRI(iri)
    parts = _sort_triples(
        backend.select(
            f"SELECT ?p ?o WHERE {{ ?s ?p ?o . FILTER(!isIRI(?o) || ?p IN ({_NOT_LINKS})) }}",
            values={"s": target},
            max_rows=5000,
        ).rows
    )
    out_links, in_links, links_total = _links(backend, target, max_links)
    parts.iris += out_links

    id_meta = _identifier_schemes(backend, {p for p, _ in parts.literals} | {p for p, _ in parts.iris})
    identifiers: list[Identifier] = []
    attrs_kept: list[tuple[str, str, str | None]] = []
    for prop, text in parts.literals:
        if prop in id_meta:
            scheme, template = id_meta[prop]
            identifiers.append(Identifier(scheme, text, template.replace("{id}", text) if template else None))
        else:
            attrs_kept.append((prop, text, None))
    links_out: list[tuple[str, str]] = []
    for prop, obj_iri in parts.iris:
        if prop == KGX + "doi":
            identifiers.append(Identifier("DOI", obj_iri.removeprefix("https://doi.org/"), obj_iri))
        elif prop.startswith(KGX) and prop[len(KGX) :] in _VALUE_PROPERTIES:
            attrs_kept.append((prop, obj_iri, obj_iri))
        else:
            links_out.append((prop, obj_iri))

    claims = _claims(backend, iri)
    others = {o for _, o in links_out} | {s for _, s in in_links} | set(parts.types)
    props = {p for p, _, _ in attrs_kept} | {p for p, _ in links_out} | {p for p, _ in in_links}
    value_iris = {v for p, v, link in attrs_kept if link and p not in _ADDRESSES}
    labels = fetch_labels(backend, [iri, *others, *props, *value_iris])
    kinds = fetch_kinds(backend, [iri, *{o for _, o in links_out}, *{s for _, s in in_links}])
    ref = EntityRef(iri, labels[iri], kind or kinds[iri])
    links = [Link(p, labels[p], "out", EntityRef(o, labels[o], kinds[o])) for p, o in links_out]
    links += [Link(p, labels[p], "in", EntityRef(s, labels[s], kinds[s])) for p, s in in_links]
    attributes = [
        Attribute(p, labels[p], v if p in _ADDRESSES else labels[v] if link else v, link) for p, v, link in attrs_kept
    ]
    return EntityCard(
        ref=ref,
        types=tuple(sorted({labels[t] for t in parts.types})),
        definition=parts.definition,
        synonyms=tuple(sorted(set(parts.synonyms), key=str.casefold)),
        identifiers=tuple(sorted(identifiers, key=lambda i: (i.scheme, i.value))),
        claims=claims,
        attributes=tuple(sorted(attributes, key=lambda a: (a.label, a.value))),
        links=tuple(sorted(links, key=lambda lk: (lk.direction, lk.label, lk.other.label))),
        sources=tuple(sorted(set(parts.sources))),
        links_total=links_total,
    )


def _links(backend: Backend, target: IRI, max_links: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    """The first links out and in (as (predicate, other) pairs) within ``max_links``, and how many there are."""
    out_rows = backend.select(f"SELECT ?p ?o WHERE {{ {_OUT_LINK} }}", values={"s": target}, max_rows=max_links)
    in_rows = backend.select(f"SELECT ?p ?s WHERE {{ {_IN_LINK} }}", values={"o": target}, max_rows=max_links)
    out = [(str(p), str(o)) for p, o in out_rows.rows if p is not None and o is not None]
    into = [(str(p), str(s)) for p, s in in_rows.rows if p is not None and s is not None]
    keep_out = min(len(out), max(max_links - len(into), max_links // 2))
    keep_in = min(len(into), max_links - keep_out)
    total = len(out) + len(into)
    if out_rows.truncated:
        total += _count(backend, f"SELECT (COUNT(*) AS ?n) WHERE {{ {_OUT_LINK} }}", {"s": target}) - len(out)
    if in_rows.truncated:
        total += _count(backend, f"SELECT (COUNT(*) AS ?n) WHERE {{ {_IN_LINK} }}", {"o": target}) - len(into)
    return out[:keep_out], into[:keep_in], total


# Properties whose IRI values are controlled values (rubric levels, species…) rather than neighbours.
_VALUE_PROPERTIES = {
    "evidenceLevel",
    "species",
    "status",
    "sourceTier",
    "primaryOutcomeResult",
    "evidenceKind",
    *("readAt", "seenIn", "retractionNotice"),  # web pages, shown as their address
}
_ADDRESSES = {KGX + p for p in ("readAt", "seenIn", "retractionNotice")}

# Outgoing IRI values that are never links: the card files them as types, sources, identifiers or values.
_NOT_LINKS = ", ".join(
    f"<{p}>" for p in sorted({RDF + "type", KGX + "doi", *_HIDDEN, *(KGX + v for v in _VALUE_PROPERTIES)})
)


_IN_LINK = (
    "?s ?p ?o . FILTER(isIRI(?s)) FILTER NOT EXISTS { ?s a kgx:Claim } "
    "FILTER NOT EXISTS { ?s a kgx:StudyResult } FILTER(?p NOT IN (kgx:subject, kgx:object, kgx:nameOf))"
)
_OUT_LINK = f"?s ?p ?o . FILTER(isIRI(?o) && ?p NOT IN ({_NOT_LINKS}))"


def _identifier_schemes(backend: Backend, properties: set[str]) -> dict[str, tuple[str, str | None]]:
    """Properties that carry identifiers (kgx:idPattern), with their label and registry URL template."""
    if not properties:
        return {}
    rows = backend.select(
        "SELECT ?p ?label ?url WHERE { ?p kgx:idPattern ?pattern . OPTIONAL { ?p rdfs:label ?label } "
        "OPTIONAL { ?p kgx:formatterURL ?url } }",
        values={"p": [IRI(p) for p in sorted(properties)]},
    ).rows
    return {str(p): (str(lab) if lab else str(p), str(url) if url else None) for p, lab, url in rows if p}


def _claims(backend: Backend, iri: str) -> tuple[ClaimView, ...]:
    target = IRI(iri)
    rows = backend.select(
        """SELECT ?c ?role ?p ?other ?statement ?explanation ?level ?dir ?design ?n ?contested ?status ?note WHERE {
             { ?c kgx:subject ?e ; kgx:object ?other . BIND("subject" AS ?role) }
             UNION { ?c kgx:object ?e ; kgx:subject ?other . BIND("object" AS ?role) }
             ?c a kgx:Claim ; kgx:predicate ?p .
             OPTIONAL { ?c kgx:statement ?statement } OPTIONAL { ?c kgx:explanation ?explanation }
             OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir }
             OPTIONAL { ?c kgx:studyDesign ?design } OPTIONAL { ?c kgx:totalSampleSize ?n }
             OPTIONAL { ?c kgx:contested ?contested } OPTIONAL { ?c kgx:status ?status }
             OPTIONAL { ?c kgx:note ?note } }""",
        values={"e": target},
        max_rows=2000,
    ).rows
    if not rows:
        return ()
    claim_iris = [str(r[0]) for r in rows]
    study_rows = backend.select(
        """SELECT ?c ?rel ?s ?year ?design ?n ?doi ?pmid ?canonical ?dir ?result WHERE {
             { ?c kgx:supportedBy ?s . BIND("evidence" AS ?rel)
               OPTIONAL { ?c kgx:resultForStudy ?r . ?r kgx:study ?s .
                          OPTIONAL { ?r kgx:resultDirection ?dir } OPTIONAL { ?r kgx:reportedResult ?result } } }
             UNION { ?c kgx:citedIn ?s . BIND("cited" AS ?rel) }
             OPTIONAL { ?s kgx:year ?year } OPTIONAL { ?s kgx:studyDesign ?design }
             OPTIONAL { ?s kgx:sampleSize ?n } OPTIONAL { ?s kgx:doi ?doi } OPTIONAL { ?s kgx:pmid ?pmid }
             OPTIONAL { ?s dcterms:source ?canonical } }""",
        values={"c": [IRI(c) for c in claim_iris]},
        max_rows=10_000,
    ).rows
    extra_rows = backend.select(
        """SELECT ?c ?what ?v WHERE {
             { ?c kgx:species ?v . BIND("species" AS ?what) }
             UNION { ?c dcterms:source ?v . BIND("source" AS ?what) } }""",
        values={"c": [IRI(c) for c in claim_iris]},
        max_rows=10_000,
    ).rows
    # One entry per (claim, role, study): a study with two canonical links or a text in two languages
    # answers several rows, and the first is enough.
    studies: dict[str, dict[str, dict[str, tuple[str | None, str | None, int | None, str | None, str, str]]]] = (
        defaultdict(lambda: defaultdict(dict))
    )
    for c, rel, s, year, design, n, doi, pmid, canonical, d, result in study_rows:
        url = str(doi) if doi else (f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None)
        url = url or (str(canonical) if isinstance(canonical, IRI) else None)
        studies[str(c)][str(rel)].setdefault(
            str(s),
            (
                str(year) if year else None,
                str(design) if design else None,
                _whole(n),
                url,
                _DIRECTION.get(str(d), "") if d else "",
                str(result or ""),
            ),
        )
    species: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    for c, what, v in extra_rows:
        (species if str(what) == "species" else sources)[str(c)].append(str(v))
    names = fetch_labels(
        backend,
        {str(r[3]) for r in rows}
        | {str(r[2]) for r in rows}
        | {s for d in studies.values() for found in d.values() for s in found}
        | {s for lst in species.values() for s in lst}
        | {str(r[11]) for r in rows if r[11]},
    )
    kinds = fetch_kinds(backend, {str(r[3]) for r in rows})
    views = []
    for c, role, p, other, statement, explanation, lev, d, design, n, contested, status, note in rows:
        lv = level_by_iri(str(lev)) if lev else None

        def refs(rel: str, c: object = c) -> tuple[StudyRef, ...]:
            items = studies.get(str(c), {}).get(rel, {})
            return tuple(
                sorted(
                    (StudyRef(s, names[s], *values) for s, values in items.items()),
                    key=lambda r: (r.year or "", r.label),
                )
            )

        views.append(
            ClaimView(
                iri=str(c),
                relation=names[str(p)],
                predicate=str(p),
                role=str(role),
                other=EntityRef(str(other), names[str(other)], kinds[str(other)]),
                statement=str(statement or ""),
                explanation=str(explanation or ""),
                level=lv.label if lv else (names.get(str(lev), "") if lev else ""),
                level_rank=lv.rank if lv else None,
                direction=_DIRECTION.get(str(d), "") if d else "",
                design=str(design or ""),
                n=_whole(n),
                studies=refs("evidence"),
                cited_in=refs("cited"),
                species=tuple(sorted(names[s] for s in species.get(str(c), []))),
                contested=str(contested).lower() == "true" if contested else False,
                status=names[str(status)] if status else "",
                note=str(note or ""),
                sources=tuple(sorted(sources.get(str(c), []))),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.role, v.relation, v.level_rank or 99, v.other.label, v.iri)))


def _count(backend: Backend, query: str, values: dict[str, IRI]) -> int:
    rows = backend.select(query, values=values).rows
    return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0


def _whole(term: object) -> int | None:
    """A sample size as a whole number; None when absent or not a whole number (data is not trusted)."""
    try:
        return int(str(term)) if term is not None else None
    except ValueError:
        return None

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
from kgexplorer.evidence import level
from kgexplorer.namespaces import KGX, RDF, RDFS, SKOS
from kgexplorer.settings import Settings
from kgexplorer.terms import IRI, Literal, Term

from .card_claims import ClaimView, StudyRef, card_claims
from .labels import EntityRef, fetch_kinds, fetch_labels
from .row_cap import RowCap

__all__ = ["ROWS_CUT_NOTE", "Attribute", "ClaimView", "EntityCard", "Identifier", "Link", "StudyRef", "build_card"]

#: What a card cut by the max_card_rows setting says (the CLI's card and the app's).
ROWS_CUT_NOTE = (
    "This card was cut: a part of it had more rows than the max_card_rows setting reads; some may be missing."
)

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


@dataclass(frozen=True)
class Identifier:
    """An identifier with a link to its registry when the scheme has one."""

    scheme: str
    value: str
    url: str | None


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
    #: True when a part of the card (its own values, claims or their studies) was read only up to the
    #: max_card_rows setting: the card may miss some of them.
    rows_cut: bool = False

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
        if card.rows_cut:
            lines.append(f"\n{ROWS_CUT_NOTE}")
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


def build_card(
    backend: Backend,
    iri: str,
    *,
    kind: str | None = None,
    max_links: int = 200,
    max_rows: int = Settings().max_card_rows,
) -> EntityCard:
    """Build the card of one entity (which must exist), listing at most ``max_links`` links.

    Each part of the card (the entity's own values, its claims, their studies) reads at most ``max_rows`` rows
    (the ``max_card_rows`` setting); ``rows_cut`` says when one was cut.

    Links are taken in the store's order (no ORDER BY: Oxigraph sorts about 10,000 rows a second, which
    made a hub's card slow), outgoing and incoming sharing the cap (each direction keeps at least half of
    it when it has that many); a cut card counts the rest with COUNT queries (``links_total``).
    """
    target = IRI(iri)
    reader = RowCap(backend, max_rows)
    parts = _sort_triples(
        reader.select(
            f"SELECT ?p ?o WHERE {{ ?s ?p ?o . FILTER(!isIRI(?o) || ?p IN ({_NOT_LINKS})) }}", values={"s": target}
        )
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

    claims = card_claims(reader, iri)
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
        rows_cut=bool(reader.cut),
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


def _count(backend: Backend, query: str, values: dict[str, IRI]) -> int:
    rows = backend.select(query, values=values).rows
    return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0

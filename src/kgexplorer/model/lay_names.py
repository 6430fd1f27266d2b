"""Lay names that are not another name of what they find: a genus (``kgx:genusName``).

"Psilocybe" finds psilocybin, but it names a genus of living species whose members contain the substance, not
the substance. A lay-name record says so with ``sense: genus`` (docs/decisions/evidence-records.md); the build
stores the name as ``kgx:genusName`` instead of a hidden label, and search answers in words instead of showing it
as a synonym.

>>> match = GenusMatch(name="Psilocybe", entity="kg:psilocybin", label="Psilocybin")
>>> match.sentence
'Psilocybe is a genus of living species, not another name for psilocybin: psilocybin is the substance found in them.'
"""

from __future__ import annotations

from dataclasses import dataclass

from kgexplorer.engine.backend import Backend
from kgexplorer.namespaces import KGX
from kgexplorer.terms import IRI, Literal

from .label_index import SearchHit, normalize

__all__ = ["GenusMatch", "genus_match"]


@dataclass(frozen=True)
class GenusMatch:
    """A search matched the genus ``name`` of the entity ``entity`` (labelled ``label``)."""

    name: str
    entity: str
    label: str

    @property
    def sentence(self) -> str:
        """What the name really is, in words a student reads."""
        substance = self.label[:1].lower() + self.label[1:] if self.label[1:2].islower() else self.label
        return (
            f"{self.name} is a genus of living species, not another name for {substance}: "
            f"{substance} is the substance found in them."
        )


def genus_match(backend: Backend, hit: SearchHit) -> GenusMatch | None:
    """The genus ``hit`` matched (its ``matched`` text is one of the entity's ``kgx:genusName`` values), or None.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     print(genus_match(kg, kg.search("magic mushrooms")[0]))  # a lay name, not a genus
    None
    """
    rows = backend.select(f"SELECT ?l WHERE {{ ?e <{KGX}genusName> ?l }}", values={"e": IRI(hit.iri)}).rows
    wanted = normalize(hit.matched)
    for (name,) in rows:
        if isinstance(name, Literal) and normalize(str(name)) == wanted:
            return GenusMatch(name=str(name), entity=hit.iri, label=hit.label)
    return None

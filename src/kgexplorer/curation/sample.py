"""A reproducible random sample of claims with their sources' identifiers and reported figures, for audits.

Anyone can check the graph the way its second readers did: draw claims with a fixed seed, open each source
by its canonical identifier, and compare the reported result. The same seed over the same records always
draws the same claims (the draw is over the sorted claim ids with Python's seeded ``random.Random``).

>>> from pathlib import Path
>>> from kgexplorer.curation.reader import load_records
>>> recs = load_records(Path("graph/records"))
>>> [s.claim for s in sample_claims(recs, seed=1, count=2)] == [s.claim for s in sample_claims(recs, seed=1, count=2)]
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .records import Records

__all__ = ["SampledClaim", "SampledEvidence", "sample_claims"]


@dataclass(frozen=True)
class SampledEvidence:
    """One source of a sampled claim: what identifies it and what it reports."""

    source: str
    label: str
    identifiers: tuple[str, ...]
    canonical: str
    direction: str
    reported_result: str


@dataclass(frozen=True)
class SampledClaim:
    """A claim drawn for checking, with every source that bears on it."""

    claim: str
    explanation: str
    evidence: tuple[SampledEvidence, ...]


def sample_claims(records: Records, *, seed: int, count: int) -> list[SampledClaim]:
    """``count`` claims (at most all of them) drawn with ``seed``, each with its evidence."""
    ids = sorted(cid for cid in records.claims if records.evidence(cid))
    chosen = random.Random(seed).sample(ids, min(count, len(ids)))
    out = []
    for cid in chosen:
        evidence = []
        for src, finding in records.evidence(cid):
            ids_of = src.identifiers
            shown = [f"DOI {ids_of.doi}"] if ids_of.doi else []
            shown += [f"PMID {ids_of.pmid}"] if ids_of.pmid else []
            shown += list(ids_of.nct)
            evidence.append(
                SampledEvidence(
                    source=src.id,
                    label=src.label,
                    identifiers=tuple(shown),
                    canonical=src.source.canonical,
                    direction=finding.direction,
                    reported_result=finding.reported_result,
                )
            )
        out.append(SampledClaim(claim=cid, explanation=records.claims[cid].explanation, evidence=tuple(evidence)))
    return out

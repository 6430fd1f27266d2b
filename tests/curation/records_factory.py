"""Writes small record folders for the curation tests: one valid set, then each test breaks one thing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SOURCE: dict[str, Any] = {
    "id": "smith_2020",
    "kind": "article",
    "label": "Smith et al. 2020",
    "title": "A trial of ketamine for alcohol use disorder",
    "first_author": "Smith J",
    "year": 2020,
    "journal": "Journal of Examples",
    "identifiers": {"doi": "10.1000/example.2020.1", "pmid": "12345678", "nct": ["NCT01234567"]},
    "design": {
        "level": "rct",
        "text": "randomised, double-blind, placebo-controlled",
        "phase": "2",
        "species": "human",
        "sample_size": 96,
    },
    "population": "adults with alcohol use disorder",
    "substances": ["ketamine"],
    "conditions": ["alcohol_use_disorder"],
    "source": {
        "canonical": "https://doi.org/10.1000/example.2020.1",
        "read_at": "https://pubmed.ncbi.nlm.nih.gov/12345678/",
        "read_on": "2026-12-06",
        "section": "abstract",
        "tier": "primary",
    },
    "findings": [
        {
            "claim": "ketamine__testedFor__alcohol_use_disorder",
            "direction": "mixed",
            "section": "abstract-results",
            "reported_result": "Of 96 adults, those given ketamine had 10.1 percentage points more days abstinent "
            "(95% CI 1.1 to 19.0) after 3 infusions of 0.8 mg/kg over 6 months; relapse did not differ (p=0.51).",
            "effect": {"measure": "mean difference", "value": 10.1, "unit": "percentage points", "ci": [1.1, 19.0]},
            "p": 0.51,
            "n": 96,
            "dose": {"value": 0.8, "unit": "mg/kg", "route": "IV"},
            "sessions": 3,
            "follow_up": {"value": 6, "unit": "months"},
        }
    ],
    "review": {
        "researched_by": "researcher-a",
        "checked_by": "checker-b",
        "checked_on": "2026-12-06",
        "verdict": "confirmed",
    },
}
CLAIM: dict[str, Any] = {
    "id": "ketamine__testedFor__alcohol_use_disorder",
    "subject": "ketamine",
    "relation": "testedFor",
    "object": "alcohol_use_disorder",
    "explanation": "One small trial found more days without alcohol, but no fewer relapses.",
}


def write_records(
    root: Path,
    *,
    sources: list[dict[str, Any]] | None = None,
    claims: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    retractions: list[dict[str, Any]] | None = None,
) -> Path:
    """A records folder under ``root`` holding the given records (the valid example by default)."""
    folder = root / "records"
    for kind, items in (("sources", sources or [SOURCE]), ("claims", claims or [CLAIM]), ("events", events or [])):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for item in items:
            (folder / kind / f"{item['id']}.yaml").write_text(yaml.safe_dump(item, sort_keys=False), encoding="utf-8")
    if retractions is not None:
        (folder / "retractions.yaml").write_text(yaml.safe_dump(retractions), encoding="utf-8")
    return folder

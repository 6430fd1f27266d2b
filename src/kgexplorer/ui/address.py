"""What a page's address says: the Explore view read from, and written back to, its query parameters.

Every view has its link (the README promises it): ``?e=ketamine&depth=2&kinds=Mechanism&lvl=RCT&rel=actsOn``.
A hand-edited or old link never breaks the page: unknown kinds and relations are dropped, a depth outside
1 … ``max_depth`` (a setting) is brought within it, anything unreadable falls back to the default. This module
reads plain mappings, so it is tested without Streamlit.

>>> address = read_explore_address({"e": "ketamine", "depth": "9", "kinds": "Mechanism,Gizmo", "lvl": "RCT"},
...                                kinds=["Mechanism", "Condition"], max_depth=3)
>>> address.entity, address.depth, address.kinds, address.min_evidence
('ketamine', 3, ('Mechanism',), 'RCT')
>>> explore_params(address)["depth"], explore_params(address)["rel"]
('3', None)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from kgexplorer.evidence import LEVELS
from kgexplorer.model.relations import relation_iri, relation_key

__all__ = ["ExploreAddress", "explore_params", "read_explore_address"]

_LEVEL_KEYS = {lv.key for lv in LEVELS}


@dataclass(frozen=True)
class ExploreAddress:
    """The Explore view an address names: the entity (as written, resolved by the page once per run), the depth,
    kinds, weakest evidence level (a rubric key) and relations (IRIs) to show, and whether studies are drawn as
    nodes (``studies=1``; by default they are folded into the links they support)."""

    entity: str = ""
    depth: int = 1
    kinds: tuple[str, ...] = ()
    min_evidence: str | None = None
    relations: tuple[str, ...] = ()
    studies: bool = False


def read_explore_address(params: Mapping[str, str], *, kinds: Collection[str], max_depth: int) -> ExploreAddress:
    """The Explore view in ``params`` (a page's query parameters); ``kinds`` are the graph's kinds and
    ``max_depth`` the deepest view allowed (the ``max_depth`` setting)."""
    text = str(params.get("depth", "")).strip()
    depth = int(text) if text.isdigit() and len(text) < 6 else 1
    level = str(params.get("lvl", ""))
    return ExploreAddress(
        entity=str(params.get("e", "")).strip(),
        depth=min(max(depth, 1), max(max_depth, 1)),
        kinds=tuple(k for k in dict.fromkeys(str(params.get("kinds", "")).split(",")) if k in kinds),
        min_evidence=level if level in _LEVEL_KEYS else None,
        relations=tuple(dict.fromkeys(i for k in str(params.get("rel", "")).split(",") if (i := relation_iri(k)))),
        studies=str(params.get("studies", "")) == "1",
    )


def explore_params(address: ExploreAddress) -> dict[str, str | None]:
    """The query parameters that name ``address`` (None: leave it out), so the link reproduces the view."""
    return {
        "e": address.entity or None,
        "depth": str(address.depth) if address.depth != 1 else None,
        "kinds": ",".join(address.kinds) or None,
        "lvl": address.min_evidence,
        "rel": ",".join(relation_key(i) for i in address.relations) or None,
        "studies": "1" if address.studies else None,
    }

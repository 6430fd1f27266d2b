"""The Explore address, read and written without Streamlit: a link reproduces the view, a bad link never breaks it."""

from __future__ import annotations

import pytest

from kgexplorer.ui.address import ExploreAddress, explore_params, read_explore_address

KGX = "https://w3id.org/kgexplorer/vocab#"
KINDS = ["Substance", "Mechanism", "Condition"]


def test_a_full_address_round_trips() -> None:
    params = {"e": "ketamine", "depth": "2", "kinds": "Mechanism,Condition", "lvl": "RCT", "rel": "actsOn,testedFor"}
    address = read_explore_address(params, kinds=KINDS, max_depth=3)

    assert address == ExploreAddress(
        "ketamine", 2, ("Mechanism", "Condition"), "RCT", (KGX + "actsOn", KGX + "testedFor")
    )
    assert {k: v for k, v in explore_params(address).items() if v is not None} == params


@pytest.mark.parametrize(
    ("depth", "expected"), [("", 1), ("0", 1), ("-2", 1), ("x", 1), ("2", 2), ("6", 4), ("99999999999", 1)]
)
def test_the_depth_stays_within_one_and_the_setting(depth: str, expected: int) -> None:
    assert read_explore_address({"depth": depth}, kinds=KINDS, max_depth=4).depth == expected


def test_unknown_kinds_levels_and_relations_are_dropped() -> None:
    address = read_explore_address(
        {"kinds": "Gizmo,Mechanism,Mechanism", "lvl": "Anecdote", "rel": "not a name,actsOn"}, kinds=KINDS, max_depth=3
    )

    assert address.kinds == ("Mechanism",)
    assert address.min_evidence is None
    assert address.relations == (KGX + "actsOn",)


def test_the_default_view_writes_no_parameters_but_the_entity() -> None:
    assert explore_params(ExploreAddress(entity="ketamine")) == {
        "e": "ketamine",
        "depth": None,
        "kinds": None,
        "lvl": None,
        "rel": None,
        "studies": None,
    }


def test_showing_studies_is_in_the_address() -> None:
    address = read_explore_address({"e": "ketamine", "studies": "1"}, kinds=KINDS, max_depth=3)
    assert address.studies
    assert explore_params(address)["studies"] == "1"
    assert not read_explore_address({"studies": "yes"}, kinds=KINDS, max_depth=3).studies

"""Type-ahead suggestions (model/suggestions.py): from the library's search, with kind and matched name, bounded."""

from __future__ import annotations

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.errors import SettingError
from kgexplorer.model.suggestions import Suggestion, suggestions
from kgexplorer.settings import Settings

KG = "https://w3id.org/kgexplorer/id/"


def test_a_lay_name_suggests_its_substance_with_the_name_that_matched(kg: KnowledgeGraph) -> None:
    first = suggestions(kg, "shro", limit=5)[0]
    assert first == Suggestion(KG + "psilocybin", "Psilocybin", "Substance", "Shrooms", genus=False)
    assert first.text == "Shrooms → Psilocybin · Substance"


def test_a_label_suggests_itself_without_a_matched_name(kg: KnowledgeGraph) -> None:
    found = suggestions(kg, "ketam", limit=5)
    assert found[0].text == "Ketamine · Substance"
    assert found[0].entity == KG + "ketamine"


def test_a_genus_name_is_marked_as_a_genus_never_as_a_synonym(kg: KnowledgeGraph) -> None:
    found = suggestions(kg, "psilocybe", limit=5)
    genus = [s for s in found if s.matched == "Psilocybe"]
    assert genus
    assert genus[0].genus
    assert genus[0].entity == KG + "psilocybin"
    assert genus[0].text == "Psilocybe (genus) → Psilocybin · Substance"
    assert not any(s.genus for s in suggestions(kg, "magic mushrooms", limit=5))


def test_blank_text_suggests_nothing(kg: KnowledgeGraph) -> None:
    assert suggestions(kg, "   ", limit=5) == ()


def test_the_setting_bounds_the_suggestions() -> None:
    with KnowledgeGraph.bundled(settings=Settings(suggestion_limit=2)) as small:
        assert len(suggestions(small, "a", limit=50)) == 2
        assert len(suggestions(small, "a")) == 2
        assert len(suggestions(small, "a", limit=1)) == 1
        with pytest.raises(SettingError):
            suggestions(small, "a", limit=0)

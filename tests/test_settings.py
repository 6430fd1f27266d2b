"""Settings (kgexplorer.settings): defaults, validation with messages that name the setting and the fix,
command-line pairs, and cap(), which lets a call lower a limit but never raise it."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgexplorer import SettingError, Settings, describe_settings
from kgexplorer.settings import cap

SOURCE = Path(__file__).resolve().parents[1] / "src" / "kgexplorer"


def test_defaults() -> None:
    s = Settings()
    assert s.query_time_limit_s == 10.0
    assert s.max_result_rows == 10_000
    assert s.worker_memory_mb == 2048
    assert s.max_query_chars == 100_000
    assert s.search_limit == 20
    assert s.max_view_nodes == 150
    assert s.neighbours_per_relation == 12
    assert s.remote_endpoints == 2  # any address: a researcher's Fuseki on localhost keeps working


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().max_result_rows = 5  # type: ignore[misc]


def test_with_overrides_returns_a_changed_copy() -> None:
    base = Settings()
    changed = base.with_overrides(max_result_rows=50, query_time_limit_s=2)
    assert (changed.max_result_rows, changed.query_time_limit_s) == (50, 2)
    assert base.max_result_rows == 10_000


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"max_result_rows": "50"},
            r"^setting max_result_rows must be a whole number, got '50'; the default is 10000$",
        ),
        ({"max_result_rows": 2.5}, r"^setting max_result_rows must be a whole number, got 2\.5"),
        ({"max_result_rows": True}, r"^setting max_result_rows must be a whole number, got True"),
        ({"query_time_limit_s": None}, r"^setting query_time_limit_s must be a number, got None"),
        ({"query_time_limit_s": math.nan}, r"^setting query_time_limit_s must be a number, got nan"),
        ({"max_result_rows": 0}, r"^setting max_result_rows must be at least 1, got 0; the default is 10000$"),
        ({"query_time_limit_s": 0.01}, r"^setting query_time_limit_s must be at least 0\.05, got 0\.01"),
        ({"max_depth": 7}, r"^setting max_depth must be at most 6, got 7; the default is 3$"),
        ({"query_time_limit_s": math.inf}, r"^setting query_time_limit_s must be at most 3600, got inf"),
        ({"remote_endpoints": 3}, r"^setting remote_endpoints must be at most 2, got 3; the default is 2$"),
        ({"remote_endpoints": -1}, r"^setting remote_endpoints must be at least 0, got -1; the default is 2$"),
    ],
)
def test_with_overrides_validates_type_and_range(changes: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingError, match=expected):
        Settings().with_overrides(**changes)
    with pytest.raises(SettingError, match=expected):
        Settings(**changes)  # type: ignore[arg-type]


def test_an_unknown_setting_lists_the_real_ones() -> None:
    with pytest.raises(SettingError) as info:
        Settings().with_overrides(max_rows=5)
    message = str(info.value)
    assert message.startswith("unknown setting 'max_rows'; the settings are: ")
    for s in describe_settings():
        assert s.name in message


def test_with_pairs_parses_command_line_text() -> None:
    s = Settings().with_pairs([("max_result_rows", "50"), ("query_time_limit_s", "2.5"), ("max_depth", " 2 ")])
    assert (s.max_result_rows, s.query_time_limit_s, s.max_depth) == (50, 2.5, 2)
    assert isinstance(s.max_result_rows, int)
    assert isinstance(Settings().with_pairs([("query_time_limit_s", "3")]).query_time_limit_s, float)


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        (("max_result_rows", "many"), r"^setting max_result_rows must be a whole number, got 'many'; "
         r"for example --setting max_result_rows 10000$"),
        (("max_result_rows", "2.5"), r"must be a whole number, got '2\.5'"),
        (("query_time_limit_s", "soon"), r"^setting query_time_limit_s must be a number, got 'soon'; "
         r"for example --setting query_time_limit_s 10\.0$"),
        (("query_time_limit_s", "nan"), r"must be a number, got nan"),
        (("max_result_rows", "0"), r"must be at least 1, got 0"),
        (("no_such", "1"), r"^unknown setting 'no_such'; the settings are: query_time_limit_s, "),
    ],
)  # fmt: skip
def test_with_pairs_errors_name_the_setting_and_the_fix(pair: tuple[str, str], expected: str) -> None:
    with pytest.raises(SettingError, match=expected):
        Settings().with_pairs([pair])


@pytest.mark.parametrize(
    ("requested", "limit", "expected"),
    [(None, 10, 10), (5, 10, 5), (50, 10, 10), (10, 10, 10), (0.5, 10.0, 0.5), (math.inf, 10.0, 10.0)],
)
def test_cap_takes_the_smaller_of_request_and_setting(requested: float | None, limit: float, expected: float) -> None:
    assert cap(requested, limit) == expected


@pytest.mark.parametrize("requested", [0, -1, -0.5, math.nan])
def test_cap_refuses_a_limit_that_is_not_positive(requested: float) -> None:
    with pytest.raises(SettingError, match="leave it out to use the setting"):
        cap(requested, 10)


@given(
    st.one_of(st.none(), st.integers(min_value=1), st.floats(min_value=1e-9, allow_nan=False)),
    st.integers(min_value=1, max_value=10**9),
)
def test_cap_never_raises_a_limit(requested: float | None, limit: int) -> None:
    assert cap(requested, limit) <= limit


def test_describe_settings_lists_every_field_with_help() -> None:
    described = describe_settings()
    fields = dataclasses.fields(Settings)
    assert [s.name for s in described] == [f.name for f in fields]
    defaults = Settings()
    for s in described:
        assert s.default == getattr(defaults, s.name)
        assert len(s.help) > 20
        assert s.help.rstrip(")").endswith(".py") or s.help.endswith(".py).")


def test_each_help_text_names_a_module_that_exists() -> None:
    for s in describe_settings():
        module = s.help.rsplit("(", 1)[1].split(")")[0]
        assert (SOURCE / module).is_file(), f"{s.name}: its help names {module}, which does not exist"


def test_a_text_setting_takes_text_from_the_command_line_and_refuses_a_number() -> None:
    changed = Settings().with_pairs([("trusted_proxies", "127.0.0.1, 10.0.0.0/8")])
    assert changed.trusted_proxies == "127.0.0.1, 10.0.0.0/8"
    assert Settings().trusted_proxies == ""
    with pytest.raises(SettingError, match=r"^setting trusted_proxies must be text, got 5; the default is ''$"):
        Settings(trusted_proxies=5)  # type: ignore[arg-type]


def test_each_help_text_names_the_module_that_enforces_it() -> None:
    """The module a setting's help names is where the limit is enforced, so it names the setting (issue 13: after
    the move some help texts named a module that had never heard of theirs)."""
    wrong = {}
    for s in describe_settings():
        module = s.help.rsplit("(", 1)[1].split(")")[0]
        if s.name not in (SOURCE / module).read_text(encoding="utf-8"):
            wrong[s.name] = module
    assert wrong == {}

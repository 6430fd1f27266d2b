"""One record's fields, read strictly: every key must be taken, each value of the kind the format asks for.

A value of the wrong kind, an empty value or a key nobody took is a :class:`~kgexplorer.errors.RecordError`
naming the file, the field (with its path inside the record, e.g. ``findings[0].effect``) and the fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kgexplorer.errors import RecordError

from .records import Number

__all__ = ["Fields", "read_yaml"]


def read_yaml(path: Path) -> Any:
    """The YAML document of ``path``, or a :class:`RecordError` naming the line and column of bad syntax."""
    try:
        # BaseLoader-like safety with YAML's usual types: safe_load never builds arbitrary objects.
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise RecordError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None


class Fields:
    """Reads one mapping strictly: every key must be taken, or ``done`` reports it as unknown."""

    def __init__(self, path: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise RecordError(f"{path}: {where or 'the record'} must be a mapping of fields, not {data!r}")
        self.path = path
        self.where = where
        self.data: dict[str, Any] = data
        self.taken: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, rule: str) -> RecordError:
        return RecordError(f"{self.path}: field {self._name(key)!r}: {rule}")

    def raw(self, key: str) -> Any:
        self.taken.add(key)
        return self.data.get(key)

    def text(self, key: str) -> str:
        value = self.opt_text(key)
        if value is None:
            raise self.fail(key, "is required; write it as text")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, (bool, dict | list)):
            raise self.fail(key, f"must be text, not {value!r}")
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        if not text:
            raise self.fail(key, "is empty; leave the field out instead of writing an empty value")
        return text

    def choice(self, key: str, options: tuple[str, ...] | Mapping[str, str]) -> str:
        value = self.text(key)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, not {value!r}")
        return value

    def opt_number(self, key: str) -> Number | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, not {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            raise self.fail(key, f"must be a list of texts, not {value!r}")
        return tuple(str(v).strip() for v in value)

    def sub(self, key: str) -> Fields | None:
        value = self.raw(key)
        if value is None:
            return None
        return Fields(self.path, self._name(key), value)

    def items(self, key: str) -> list[Fields]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return [Fields(self.path, f"{self._name(key)}[{i}]", v) for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.taken)
        if unknown:
            raise self.fail(unknown[0], "is not a field of this record; check its spelling against the format")

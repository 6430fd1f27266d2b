"""What every ``kgexplorer`` command shares: the graph its global options open, and one-line errors.

A command decorated with :func:`with_context` gets the :class:`Context` (the data options and settings
of this run; the graph is opened on first use and closed when the command ends) and turns library
errors into a one-line message with exit status 1 instead of a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from kgexplorer.data_options import DataOptions
from kgexplorer.errors import KgExplorerError
from kgexplorer.settings import Settings

from . import terminal

__all__ = ["Context", "friendly", "say", "with_context"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass
class Context:
    """The options of this run and the graph they open (opened on first use)."""

    options: DataOptions
    settings: Settings
    setting_pairs: tuple[tuple[str, str], ...] = ()
    _kg: Any = None

    def kg(self, *, start_query_worker: bool = False) -> Any:
        """The graph of this run (``start_query_worker``: for a command that queries, see DataOptions.open)."""
        if self._kg is None:
            if problem := self.options.open_problem():
                raise click.UsageError(terminal.one_line(problem))
            # Stop the graph's query workers when the command ends (not at garbage collection).
            graph = self.options.open(settings=self.settings, start_query_worker=start_query_worker)
            self._kg = click.get_current_context().with_resource(graph)
            for note in terminal.opening_notes(self._kg):  # what opening a store tidied up after a killed load
                say(note, err=True)
        return self._kg


def friendly(func: F) -> F:
    """Turn library errors into one-line messages (exit 1) instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KgExplorerError as exc:  # one line; what it quotes from data or paths shown escaped
            raise click.ClickException(terminal.one_line(str(exc))) from None
        except BrokenPipeError:  # e.g. `kgexplorer query … | head`
            sys.stderr.close()
            return None

    return wrapper  # type: ignore[return-value]


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print text for people: control and invisible characters from data are shown escaped."""
    click.echo(terminal.for_people(text), err=err, nl=nl)


def with_context(func: F) -> F:
    """Hand the command the shared :class:`Context` and make its errors one-line messages."""
    return click.pass_obj(friendly(func))  # type: ignore[return-value]

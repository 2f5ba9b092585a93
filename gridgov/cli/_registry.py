"""The registry of subcommands: each command module registers itself with :func:`command`.

A command is a module of :mod:`gridgov.cli` with a function that adds its
arguments and a function that runs it; ``@command(...)`` on the run function
records both, with the help line, the description and the examples shown
by ``gridgov COMMAND --help``.  :mod:`gridgov.cli` imports the command
modules in one place and builds the parser from :data:`COMMANDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridgov.errors import RegistryError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

__all__ = ["COMMANDS", "Command", "command"]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, its texts, how to add its arguments and how to run it."""

    name: str
    help: str
    description: str
    epilog: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


#: The registered commands, by name, in the order they were registered.
COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    *,
    help: str,
    description: str,
    epilog: str,
    arguments: Callable[[argparse.ArgumentParser], None],
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register the decorated function as the run function of subcommand `name`.

    Parameters
    ----------
    name : str
        The subcommand (``gridgov NAME``).
    help : str
        One line for ``gridgov --help``.
    description : str
        What the command does, for ``gridgov NAME --help``.
    epilog : str
        Examples, shown after the arguments with their line breaks kept.
    arguments : callable
        Adds the command's arguments to its parser (shared ones come from
        :mod:`gridgov.cli.options`).

    Returns
    -------
    callable
        The decorator; it returns the run function unchanged.

    Raises
    ------
    RegistryError
        When a command of that name is registered already.
    """

    def register(
        run: Callable[[argparse.Namespace], int],
    ) -> Callable[[argparse.Namespace], int]:
        if name in COMMANDS:
            msg = f"gridgov command {name!r} is registered twice"
            raise RegistryError(msg)
        COMMANDS[name] = Command(name, help, description, epilog, arguments, run)
        return run

    return register

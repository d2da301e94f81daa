"""`lakecast stack up|down|status`: every component installed, started and stopped in order."""

from __future__ import annotations

import time
from collections.abc import Callable

from lakecast.settings import Settings
from lakecast.stack.components import COMPONENTS, ComponentStatus
from lakecast.stack.download import StackError

__all__ = ["StackError", "down", "status", "up"]


def _noop(_: str) -> None:
    return None


def up(settings: Settings, progress: Callable[[str], None] = _noop) -> dict[str, float]:
    """Install what is missing, then start every component (healthy ones are left running).

    Returns seconds per phase (``install:<name>``, ``start:<name>``). Raises StackError naming the component.
    """
    timings: dict[str, float] = {}
    components = [cls(settings) for cls in COMPONENTS]
    for comp in components:
        started = time.monotonic()
        comp.install(progress)
        timings[f"install:{comp.name}"] = time.monotonic() - started
    for comp in components:
        started = time.monotonic()
        comp.start(progress)
        timings[f"start:{comp.name}"] = time.monotonic() - started
    return timings


def down(settings: Settings, progress: Callable[[str], None] = _noop) -> list[str]:
    """Stop every running component, in reverse start order; return the names that were running."""
    stopped = []
    for cls in reversed(COMPONENTS):
        comp = cls(settings)
        if comp.stop():
            stopped.append(comp.name)
            progress(f"{comp.name}: stopped")
    return stopped


def status(settings: Settings) -> list[ComponentStatus]:
    """Each component's version, address, pid, health and memory (never starts anything)."""
    return [cls(settings).status() for cls in COMPONENTS]

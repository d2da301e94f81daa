"""Where the project's non-Python folders (``conf/``, ``sql/``) are: beside the packages in a checkout, inside
``lakecast/_bundled/`` in an installed wheel (pyproject ``[tool.hatch.build.targets.wheel.force-include]``)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED = Path(__file__).resolve().parent / "_bundled"


def resource_dir(name: str) -> Path:
    """Return the ``conf`` or ``sql`` folder: the checkout's if there is one, else the wheel's bundled copy."""
    checkout = PROJECT_ROOT / name
    if checkout.is_dir():
        return checkout
    return BUNDLED / name

"""``python -m lakecast_cli``: the same entry point as the ``lakecast`` console script."""

from lakecast_cli.main import entrypoint

entrypoint()

"""The networks a recipe can train: imgcr's restoration architectures and its learned codecs', by name.

The two tables stay apart (restoration loading never sees a codec network); training is the one place
that builds from both."""

from __future__ import annotations

from typing import Any

from imgcr.errors import UnknownNameError


def build(arch: str, **kwargs: Any) -> Any:
    """A freshly initialised network of architecture ``arch``."""
    from imgcr.learned.archs import ARCHS as CODECS
    from imgcr.models.nets import ARCHS as RESTORERS

    table: dict[str, Any] = {**RESTORERS, **CODECS}
    if arch not in table:
        raise UnknownNameError(f"unknown architecture {arch!r} (known: {', '.join(table)})")
    return table[arch](**kwargs)

"""Fixtures for letter tests: render each (law, kind) once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from letterkit import Rendered, render

_CACHE: dict[tuple[str, str], Rendered] = {}


@pytest.fixture(scope="session")
def rendered() -> Callable[[str, str], Rendered]:
    """rendered(law, kind) -> Rendered for the sample context (cached for the session)."""

    def get(law: str, kind: str) -> Rendered:
        key = (law, kind)
        if key not in _CACHE:
            _CACHE[key] = render(kind, law)
        return _CACHE[key]

    return get

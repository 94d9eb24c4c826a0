"""One ``seed_demo`` for the whole site: each app registers its seeder, run in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[[], dict[str, Any]]
    order: int


_SEEDERS: dict[str, Seeder] = {}


def register_seeder(name: str, run: Callable[[], dict[str, Any]], *, order: int) -> None:
    _SEEDERS[name] = Seeder(name, run, order)


def registered_seeders() -> list[Seeder]:
    return sorted(_SEEDERS.values(), key=lambda seeder: (seeder.order, seeder.name))

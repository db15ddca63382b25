"""What the admin API may ask of the journey look-up."""

from __future__ import annotations

from typing import Protocol

from process_apis.journeys.schemas import Journeys


class JourneyPort(Protocol):
    async def find(self, ref: str) -> Journeys:
        """Every order and return that has carried ``ref`` (any identifier), each with its steps
        oldest first; ``{"items": []}`` when none has."""
        ...

"""Data cards: the governance facts that travel with a profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataCard:
    """Who owns a dataset, where it came from and how it may be used.

    Examples
    --------
    >>> from lifecycle_widgets import DataCard
    >>> card = DataCard(source="core banking export", owner="credit-risk team",
    ...                 license="internal", access_notes="PII: customer_id")
    >>> card.owner
    'credit-risk team'
    """

    source: str = ""
    owner: str = ""
    description: str = ""
    license: str = ""
    access_notes: str = ""
    version: str = ""

    def items(self) -> list[tuple[str, str]]:
        """The card's fields as (label, value) pairs, in display order."""
        return [
            ("Source", self.source),
            ("Owner", self.owner),
            ("Description", self.description),
            ("License", self.license),
            ("Access notes", self.access_notes),
            ("Version", self.version),
        ]

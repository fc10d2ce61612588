"""Data cards: the governance facts that travel with a profile, at the depth of a datasheet.

The fields follow Gebru et al.'s *Datasheets for Datasets* (motivation and intended use,
collection process, preprocessing, distribution and access, maintenance: retention and
deletion), plus custom fields and the columns that hold sensitive or personal data, each flagged
by hand or found by the detector of :mod:`lifecycle_widgets.core.profile_pii`. A card exports to
JSON (and reads back) and to Markdown.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import ParameterError

TEXT_FIELDS = (
    ("source", "Source"),
    ("owner", "Owner"),
    ("description", "Description"),
    ("intended_use", "Intended use"),
    ("out_of_scope_use", "Out-of-scope use"),
    ("collection_process", "Collection process"),
    ("preprocessing", "Preprocessing"),
    ("license", "License"),
    ("access_notes", "Access"),
    ("retention", "Retention"),
    ("deletion_policy", "Deletion policy"),
    ("version", "Version"),
)


@dataclass(frozen=True)
class SensitiveColumn:
    """A column holding sensitive or personal data: its ``category`` (email, phone, identifier,
    ...), why (``reason``), and whether the detector found it (``detected``) or a person
    flagged it."""

    column: str
    category: str
    reason: str = ""
    detected: bool = False


@dataclass(frozen=True)
class DataCard:
    """Who owns a dataset, where it came from, how it was made and may be used, how long it is
    kept, and which columns are sensitive.

    Examples
    --------
    >>> from lifecycle_widgets import DataCard
    >>> card = DataCard(source="core banking export", owner="credit-risk team",
    ...                 license="internal", access_notes="PII: customer_id")
    >>> card.owner
    'credit-risk team'
    >>> card = card.flag("customer_id", "identifier", "joins to the CRM")
    >>> DataCard.from_json(card.to_json()) == card
    True
    >>> print(card.to_markdown().splitlines()[0])
    # Data card: core banking export
    """

    source: str = ""
    owner: str = ""
    description: str = ""
    license: str = ""
    access_notes: str = ""
    version: str = ""
    intended_use: str = ""
    out_of_scope_use: str = ""
    collection_process: str = ""
    preprocessing: str = ""
    retention: str = ""
    deletion_policy: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    sensitive: tuple[SensitiveColumn, ...] = ()

    def __post_init__(self) -> None:
        for name, _ in TEXT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ParameterError.bad_value(name, "DataCard", "a str", value)
        if not isinstance(self.custom, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.custom.items()
        ):
            raise ParameterError.bad_value("custom", "DataCard", "a dict of str to str", self.custom)
        sensitive = tuple(self.sensitive)
        if not all(isinstance(s, SensitiveColumn) for s in sensitive):
            raise ParameterError.bad_value("sensitive", "DataCard", "SensitiveColumn items", self.sensitive)
        object.__setattr__(self, "sensitive", sensitive)  # a list given is kept as a tuple

    def items(self) -> list[tuple[str, str]]:
        """The card's text fields and custom fields as (label, value) pairs, in display order."""
        return [(label, getattr(self, name)) for name, label in TEXT_FIELDS] + list(self.custom.items())

    def flag(self, column: str, category: str = "sensitive", reason: str = "") -> DataCard:
        """A copy with ``column`` flagged by hand (replacing any flag it had).

        Examples
        --------
        >>> DataCard().flag("email", "email").sensitive[0].detected
        False
        """
        if not isinstance(column, str) or not isinstance(category, str):
            raise ParameterError.bad_value(
                "column", "DataCard.flag", "a column name and a category (str)", column
            )
        kept = tuple(s for s in self.sensitive if s.column != column)
        return replace(self, sensitive=(*kept, SensitiveColumn(column, category, reason, detected=False)))

    def with_detected(self, found: tuple[SensitiveColumn, ...]) -> DataCard:
        """A copy with the detector's findings: a column flagged by hand keeps its flag, earlier
        detections are replaced by ``found``."""
        manual = tuple(s for s in self.sensitive if not s.detected)
        by_hand = {s.column for s in manual}
        return replace(self, sensitive=manual + tuple(s for s in found if s.column not in by_hand))

    # --- export ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serializable data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataCard:
        """Rebuild a card from :meth:`to_dict` output; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(
                f"Cannot build DataCard: unknown keys {sorted(unknown)}; known keys are {sorted(known)}."
            )
        data = dict(data)
        data["sensitive"] = tuple(SensitiveColumn(**s) for s in data.get("sensitive", ()))
        return cls(**data)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The card as JSON; with ``path``, also written there."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike[str]) -> DataCard:
        """Read a card from :meth:`to_json` output, or from the file it wrote."""
        text = str(text_or_path)
        if isinstance(text_or_path, os.PathLike) or not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    def to_markdown(self, *, title: str | None = None, facts: list[tuple[str, str]] | None = None) -> str:
        """The card as a Markdown datasheet: its fields by section, ``facts`` about the data
        (rows, columns, fingerprint) when given, and the sensitive columns as a table."""
        heading = title or self.source or "dataset"
        out = [f"# Data card: {_md(heading)}", ""]
        sections = (
            ("Motivation and use", ("description", "intended_use", "out_of_scope_use")),
            ("Collection and preprocessing", ("source", "collection_process", "preprocessing")),
            ("Distribution and access", ("license", "access_notes")),
            ("Maintenance", ("owner", "version", "retention", "deletion_policy")),
        )
        labels = dict(TEXT_FIELDS)
        for section, names in sections:
            filled = [(labels[n], getattr(self, n)) for n in names if getattr(self, n)]
            if filled:
                out += [f"## {section}", ""] + [f"- **{label}:** {_md(v)}" for label, v in filled] + [""]
        if facts:
            out += ["## Composition", ""] + [f"- **{_md(k)}:** {_md(v)}" for k, v in facts] + [""]
        if self.custom:
            out += (
                ["## Other facts", ""] + [f"- **{_md(k)}:** {_md(v)}" for k, v in self.custom.items()] + [""]
            )
        if self.sensitive:
            out += [
                "## Sensitive columns",
                "",
                "| column | category | how found | note |",
                "|---|---|---|---|",
            ]
            out += [
                f"| {_md(s.column)} | {_md(s.category)} | {'detected' if s.detected else 'flagged'} | {_md(s.reason)} |"
                for s in self.sensitive
            ]
            out.append("")
        return "\n".join(out)


def _md(value: str) -> str:
    """Text safe inside a Markdown table cell or list item: one line, no table or markup
    breaks."""
    text = " ".join(str(value).split())
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text

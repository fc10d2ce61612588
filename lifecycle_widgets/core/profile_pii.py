"""Which columns of a profile hold personal or sensitive data: a detector for data cards.

It reads the profile, never the rows: the share of sampled values that look like an email, a
phone number, a payment card, ... (counted when the profile was built, see
:data:`~lifecycle_widgets.core.profile_text.SEMANTIC_PATTERNS`), column names that say what they
hold (``email``, ``phone``, ``ssn``, ``birth_date``, ...), and identifier columns (every value
distinct), which link rows to people or records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lifecycle_widgets.core.card import SensitiveColumn

if TYPE_CHECKING:
    from lifecycle_widgets.core.profiling import ColumnProfile

CONTENT_SHARE = 0.5  # a column is flagged when at least this share of its values look the part
NAME_HINTS = (
    ("email", r"e[-_ ]?mail"),
    ("phone", r"phone|mobile|\btel\b|telephone|\bfax\b"),
    ("national id", r"\bssn\b|social[-_ ]?security|passport|national[-_ ]?id|tax[-_ ]?id|\bnin\b"),
    ("name", r"(first|last|full|given|family|sur|middle)[-_ ]?name|^name$"),
    ("address", r"address|street|\bzip\b|zip[-_ ]?code|post[-_ ]?code|postal"),
    ("date of birth", r"birth|\bdob\b"),
    ("ip address", r"\bip\b|ip[-_ ]?addr"),
)


def _words(name: str) -> str:
    # camelCase and snake_case alike: "customerEmail" and "customer_email" read "customer email"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").lower()


def detect_sensitive(columns: Sequence[ColumnProfile]) -> tuple[SensitiveColumn, ...]:
    """The columns that look sensitive, each with its category and the evidence.

    Examples
    --------
    >>> import pandas as pd, lifecycle_widgets as lw
    >>> df = pd.DataFrame({"contact": [f"user{i}@example.com" for i in range(60)],
    ...                    "home_phone": ["n/a"] * 60, "x": [1, 2] * 30})
    >>> [(s.column, s.category) for s in detect_sensitive(lw.profile(df).columns)]
    [('contact', 'email'), ('home_phone', 'phone')]
    """
    found = []
    for col in columns:
        summary = col.text
        if summary is not None and summary.semantic and summary.counted_values:
            category, n = max(summary.semantic, key=lambda kv: kv[1])
            share = n / summary.counted_values
            if share >= CONTENT_SHARE:
                found.append(
                    SensitiveColumn(col.name, category, f"{share:.0%} of sampled values look like one", True)
                )
                continue
        words = _words(col.name)
        hint = next((category for category, pattern in NAME_HINTS if re.search(pattern, words)), None)
        if hint is not None:
            found.append(SensitiveColumn(col.name, hint, "its name", True))
        elif col.kind == "identifier":
            found.append(
                SensitiveColumn(
                    col.name, "identifier", "every value distinct: it can link rows to records", True
                )
            )
    return tuple(found)

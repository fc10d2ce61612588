"""The one number formatter of every table, label and message the package shows."""

from __future__ import annotations

import math
import numbers
from typing import Any

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def fmt_number(value: Any, *, digits: int = 4) -> str:
    """A number as a person reads it: integers with thousands separators, other numbers to
    ``digits`` significant digits, large ones with a k/M/B/T suffix, never in e-notation
    between 1e-4 and 1e15. ``None`` is the empty string; other values are ``str(value)``.

    Examples
    --------
    >>> fmt_number(18820.5), fmt_number(1234567), fmt_number(0.000123456), fmt_number(None)
    ('18.82k', '1,234,567', '0.0001235', '')
    >>> fmt_number(float("nan")), fmt_number(-2.5e6), fmt_number(True)
    ('n/a', '-2.5M', 'True')
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    x = float(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    magnitude = abs(x)
    for bound, suffix in _SUFFIXES:
        if 1e4 <= magnitude < 1e15 and magnitude >= bound:
            return f"{x / bound:.{digits}g}{suffix}"
    if magnitude == 0 or magnitude >= 1e-4:
        return f"{x:.{digits}g}" if magnitude < 1e4 else f"{x:,.0f}"
    return f"{x:.{digits - 1}e}"

"""Datetime and text columns, monitored: what a baseline learns of them and what a batch is
checked for.

Datetimes (kept under ``features.<name>.datetime`` of constraints.json's extension key):

- **future timestamps**: values later than the check's ``as_of`` (default: the time of the
  check), against the share the baseline had later than its own fit time;
- **out-of-range timestamps**: values earlier than the baseline's earliest minus ``tolerance``
  times its span (placeholder dates such as 1900-01-01, a wrong unit) and, where
  ``bound_latest`` is true, later than its latest plus as much. The upper side is off by default:
  an event clock moves forward by design, and every later batch would break it; the future
  check bounds it instead;
- **calendar distribution**: the shares of days of the week, hours and months against the
  baseline's, as a categorical drift (Jensen-Shannon distance and chi-squared test, decided with
  the other features). A part is compared only when the batch spans one of its cycles (a week,
  a day, a year): a one-day batch holds one weekday by construction.

Text (``features.<name>.text``):

- **length distribution**: the number of characters, compared as numeric drift (winsorized
  Wasserstein distance, chi-squared test of the baseline's length deciles);
- **out-of-vocabulary share**: the share of a batch's words (lower-cased ``\\w+`` tokens) outside
  the baseline's :data:`VOCABULARY` most frequent ones, against the share expected of new rows
  of the baseline's own text (measured on half of its rows against the vocabulary of the other
  half, so words the baseline saw once count as they would in a new batch), by a z test whose
  standard error comes from the baseline's per-row spread; a violation also needs the share to
  rise by more than ``tolerance``.

Learned from the baseline's row sample (exact below 50,000 rows); counted exactly over every row
of a batch.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.distances import GRID_PROBS

DATETIME_TOLERANCE = 0.1  # share of the baseline's span allowed beyond its earliest (and latest)
VOCABULARY = 1_000  # most frequent words of the baseline kept as its vocabulary
OOV_TOLERANCE = 0.05  # how far the out-of-vocabulary share may rise before it counts
MIN_TEXT_ROWS = 20
DECILES = [i / 10 for i in range(1, 10)]
#: calendar parts: name, number of values, the cycle a batch must span for a fair comparison
CALENDAR = (
    ("day_of_week", 7, pd.Timedelta(days=7)),
    ("hour", 24, pd.Timedelta(days=1)),
    ("month", 12, pd.Timedelta(days=365)),
)
CALENDAR_LABELS = {
    "day_of_week": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "hour": tuple(f"{h:02d}h" for h in range(24)),
    "month": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
CALENDAR_TITLES = {"day_of_week": "day of week", "hour": "hour", "month": "month"}
TOKEN = re.compile(r"\w+", re.UNICODE)


def now() -> pd.Timestamp:
    """The current time in UTC, without a timezone (how timestamps are compared here)."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


def as_utc(value: Any, name: str = "as_of") -> pd.Timestamp:
    """``value`` as a UTC timestamp without a timezone (naive values are taken as UTC)."""
    from lifecycle_widgets.exceptions import ParameterError

    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ParameterError.bad_value(
            name, "check", "a timestamp (datetime, string or pandas Timestamp)", value
        ) from err
    if pd.isna(stamp):
        raise ParameterError.bad_value(name, "check", "a timestamp, not a missing value", value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def wall_clock(series: pd.Series) -> pd.Series | None:
    """A datetime column's present values as timestamps on their own wall clock (None when the
    column does not hold datetimes)."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        return None
    return series.dropna()


def utc_seconds(stamps: pd.Series) -> np.ndarray:
    """Timestamps as float seconds since the epoch in UTC (naive ones taken as UTC)."""
    s = stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    return s.to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6


def calendar_counts(stamps: pd.Series) -> dict[str, list[int]]:
    """Counts of each day of the week (Monday first), hour and month of ``stamps``.

    Examples
    --------
    >>> counts = calendar_counts(pd.Series(pd.to_datetime(["2026-01-03 10:00", "2026-01-04 10:30"])))
    >>> counts["day_of_week"], counts["hour"][10], counts["month"][0]
    ([0, 0, 0, 0, 0, 1, 1], 2, 2)
    """
    parts = {"day_of_week": stamps.dt.day_of_week, "hour": stamps.dt.hour, "month": stamps.dt.month - 1}
    return {
        name: np.bincount(parts[name].to_numpy(dtype=np.int64), minlength=size).tolist()
        for name, size, _ in CALENDAR
    }


def tokens(text: str) -> list[str]:
    """Lower-cased words (``\\w+``) of ``text``.

    Examples
    --------
    >>> tokens("Late fee, LATE payment!")
    ['late', 'fee', 'late', 'payment']
    """
    return TOKEN.findall(text.lower())


def _texts(series: pd.Series) -> pd.Series:
    """The present string values of a column."""
    values = series.dropna()
    return values[values.map(lambda v: isinstance(v, str))].astype(str)


# --- learned by Baseline.fit ----------------------------------------------------------------------


def learn_datetime(series: pd.Series, as_of: pd.Timestamp, present: int) -> dict[str, Any] | None:
    """The datetime rule of one column from its sampled values; ``present`` is how many values
    the whole column has (its range is judged against that many)."""
    stamps = wall_clock(series)
    if stamps is None or stamps.empty:
        return None
    seconds = utc_seconds(stamps)
    earliest, latest = pd.Timestamp(seconds.min(), unit="s"), pd.Timestamp(seconds.max(), unit="s")
    future = int(np.count_nonzero(seconds > as_of.value / 1e9))
    return {
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
        "tolerance": DATETIME_TOLERANCE,
        "bound_latest": False,
        "future_share": future / len(seconds),
        "present": int(max(present, len(seconds))),
        "rows": len(seconds),
        "calendar": calendar_counts(stamps),
    }


def _oov_counts(texts: pd.Series, vocabulary: set[str]) -> tuple[np.ndarray, np.ndarray]:
    words = [tokens(t) for t in texts]
    total = np.array([len(w) for w in words], dtype=float)
    outside = np.array([sum(t not in vocabulary for t in w) for w in words], dtype=float)
    return outside, total


def learn_text(series: pd.Series) -> dict[str, Any] | None:
    """The text rule of one column from its sampled values: its length distribution, its
    vocabulary and the out-of-vocabulary share a new row of its own text would show.

    Examples
    --------
    >>> rule = learn_text(pd.Series(["late fee", "card fee", "late card"] * 10))
    >>> sorted(rule["vocabulary"]), rule["oov_share"], rule["lengths"]["edges"]
    (['card', 'fee', 'late'], 0.0, [8.0, 9.0])
    """
    texts = _texts(series)
    if len(texts) < MIN_TEXT_ROWS:
        return None
    lengths = texts.str.len().to_numpy(dtype=float)
    edges = np.unique(np.quantile(lengths, DECILES))
    counts = np.bincount(np.searchsorted(edges, lengths, side="left"), minlength=len(edges) + 1)
    grid = np.quantile(lengths, GRID_PROBS)
    # the expected share of words outside the vocabulary, measured honestly: the vocabulary of
    # one half of the rows against the words of the other half
    half_a, half_b = texts.iloc[::2], texts.iloc[1::2]
    vocab_a = {w for w, _ in Counter(t for s in half_a for t in tokens(s)).most_common(VOCABULARY)}
    outside, total = _oov_counts(half_b, vocab_a)
    share = float(outside.sum() / total.sum()) if total.sum() else 0.0
    spread = float(np.std(outside - share * total, ddof=1) / total.mean()) if total.mean() > 0 else 0.0
    vocabulary = [w for w, _ in Counter(t for s in texts for t in tokens(s)).most_common(VOCABULARY)]
    return {
        "lengths": {
            "edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts],
            "quantiles": [float(q) for q in grid],
            "std": float(lengths.std()),
        },
        "vocabulary": vocabulary,
        "oov_share": share,
        "oov_row_sd": spread,
        "rows": len(texts),
        "tolerance": OOV_TOLERANCE,
    }


def learn(
    features: Any, sample: pd.DataFrame | None, as_of: pd.Timestamp | None = None
) -> dict[str, dict[str, Any]]:
    """The datetime and text rules of a baseline's features (``FeatureStatistics``), from its
    row sample: ``{name: {"datetime": ...} or {"text": ...}}``."""
    if sample is None or sample.empty:
        return {}
    moment = now() if as_of is None else as_of
    out: dict[str, dict[str, Any]] = {}
    for f in features:
        if f.name not in sample.columns:
            continue
        if f.kind == "datetime":
            rule = learn_datetime(sample[f.name], moment, f.num_present)
            if rule:
                out[f.name] = {"datetime": rule}
        elif f.kind == "text":
            rule = learn_text(sample[f.name])
            if rule:
                out[f.name] = {"text": rule}
    return out


def allowed_times(rule: dict[str, Any]) -> tuple[float, float]:
    """The UTC seconds a datetime rule allows: its earliest minus ``tolerance`` times its span,
    to its latest plus as much when ``bound_latest``, else without an upper bound.

    Examples
    --------
    >>> rule = {"earliest": "2026-01-02", "latest": "2026-01-12", "tolerance": 0.1, "bound_latest": False}
    >>> low, high = allowed_times(rule)
    >>> str(pd.Timestamp(low, unit="s")), high
    ('2026-01-01 00:00:00', inf)
    >>> [str(pd.Timestamp(s, unit="s")) for s in allowed_times({**rule, "bound_latest": True})]
    ['2026-01-01 00:00:00', '2026-01-13 00:00:00']
    """
    low, high = as_utc(rule["earliest"]).value / 1e9, as_utc(rule["latest"]).value / 1e9
    width = (high - low) * float(rule.get("tolerance", DATETIME_TOLERANCE))
    return low - width, (high + width if rule.get("bound_latest") else math.inf)


# --- counted by check, chunk by chunk -------------------------------------------------------------


@dataclass
class DatetimeTextCounter:
    """Counts, over every chunk of a batch, what the datetime and text checks need: per datetime
    column the values present, later than ``as_of``, outside the allowed range, its first and
    last timestamp and its calendar counts; per text column its length bin counts, words and
    words outside the vocabulary."""

    rules: dict[str, dict[str, Any]]
    as_of: float  # UTC seconds
    present: dict[str, int] = field(default_factory=dict)
    future: dict[str, int] = field(default_factory=dict)
    outside: dict[str, int] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    calendar: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_baseline(cls, baseline: Any, as_of: pd.Timestamp | None = None) -> DatetimeTextCounter:
        from lifecycle_widgets.core.drift.constraints import EXTENSION_KEY

        learned = baseline.constraints.get(EXTENSION_KEY, {}).get("features", {})
        rules = {n: {k: v for k, v in r.items() if k in ("datetime", "text")} for n, r in learned.items()}
        moment = now() if as_of is None else as_utc(as_of)
        return cls({n: r for n, r in rules.items() if r}, moment.value / 1e9)

    def fresh(self) -> DatetimeTextCounter:
        return DatetimeTextCounter(self.rules, self.as_of)

    def merge(self, other: DatetimeTextCounter) -> DatetimeTextCounter:
        for mine, theirs in ((self.present, other.present), (self.future, other.future), (self.outside, other.outside), (self.words, other.words), (self.unknown, other.unknown)):  # fmt: skip
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        for k, v in other.first.items():
            self.first[k] = min(self.first.get(k, v), v)
        for k, v in other.last.items():
            self.last[k] = max(self.last.get(k, v), v)
        for k, parts in other.calendar.items():
            mine_parts = self.calendar.setdefault(k, {})
            for part, counts in parts.items():
                mine_parts[part] = mine_parts.get(part, np.zeros_like(counts)) + counts
        for k, v in other.lengths.items():
            self.lengths[k] = self.lengths.get(k, np.zeros_like(v)) + v
        return self

    def update(self, chunk: pd.DataFrame, offset: int) -> None:
        for name, rule in self.rules.items():
            if name not in chunk.columns:
                continue
            if "datetime" in rule:
                self._datetimes(name, rule["datetime"], chunk[name])
            if "text" in rule:
                self._text(name, rule["text"], chunk[name])

    def _datetimes(self, name: str, rule: dict[str, Any], series: pd.Series) -> None:
        stamps = wall_clock(series)
        if stamps is None or stamps.empty:
            return  # not datetimes any more: data_type_check reports it
        seconds = utc_seconds(stamps)
        low, high = allowed_times(rule)
        self.present[name] = self.present.get(name, 0) + len(seconds)
        self.future[name] = self.future.get(name, 0) + int(np.count_nonzero(seconds > self.as_of))
        self.outside[name] = self.outside.get(name, 0) + int(
            np.count_nonzero((seconds < low) | (seconds > high))
        )
        self.first[name] = min(self.first.get(name, math.inf), float(seconds.min()))
        self.last[name] = max(self.last.get(name, -math.inf), float(seconds.max()))
        mine = self.calendar.setdefault(name, {})
        for part, counts in calendar_counts(stamps).items():
            mine[part] = mine.get(part, np.zeros(len(counts), dtype=np.int64)) + np.asarray(
                counts, dtype=np.int64
            )

    def _text(self, name: str, rule: dict[str, Any], series: pd.Series) -> None:
        texts = _texts(series)
        if texts.empty:
            return
        edges = np.asarray(rule["lengths"]["edges"], dtype=float)
        lengths = texts.str.len().to_numpy(dtype=float)
        counts = np.bincount(np.searchsorted(edges, lengths, side="left"), minlength=len(edges) + 1)
        self.lengths[name] = self.lengths.get(name, np.zeros(len(edges) + 1, dtype=np.int64)) + counts
        vocabulary = set(rule["vocabulary"])
        outside, total = _oov_counts(texts, vocabulary)
        self.present[name] = self.present.get(name, 0) + len(texts)
        self.words[name] = self.words.get(name, 0) + int(total.sum())
        self.unknown[name] = self.unknown.get(name, 0) + int(outside.sum())

    def span(self, name: str) -> pd.Timedelta:
        """How long a time the batch's values of datetime ``name`` cover."""
        if name not in self.first:
            return pd.Timedelta(0)
        return pd.Timedelta(seconds=self.last[name] - self.first[name])


def sample_lengths(sample: pd.DataFrame | None, name: str) -> np.ndarray:
    """Lengths of a text column's values in a batch's row sample."""
    if sample is None or name not in sample.columns:
        return np.empty(0)
    return _texts(sample[name]).str.len().to_numpy(dtype=float)

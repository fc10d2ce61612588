"""Associations between columns, computed on the profile's row sample.

Pearson and Spearman for numeric pairs, Cramér's V for categorical pairs, and, for a target, the
strength of each column's association with it in [0, 1]: |Spearman| for numeric-numeric,
Cramér's V for categorical-categorical, the correlation ratio eta for numeric-categorical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _dense(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0..k-1 with no gaps."""
    present = np.bincount(codes) > 0
    return (np.cumsum(present) - 1)[codes]


def cramers_v(a: np.ndarray, b: np.ndarray, *, bias_corrected: bool = True) -> float:
    """Cramér's V of two integer-coded arrays (codes >= 0; negative codes mean missing).

    With ``bias_corrected`` (the default), Bergsma's (2013) correction, which keeps columns
    with many levels from looking associated by chance.
    """
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return float("nan")
    a, b = _dense(a), _dense(b)
    r, c = int(a.max()) + 1, int(b.max()) + 1
    if r < 2 or c < 2:
        return float("nan")
    table = np.bincount(a * c + b, minlength=r * c).reshape(r, c).astype(np.float64)
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    if not bias_corrected:
        return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))
    if n < 2:
        return float("nan")
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_c, c_c = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_c - 1, c_c - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else float("nan")


def correlation_ratio(codes: np.ndarray, x: np.ndarray) -> float:
    """Correlation ratio eta of a numeric array ``x`` grouped by integer ``codes``."""
    keep = (codes >= 0) & np.isfinite(x)
    codes, x = codes[keep], x[keep]
    if x.size < 2:
        return float("nan")
    codes = _dense(codes)
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=x) / counts
    between = float((counts * (means - x.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def codes_of(series: pd.Series) -> np.ndarray:
    """Integer codes of a column's values, -1 for missing."""
    return pd.factorize(series, use_na_sentinel=True)[0]


def numeric_of(series: pd.Series) -> np.ndarray:
    """A column as float64 with infinities turned into NaN (datetimes as epoch seconds)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        arr = (
            series.to_numpy(dtype="datetime64[us]")
            if series.dt.tz is None
            else (series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]"))
        )
        out = arr.astype(np.int64).astype(np.float64) / 1e6
        out[np.isnat(arr)] = np.nan
        return out
    out = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def matrix(frame: pd.DataFrame, method: str) -> np.ndarray:
    """Pairwise-complete Pearson or Spearman matrix of numeric columns."""
    return frame.corr(method=method, min_periods=3).to_numpy()


def cramers_v_matrix(codes: list[np.ndarray]) -> np.ndarray:
    k = len(codes)
    out = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            out[i, j] = out[j, i] = cramers_v(codes[i], codes[j])
    return out


def association(x: pd.Series, x_numeric: bool, y: pd.Series, y_numeric: bool) -> tuple[str, float]:
    """The method name and the strength of association of two columns, in [0, 1]."""
    if x_numeric and y_numeric:
        pair = pd.DataFrame({"x": numeric_of(x), "y": numeric_of(y)})
        return "spearman", abs(float(pair.corr(method="spearman", min_periods=3).iloc[0, 1]))
    if not x_numeric and not y_numeric:
        return "cramers_v", cramers_v(codes_of(x), codes_of(y))
    numeric, categorical = (x, y) if x_numeric else (y, x)
    return "correlation_ratio", correlation_ratio(codes_of(categorical), numeric_of(numeric))

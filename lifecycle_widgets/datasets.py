"""Deterministic demo data: a credit-default table and a later batch with known drift.

Nothing is downloaded: every value comes from a seeded ``numpy`` generator, so the same
arguments give the same frame on every machine.

Examples
--------
>>> import lifecycle_widgets as lw
>>> train = lw.datasets.credit(n_rows=1000, seed=0)
>>> later = lw.datasets.credit_batch(n_rows=1000, seed=1)
>>> sorted(lw.datasets.DRIFTED_COLUMNS)[:3]
['employment_type', 'income', 'notes']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ParameterError

TARGET = "defaulted"
REGIONS = ("north", "south", "east", "west", "centre")
EMPLOYMENT = ("salaried", "self-employed", "contractor", "retired", "student", "unemployed")
#: Columns whose distribution differs between :func:`credit` and :func:`credit_batch` (drift=True),
#: and how. ``notes`` drifts only in its share of missing values.
DRIFTED_COLUMNS = {
    "income": "mean shifted up by 25%",
    "region": "shares of regions changed",
    "employment_type": "a new category 'gig' appears",
    "utilization": "shifted right",
    "notes": "missing share rises from 30% to 70%",
}
_WORDS = (
    "late",
    "payment",
    "called",
    "branch",
    "online",
    "dispute",
    "closed",
    "limit",
    "increase",
    "review",
    "salary",
    "transfer",
    "mortgage",
    "card",
    "loan",
    "fee",
)


def _frame(n: int, rng: np.random.Generator, *, drift: bool, start: str) -> pd.DataFrame:
    age = rng.integers(18, 80, n)
    income = np.round(rng.lognormal(10.6 + (0.22 if drift else 0.0), 0.6, n), 2)
    income[rng.random(n) < 0.05] = np.nan
    debt = rng.gamma(2.0, 0.25, n)
    debt_ratio = np.where(rng.random(n) < 0.002, np.inf, debt)  # a few divisions by zero income
    utilization = np.clip(rng.beta(2 + (1.5 if drift else 0), 5, n), 0, 1)
    accounts = rng.poisson(3, n)
    late = rng.negative_binomial(1, 0.7, n)
    region_p = [0.1, 0.15, 0.2, 0.25, 0.3] if drift else [0.3, 0.25, 0.2, 0.15, 0.1]
    region = rng.choice(REGIONS, n, p=region_p)
    emp_levels = (*EMPLOYMENT, "gig") if drift else EMPLOYMENT
    emp_p = np.array([0.45, 0.15, 0.1, 0.12, 0.08, 0.1] + ([0.15] if drift else []))
    employment = rng.choice(emp_levels, n, p=emp_p / emp_p.sum())
    employer = np.char.add("employer_", rng.zipf(1.3, n).clip(1, 5000).astype(str))
    signup = pd.Timestamp(start, tz="UTC") - pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    last_login = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 90 * 24 * 3600, n), unit="s")
    has_mortgage = rng.random(n) < 0.35
    words = rng.choice(_WORDS, (n, 8))
    notes = pd.Series([" ".join(w) for w in words.tolist()], dtype="str")  # Python str: 3x faster
    notes[rng.random(n) < (0.7 if drift else 0.3)] = None
    logit = (
        -2.2
        + 2.4 * (utilization - 0.3)
        + 0.35 * late
        - 0.4 * np.nan_to_num(np.log(income) - 10.6)
        + 0.8 * (employment == "unemployed")
        + 0.5 * np.minimum(debt, 3)
        - 0.01 * (age - 45)
    )
    defaulted = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", np.arange(n).astype(str)),
            "age": age,
            "income": income,
            "debt_ratio": debt_ratio,
            "utilization": utilization,
            "n_accounts": accounts,
            "late_payments": late,
            "region": pd.Categorical(region, categories=REGIONS),
            "employment_type": employment,
            "employer": employer,
            "signup_date": signup,
            "last_login": last_login,
            "has_mortgage": has_mortgage,
            "notes": notes,
            TARGET: defaulted,
        }
    )


def _check_rows(n_rows: object, caller: str) -> None:
    if isinstance(n_rows, bool) or not isinstance(n_rows, int | np.integer) or n_rows < 0:
        raise ParameterError.bad_value("n_rows", caller, "an integer >= 0", n_rows)


def credit(n_rows: int = 5000, *, seed: int = 0) -> pd.DataFrame:
    """A realistic credit-default table: the reference (training) data.

    Heavy-tailed ``income`` with missing values, a few infinite ``debt_ratio`` values, integer
    counts, low- (``region``, categorical dtype) and high-cardinality (``employer``) categoricals,
    a timezone-aware and a naive datetime, a boolean, free text, an identifier and a binary
    target ``defaulted`` (about one in five).

    Examples
    --------
    >>> from lifecycle_widgets import datasets
    >>> datasets.credit(n_rows=100).shape
    (100, 15)
    """
    _check_rows(n_rows, "credit")
    return _frame(n_rows, np.random.default_rng(seed), drift=False, start="2026-01-01")


def credit_batch(n_rows: int = 5000, *, seed: int = 1, drift: bool = True) -> pd.DataFrame:
    """A later batch of :func:`credit` data; with ``drift=True`` the columns in
    :data:`DRIFTED_COLUMNS` have drifted and every other column has not.

    Examples
    --------
    >>> from lifecycle_widgets import datasets
    >>> datasets.credit_batch(n_rows=100)["employment_type"].isin(["gig"]).any()
    np.True_
    """
    _check_rows(n_rows, "credit_batch")
    return _frame(n_rows, np.random.default_rng(seed), drift=drift, start="2026-06-01")

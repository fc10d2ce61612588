"""Shared fixtures: demo data, and one test over several frame kinds (numpy, nullable, pyarrow)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import lifecycle_widgets as lw

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one BLAS thread per test worker: the workers already fill the cores, and BLAS threads
    # spinning on a busy core slow small fits by an order of magnitude
    threadpool_limits(1, user_api="blas")


# The modules (and test classes) that take a worker longest, longest first, as measured alone
# with ``-n 0 --durations=0``. pyproject.toml runs the suite with ``--dist loadscope
# --no-loadscope-reorder``: pytest-xdist hands each module, or test class, to the next worker
# that runs short of work, in collection order. Collected first, these start first, and the suite
# ends on short modules; collected in name order, a three-minute module could start last while
# the other worker sat idle. The rest keep pytest's order.
SLOWEST_FIRST = (
    "tests/browser/test_lab_every_panel.py",  # two classes: a half of the panels on each worker
    "tests/test_dask.py",
    "tests/test_audit.py",
    "tests/test_binder_env.py",
    "tests/test_readme.py",
    "tests/test_drift_reference_quality.py",
    "tests/test_multivariate_drift.py",
    "tests/test_performance_estimation.py",
    "tests/test_store.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the modules of :data:`SLOWEST_FIRST` first, in its order (a stable sort: the tests of
    a module stay together and in their order, so module-scoped fixtures are made once)."""
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def credit() -> pd.DataFrame:
    return lw.datasets.credit(n_rows=4000, seed=3)


@pytest.fixture(scope="session")
def credit_profile(credit: pd.DataFrame) -> lw.DataProfile:
    return lw.profile(credit, target="defaulted")


def _numpy(df: pd.DataFrame) -> pd.DataFrame:
    return df


def _nullable(df: pd.DataFrame) -> pd.DataFrame:
    return df.convert_dtypes(dtype_backend="numpy_nullable")


def _pyarrow(df: pd.DataFrame) -> pd.DataFrame:
    return df.convert_dtypes(dtype_backend="pyarrow")


@pytest.fixture(params=[_numpy, _nullable, _pyarrow], ids=["numpy", "nullable", "pyarrow"])
def frame_kind(request: pytest.FixtureRequest):
    """Turn a frame into one of several dtype backends (plotly's ``constructor`` fixture idea)."""
    return request.param


def mixed_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Numbers with missing values and infinities, integers, strings, booleans."""
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, n)
    x[rng.random(n) < 0.1] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.poisson(4, n),
            "c": rng.choice(["a", "b", "c", None], n, p=[0.5, 0.3, 0.15, 0.05]),
            "b": rng.random(n) < 0.3,
        }
    )

"""The dataset diff against datacompy (Capital One's DataFrame comparison), on the same two
versions: rows only in old, only in new, in both, and unequal values per column. datacompy lives
in its own venv, so its pins never meet this project's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle_widgets.core.dataset_diff import dataset_diff
from tests.venvs import cached_venv

pytestmark = [pytest.mark.peers, pytest.mark.timeout(1200)]

DATACOMPY = ["datacompy==1.1.0", "pyarrow"]

RUN = r"""
import json, sys
import pandas as pd
import datacompy

old, new = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
cmp = datacompy.PandasCompare(old, new, join_columns="id", df1_name="old", df2_name="new")
stats = {s["column"]: s["unequal_cnt"] for s in cmp.column_stats}
print(json.dumps({
    "removed": len(cmp.df1_unq_rows),
    "added": len(cmp.df2_unq_rows),
    "both": len(cmp.intersect_rows),
    "unequal": {k: int(v) for k, v in stats.items()},
    "changed_rows": int((~cmp.intersect_rows[[c for c in cmp.intersect_rows.columns if c.endswith("_match")]].all(axis=1)).sum()),
}))
"""


def _versions(n: int = 20_000, seed: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    old = pd.DataFrame(
        {
            "id": rng.permutation(n * 3)[:n],
            "amount": rng.integers(0, 1_000, n),
            "rate": rng.normal(size=n).round(3),
            "city": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    old.loc[rng.random(n) < 0.05, "rate"] = np.nan
    new = old.sample(frac=0.9, random_state=seed).reset_index(drop=True)
    new["amount"] = new["amount"].astype("float64")  # a type change, values kept
    edit = rng.random(len(new))
    new.loc[edit < 0.03, "amount"] += 1
    new.loc[edit > 0.98, "city"] = "centre"
    new.loc[(edit > 0.5) & (edit < 0.52), "rate"] = np.nan
    fresh = pd.DataFrame(
        {
            "id": np.arange(n * 3, n * 3 + 500),
            "amount": rng.integers(0, 1_000, 500).astype("float64"),
            "rate": rng.normal(size=500).round(3),
            "city": "north",
        }
    )
    return old, pd.concat([new, fresh], ignore_index=True)


def test_rows_and_unequal_values_agree_with_datacompy(tmp_path: Path) -> None:
    python = cached_venv("datacompy", DATACOMPY)
    old, new = _versions()
    old.to_parquet(tmp_path / "old.parquet")
    new.to_parquet(tmp_path / "new.parquet")
    out = subprocess.run(
        [str(python), "-c", RUN, str(tmp_path / "old.parquet"), str(tmp_path / "new.parquet")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    peer = json.loads(out.stdout.strip().splitlines()[-1])
    d = dataset_diff(old, new, key="id")
    assert (d.rows_removed, d.rows_added, d.rows_changed + d.rows_unchanged) == (
        peer["removed"],
        peer["added"],
        peer["both"],
    )
    assert {c: d.column(c).changed_rows for c in ("amount", "rate", "city")} == {
        c: peer["unequal"][c] for c in ("amount", "rate", "city")
    }
    assert d.rows_changed == peer["changed_rows"]
    assert d.rows_changed > 0 and d.rows_removed > 0 and d.rows_added == 500

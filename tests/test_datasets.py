"""The demo data: deterministic, and bad sizes refused with the parameter named."""

from __future__ import annotations

import pandas as pd
import pytest

import lifecycle_widgets as lw


@pytest.mark.parametrize("make", [lw.datasets.credit, lw.datasets.credit_batch])
@pytest.mark.parametrize("bad", [-1, 2.5, True, "10", None])
def test_bad_sizes_name_the_parameter(make, bad) -> None:
    with pytest.raises(lw.ParameterError, match=rf"'n_rows' parameter of {make.__name__} must be an integer"):
        make(bad)


def test_same_seed_same_data() -> None:
    pd.testing.assert_frame_equal(lw.datasets.credit(300, seed=4), lw.datasets.credit(300, seed=4))
    assert not lw.datasets.credit(300, seed=4).equals(lw.datasets.credit(300, seed=5))
    assert len(lw.datasets.credit_batch(0)) == 0

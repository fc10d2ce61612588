"""Set-up shared by the package's docstring examples (``--doctest-modules``, see pyproject).

A docstring that reads ``explainer`` or ``exp`` without making them gets the pair that
:class:`~lifecycle_widgets.Explainer`'s own example makes (a logistic regression on 300 credit
rows, 20 of them explained), a fresh one for each docstring (an explainer caches and holds), so
the methods' examples are short and stay independent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

SHARED = ("explainer", "exp")


def _credit_explainer() -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression

    import lifecycle_widgets as lw

    df = lw.datasets.credit(300)
    X, y = df[["age", "utilization"]], df["defaulted"]
    explainer = lw.Explainer(LogisticRegression().fit(X, y))
    return {"explainer": explainer, "exp": explainer.explain(X, y, max_rows=20)}


def _reads(name: str, source: str) -> bool:
    return re.search(rf"(?<![\w.]){name}\b", source) is not None  # ``np.exp`` is not ``exp``


def _makes(name: str, source: str) -> bool:
    return re.search(rf"(?m)^\s*(?:\w+\s*,\s*)*{name}\s*(?:,\s*\w+\s*)*=(?!=)", source) is not None


@pytest.fixture(autouse=True)
def _shared_doctest_names(request: pytest.FixtureRequest) -> Iterator[None]:
    item = request.node
    sources = [e.source for e in item.dtest.examples] if isinstance(item, pytest.DoctestItem) else []
    read = [n for n in SHARED if any(_reads(n, s) for s in sources)]
    own = any(_makes(n, s) for n in SHARED for s in sources) or any(n in item.dtest.globs for n in read)
    if not read or own:
        yield
        return
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(_credit_explainer())
    yield
    for name in SHARED:
        namespace.pop(name, None)

"""Exact feature lineage through scikit-learn, checked against an oracle that knows nothing of the
mapping code: change one input column, transform again, and see which outputs move.

A feature depends on a column exactly when changing that column (and nothing else) changes the
feature, so the oracle is the definition of column lineage. Each case also checks the features
against the transformer's own ``get_feature_names_out`` and, where sklearn names outputs by a rule,
against its fitted attributes (``indicator_.features_``, ``categories_``/``drop_idx_``,
``powers_``, ``get_support()``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_selection import SelectFromModel, SelectKBest, VarianceThreshold, f_classif
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    SplineTransformer,
    StandardScaler,
    TargetEncoder,
)
from sklearn.random_projection import SparseRandomProjection

import lifecycle_widgets as lw

NUMERIC = ["a", "b", "c", "d", "e", "f"]


@pytest.fixture(scope="module")
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Six numeric columns (three with missing values), two categorical ones, a binary target."""
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(rng.normal(size=(n, 6)) * [1, 2, 3, 4, 5, 6] + [0, 1, 2, 3, 4, 5], columns=NUMERIC)
    for col, share in (("b", 0.1), ("d", 0.2), ("f", 0.05)):
        X.loc[rng.random(n) < share, col] = np.nan
    X["city"] = rng.choice(["rome", "oslo", "lima", "kiev", "nuuk"], n, p=[0.4, 0.3, 0.2, 0.07, 0.03])
    X["plan"] = rng.choice(["basic", "pro"], n)
    y = (np.nan_to_num(X["a"]) + np.nan_to_num(X["c"]) / 3 + rng.normal(size=n) > 0).astype(int)
    return X, y


def _dense(out: Any) -> np.ndarray:
    if hasattr(out, "toarray"):
        out = out.toarray()
    return np.asarray(out, dtype=object)


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    try:
        return bool(np.allclose(x.astype(float), y.astype(float), equal_nan=True))
    except ValueError:  # a passed-through text column
        return bool((pd.Series(x) == pd.Series(y)).all())


def _perturbed(col: pd.Series) -> pd.Series:
    """Another column of the same kind: values moved to other rows (and, if numeric, rescaled), so
    values and missing positions both change."""
    values = np.roll(col.to_numpy(), 7)
    if pd.api.types.is_numeric_dtype(col):
        values = values * 1.5 + 1
    return pd.Series(values, index=col.index, name=col.name).astype(col.dtype)


def _with_missing(col: pd.Series) -> pd.Series:
    """The column with a missing value in every fifth row."""
    return col.where(np.arange(len(col)) % 5 != 0)


def observed_sources(
    transform: Callable[[pd.DataFrame], Any], names: list[str], X: pd.DataFrame
) -> dict[str, set[str]]:
    """The oracle: output -> the input columns whose change moves it. A column changes twice: its
    values move to other rows, and (where the transformer accepts them) it gains missing values,
    which is what a missing-value indicator reads."""
    base = _dense(transform(X))
    found: dict[str, set[str]] = {n: set() for n in names}
    for col in X.columns:
        for change in (_perturbed, _with_missing):
            try:
                with warnings.catch_warnings():  # unknown categories (a missing one) are meant
                    warnings.simplefilter("ignore", UserWarning)
                    moved = _dense(transform(X.assign(**{col: change(X[col])})))
            except ValueError:  # this transformer refuses missing values (or unknown categories)
                continue
            for k, name in enumerate(names):
                if not _same(moved[:, k], base[:, k]):
                    found[name].add(str(col))
    return found


def _num(X: pd.DataFrame) -> pd.DataFrame:
    return X[NUMERIC]


def _complete(X: pd.DataFrame) -> pd.DataFrame:
    return X[NUMERIC].fillna(0.5)


def _categorical(X: pd.DataFrame) -> pd.DataFrame:
    return X[["city", "plan"]]


# (id, make the estimator, pick the columns it is fitted on)
CASES: list[tuple[str, Callable[[], Any], Callable[[pd.DataFrame], pd.DataFrame]]] = [
    ("imputer-indicator", lambda: SimpleImputer(add_indicator=True), _num),
    ("imputer-median-indicator", lambda: SimpleImputer(strategy="median", add_indicator=True), _num),
    ("missing-indicator", lambda: MissingIndicator(features="all"), _num),
    ("onehot", lambda: OneHotEncoder(), _categorical),
    ("onehot-drop-first", lambda: OneHotEncoder(drop="first"), _categorical),
    ("onehot-drop-if-binary", lambda: OneHotEncoder(drop="if_binary", handle_unknown="ignore"), _categorical),
    ("onehot-drop-named", lambda: OneHotEncoder(drop=["oslo", "pro"]), _categorical),
    (
        "onehot-infrequent",
        lambda: OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=0.1),
        _categorical,
    ),
    ("onehot-max-categories-drop", lambda: OneHotEncoder(max_categories=3, drop="first"), _categorical),
    ("ordinal", lambda: OrdinalEncoder(), _categorical),
    ("polynomial-2", lambda: PolynomialFeatures(2), _complete),
    (
        "polynomial-3-interactions",
        lambda: PolynomialFeatures(3, interaction_only=True, include_bias=False),
        _complete,
    ),
    ("select-k-best", lambda: SelectKBest(f_classif, k=3), _complete),
    ("variance-threshold", lambda: VarianceThreshold(threshold=10.0), _complete),
    (
        "select-from-model",
        lambda: SelectFromModel(Lasso(alpha=0.05)),
        _complete,
    ),
    ("pca", lambda: PCA(3), _complete),
    ("truncated-svd", lambda: TruncatedSVD(2, random_state=0), _complete),
    ("sparse-random-projection", lambda: SparseRandomProjection(3, density=0.3, random_state=0), _complete),
    ("normalizer", lambda: Normalizer(), _complete),
    ("scaler", lambda: StandardScaler(), _complete),
    (
        "kbins-onehot",
        lambda: KBinsDiscretizer(4, encode="onehot-dense", quantile_method="averaged_inverted_cdf"),
        _complete,
    ),
    ("spline", lambda: SplineTransformer(n_knots=4), _complete),
    ("target-encoder", lambda: TargetEncoder(random_state=0), _categorical),
    (
        "function-one-to-one",
        lambda: FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
        lambda X: X[["a", "c"]].abs(),
    ),
    ("function-passthrough", lambda: FunctionTransformer(feature_names_out="one-to-one"), _num),
    (
        "pipeline-impute-scale-poly",
        lambda: make_pipeline(SimpleImputer(add_indicator=True), StandardScaler(), PolynomialFeatures(2)),
        _num,
    ),
    (
        "column-transformer",
        lambda: ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()), NUMERIC),
                ("cat", OneHotEncoder(drop="first", handle_unknown="ignore"), ["city", "plan"]),
            ]
        ),
        lambda X: X,
    ),
    (
        "column-transformer-remainder-short-names",
        lambda: ColumnTransformer(
            [("poly", PolynomialFeatures(2, include_bias=False), ["a", "c"]), ("drop", "drop", ["e"])],
            remainder="passthrough",
            verbose_feature_names_out=False,
        ),
        lambda X: X[["a", "b", "c", "e", "city"]],
    ),
    (
        "column-transformer-selectors-and-weights",
        lambda: ColumnTransformer(
            [
                ("num", SimpleImputer(), make_column_selector(dtype_include="number")),
                ("cat", OneHotEncoder(), [6]),
                ("pass", "passthrough", slice(0, 2)),
            ],
            transformer_weights={"num": 2.0},
        ),
        lambda X: X[[*NUMERIC, "city"]],
    ),
    (
        "feature-union-weighted",
        lambda: FeatureUnion(
            [("scaled", StandardScaler()), ("same", "passthrough")], transformer_weights={"same": 3.0}
        ),
        lambda X: X[["a", "c"]],
    ),
    (
        "feature-union",
        lambda: FeatureUnion(
            [
                ("pca", PCA(2)),
                ("best", SelectKBest(f_classif, k=2)),
                ("same", "passthrough"),
                ("none", "drop"),
            ]
        ),
        _complete,
    ),
    (
        "pipeline-transform-select-pca",
        lambda: make_pipeline(
            ColumnTransformer(
                [
                    (
                        "num",
                        make_pipeline(
                            SimpleImputer(add_indicator=True), PolynomialFeatures(2, include_bias=False)
                        ),
                        NUMERIC,
                    ),
                    ("cat", OneHotEncoder(drop="first"), ["city"]),
                ]
            ),
            SelectKBest(f_classif, k=8),
            PCA(3),
        ),
        lambda X: X[[*NUMERIC, "city"]],
    ),
    (
        "pipeline-select-then-model",
        lambda: Pipeline(
            [
                ("impute", SimpleImputer(add_indicator=True)),
                ("poly", PolynomialFeatures(2, include_bias=False)),
                ("select", SelectKBest(f_classif, k=6)),
                ("model", LogisticRegression(max_iter=2000)),
            ]
        ),
        _num,
    ),
    (
        "nested-union-in-column-transformer",
        lambda: ColumnTransformer(
            [
                (
                    "u",
                    FeatureUnion([("s", StandardScaler()), ("p", PolynomialFeatures(2, include_bias=False))]),
                    ["a", "c", "e"],
                )
            ]
        ),
        lambda X: X,
    ),
    (
        "pandas-output",
        lambda: ColumnTransformer(
            [
                ("num", SimpleImputer(add_indicator=True), ["b", "d"]),
                ("cat", OneHotEncoder(sparse_output=False), ["city"]),
            ]
        ).set_output(transform="pandas"),
        lambda X: X,
    ),
]


@pytest.mark.parametrize(("make", "pick"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_feature_maps_to_the_columns_that_move_it(frame, make, pick) -> None:
    X, y = frame
    data = pick(X)
    est = make().fit(data, y)
    lin = lw.lineage(est, data)
    transformer = est[:-1] if isinstance(est, Pipeline) and hasattr(est[-1], "predict") else est
    names = [str(n) for n in transformer.get_feature_names_out()]
    assert list(lin.features) == names
    observed = observed_sources(transformer.transform, names, data)
    mapped = {f: set(lin.sources(f)) for f in names}
    wrong = {f: (sorted(mapped[f]), sorted(observed[f])) for f in names if mapped[f] != observed[f]}
    assert not wrong, f"feature: (mapped, observed) {wrong}"
    assert all(u.how in ("identity", "transformation", "mixing") for f in names for u in lin.fields(f))
    assert lw.LineageGraph.from_dict(lin.to_dict()) == lin


def test_imputer_indicators_map_to_their_own_column(frame) -> None:
    """The measured bug: 8 of 17 outputs listed all six numeric columns."""
    X, y = frame
    ct = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
        ]
    )
    pipe = make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(X, y)
    lin = lw.lineage(pipe, X)
    imputer = ct.named_transformers_["num"][0]
    flagged = [imputer.feature_names_in_[k] for k in imputer.indicator_.features_]
    assert flagged == ["b", "d", "f"]
    for col in flagged:
        assert lin.sources(f"num__missingindicator_{col}") == (col,)
        assert lin.fields(f"num__missingindicator_{col}")[0].how == "transformation"
    for col in NUMERIC:
        assert lin.sources(f"num__{col}") == (col,)
    for j, col in enumerate(["city", "plan"]):
        for cat in ct.named_transformers_["cat"].categories_[j]:
            assert lin.sources(f"cat__{col}_{cat}") == (col,)
    assert len(lin.features) == len(NUMERIC) + 3 + 5 + 2
    assert all(len(lin.sources(f)) == 1 for f in lin.features)


def test_one_hot_outputs_follow_categories_infrequent_and_drop(frame) -> None:
    X, _ = frame
    enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=0.1, drop="first").fit(
        X[["city", "plan"]]
    )
    lin = lw.lineage(enc, X[["city", "plan"]])
    for j, col in enumerate(["city", "plan"]):
        cats = list(enc.categories_[j])
        rare = set(enc.infrequent_categories_[j] if enc.infrequent_categories_[j] is not None else ())
        dropped = cats[enc.drop_idx_[j]] if enc.drop_idx_[j] is not None else None
        expected = {f"{col}_{c}" for c in cats if c not in rare and c != dropped}
        if rare and dropped not in rare:
            expected.add(f"{col}_infrequent_sklearn")
        assert {f for f in lin.features if lin.sources(f) == (col,)} == expected
    assert {"city_kiev", "city_nuuk"}.isdisjoint(lin.features) and "city_infrequent_sklearn" in lin.features


def test_polynomial_terms_map_to_their_factors(frame) -> None:
    X, _ = frame
    poly = PolynomialFeatures(3).fit(_complete(X))
    lin = lw.lineage(poly, _complete(X))
    for name, row in zip(poly.get_feature_names_out(), poly.powers_, strict=True):
        factors = {part.split("^")[0] for part in name.split(" ")} - {"1"}  # sklearn's naming: "a^2 c"
        assert set(lin.sources(name)) == factors == {NUMERIC[i] for i in np.flatnonzero(row)}
    assert lin.sources("1") == ()
    assert lin.fields("a")[0].how == "identity" and lin.fields("a^2 c")[0].how == "transformation"


def test_selectors_keep_what_get_support_keeps(frame) -> None:
    X, y = frame
    data = _complete(X)
    for selector in (
        SelectKBest(f_classif, k=2),
        VarianceThreshold(10.0),
        SelectFromModel(LogisticRegression(), max_features=3),
    ):
        pipe = make_pipeline(
            StandardScaler() if isinstance(selector, SelectFromModel) else "passthrough", selector
        ).fit(data, y)
        kept = [c for c, keep in zip(NUMERIC, selector.get_support(), strict=True) if keep]
        lin = lw.lineage(pipe, data)
        assert list(lin.features) == kept
        assert all(lin.sources(f) == (f,) for f in kept)
        how = "identity" if isinstance(selector, SelectKBest | VarianceThreshold) else "transformation"
        assert {u.how for f in kept for u in lin.fields(f)} == {how}


def test_pca_and_svd_mix_every_input(frame) -> None:
    X, y = frame
    data = _complete(X)
    for reducer in (PCA(2), TruncatedSVD(2, random_state=0)):
        lin = lw.lineage(make_pipeline(StandardScaler(), reducer, LogisticRegression()).fit(data, y), data)
        for f in reducer.get_feature_names_out():
            assert lin.sources(f) == tuple(NUMERIC)
            assert {u.how for u in lin.fields(f)} == {"mixing"}
            assert all(type(reducer).__name__ in u.description for u in lin.fields(f))


def test_function_transformer_as_declared(frame) -> None:
    X, _ = frame
    data = _complete(X)
    declared = FunctionTransformer(
        lambda d: d[["a", "b"]].sum(axis=1).to_frame("a_plus_b"),
        feature_names_out=lambda self, names: ["a_plus_b"],
    ).fit(data)
    lin = lw.lineage(declared, data)
    # names are declared, inputs are not: every input counts, and the lineage says it mixes them
    assert lin.features == ("a_plus_b",) and lin.sources("a_plus_b") == tuple(NUMERIC)
    assert {u.how for u in lin.fields("a_plus_b")} == {"mixing"}
    one_to_one = lw.lineage(FunctionTransformer(np.abs, feature_names_out="one-to-one").fit(data), data)
    assert [one_to_one.sources(f) for f in NUMERIC] == [(c,) for c in NUMERIC]
    with pytest.raises(lw.ParameterError, match="feature_names_out"):
        lw.lineage(FunctionTransformer(np.abs).fit(data), data)


def test_knn_imputer_reads_every_column_for_what_it_imputes(frame) -> None:
    X, _ = frame
    lin = lw.lineage(KNNImputer(add_indicator=True).fit(_num(X)), _num(X))
    assert lin.sources("b") == tuple(NUMERIC)
    assert {u.field: u.how for u in lin.fields("b")}["b"] == "transformation"
    assert {u.field: u.how for u in lin.fields("b")}["a"] == "mixing"
    assert lin.sources("missingindicator_d") == ("d",)


@pytest.mark.parametrize("fit_on", ["frame", "array"])
def test_a_bare_model_reads_its_features(frame, fit_on) -> None:
    X, y = frame
    data = _complete(X)
    model = LogisticRegression(max_iter=500).fit(data if fit_on == "frame" else data.to_numpy(), y)
    lin = lw.lineage(model, data)
    assert lin.features == tuple(NUMERIC)
    assert all(lin.sources(c) == (c,) and lin.fields(c)[0].how == "identity" for c in NUMERIC)
    assert {n.id for n in lin.nodes if n.kind == "model"} == {"model"}
    wider = data.assign(extra=1.0)
    if fit_on == "frame":  # names tell which columns it reads; the extra one is a raw column nobody reads
        assert lw.lineage(model, wider).features == tuple(NUMERIC)
    else:
        with pytest.raises(lw.ParameterError, match="6 unnamed features, but X has 7 columns"):
            lw.lineage(model, wider)


def test_a_search_stands_for_its_best_estimator(frame) -> None:
    from sklearn.model_selection import GridSearchCV

    X, y = frame
    data = _complete(X)
    search = GridSearchCV(
        make_pipeline(PCA(), LogisticRegression()), {"pca__n_components": [2, 3]}, cv=2
    ).fit(data, y)
    lin = lw.lineage(search, data)
    assert lin.features == tuple(search.best_estimator_[0].get_feature_names_out())


def test_the_path_of_a_feature_is_exact(frame) -> None:
    X, y = frame
    ct = ColumnTransformer(
        [
            ("poly", PolynomialFeatures(2, include_bias=False), ["a", "c", "e"]),
            ("cat", OneHotEncoder(), ["city"]),
        ]
    )
    pipe = make_pipeline(ct, SelectKBest(f_classif, k=5), LogisticRegression(max_iter=1000)).fit(X, y)
    lin = lw.lineage(pipe, X)
    for f in lin.features:
        raws = {n.removeprefix("raw:") for n in lin.path(f"feature:{f}") if n.startswith("raw:")}
        assert raws == set(lin.sources(f))
    steps = {n.id for n in lin.nodes if n.kind == "step"}
    assert {
        "transform:columntransformer/poly",
        "transform:columntransformer/cat",
        "transform:selectkbest",
    } <= steps
    assert set(lin.path("model")) >= {f"feature:{f}" for f in lin.features}
    assert lin.figures()  # the graph with intermediate columns still draws


def test_recorded_pandas_steps_compose_with_the_transformers(frame) -> None:
    X, y = frame
    rec = lw.LineageRecorder()

    @rec.step("ratio", uses={"a_over_c": ["a", "c"]})
    def add_ratio(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(a_over_c=d["a"] / (d["c"].abs() + 1))

    data = add_ratio(_complete(X))
    pipe = make_pipeline(PolynomialFeatures(2, include_bias=False), SelectKBest(f_classif, k=10)).fit(data, y)
    lin = lw.lineage(pipe, data, steps=rec)
    for f in lin.features:
        expected = set()
        for part in f.split(" "):
            col = part.split("^")[0]
            expected |= {"a", "c"} if col == "a_over_c" else {col}
        assert set(lin.sources(f)) == expected
    if "a_over_c" in lin.features:
        assert [u.how for u in lin.fields("a_over_c")] == ["transformation", "transformation"]
        assert "pandas step ratio" in lin.fields("a_over_c")[0].description


def test_a_graph_stored_before_exact_lineage_still_reads(frame) -> None:
    """Graphs logged to a run store by earlier versions lack fields and node inputs."""
    X, y = frame
    pipe = make_pipeline(
        ColumnTransformer([("poly", PolynomialFeatures(2), ["a", "c"])]), LogisticRegression()
    )
    lin = lw.lineage(pipe.fit(X, y), X)
    old = lin.to_dict()
    for key in ("feature_fields", "raw_types", "feature_types", "source"):
        del old[key]
    for node in old["nodes"]:
        del node["inputs"]
    again = lw.LineageGraph.from_dict(old)
    assert again.sources("poly__a c") == ("a", "c")
    assert [u.field for u in again.fields("poly__a c")] == ["a", "c"]
    assert {"raw:a", "raw:c"} <= set(again.path("feature:poly__a^2"))  # the old, step-wide path


class _NoNames(TransformerMixin, BaseEstimator):
    def fit(self, X: Any, y: Any = None) -> _NoNames:
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> Any:
        return X


def test_errors_name_what_is_wrong(frame) -> None:
    X, _ = frame
    data = _complete(X)
    with pytest.raises(lw.ParameterError, match="'model' parameter of lineage must be fitted"):
        lw.lineage(make_pipeline(StandardScaler(), LogisticRegression()), data)
    with pytest.raises(lw.ParameterError, match="'X' parameter of lineage must be a pandas DataFrame"):
        lw.lineage(StandardScaler().fit(data), data.to_numpy())
    with pytest.raises(lw.ParameterError, match="'steps' parameter of lineage"):
        lw.lineage(StandardScaler().fit(data), data, steps=[])
    with pytest.raises(lw.ParameterError, match=r"reads columns \['f'\], which X lacks"):
        lw.lineage(StandardScaler().fit(data), data.drop(columns="f"))
    with pytest.raises(lw.ParameterError, match="register_feature_mapper"):
        lw.lineage(make_pipeline(_NoNames(), StandardScaler()).fit(data.to_numpy()), data)
    with pytest.raises(
        lw.ParameterError, match="'model' parameter of lineage must be a fitted scikit-learn estimator"
    ):
        lw.lineage("model", data)


def test_weights_and_passthrough_say_how_a_column_enters(frame) -> None:
    X, _ = frame
    data = X[["a", "c"]]
    union = FeatureUnion(
        [("same", "passthrough"), ("heavy", "passthrough")], transformer_weights={"heavy": 3.0}
    )
    lin = lw.lineage(union.fit(data), data)
    assert [u.how for u in lin.fields("same__a")] == ["identity"]
    assert [u.how for u in lin.fields("heavy__a")] == ["transformation"]
    assert "weight 3" in lin.fields("heavy__a")[0].description


def test_lineage_panel_picker_starts_on_all_features_then_highlights_one() -> None:
    X = pd.DataFrame({"age": [20.0, 35, 50, 41], "<b>income</b>": [1.0, 2, 3, 4]})
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [0, 1, 0, 1])
    with lw.config_context(display="live"):
        panel = lw.LineagePanel(lw.lineage(model, X))
    labels = [label for label, _ in panel.picker.options]
    assert panel.picker.value is None and labels[0].startswith("all") and "<b>income</b>" in labels[1:]
    assert panel.info.value == ""
    feature = next(v for _, v in panel.picker.options if v and "income" in v)
    panel.picker.value = feature
    assert "income" in panel.info.value and "<b>income" not in panel.info.value  # escaped

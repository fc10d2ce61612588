"""Multivariate drift: a change in how features go together that no single feature shows.

Two views, one value per chunk each, as NannyML computes them:

- **data reconstruction error** (NannyML's ``DataReconstructionDriftCalculator``): missing values
  imputed (mean for numbers, most frequent value for categories), categories replaced by their
  share of the reference (count encoding; a value the reference never had is 0), every column
  standardized, then a PCA fitted on the reference keeps the components explaining 65 % of its
  variance. A row's error is the distance between it and its reconstruction from those
  components; a chunk's value is the mean over its rows, with the standard error of that mean
  as sampling error. When the features' joint structure changes (two columns that moved
  together now move apart) the reference's components no longer describe the rows, and the
  error grows, though every column keeps its distribution. Thresholds: the mean over the
  reference's chunks plus and minus three standard deviations.
- **domain classifier** (NannyML's ``DomainClassifierCalculator``, Evidently's domain-classifier
  drift): a gradient-boosted classifier is asked to tell the reference's rows from the chunk's,
  and its cross-validated ROC AUC (5 stratified folds) is the value: about 0.5 when it cannot
  (no drift), towards 1 when the chunk is easy to tell apart. NannyML's threshold: 0.65. Its
  classifier is LightGBM with default settings; here scikit-learn's
  ``HistGradientBoostingClassifier`` of the same shape, categories as native categories and
  missing values left missing. The reference is sampled down to ``max_reference_rows`` rows (a
  fixed sample) to bound the cost per chunk; the reference's own chunks are not scored.

References: NannyML, "How it works: multivariate drift detection"
(https://nannyml.readthedocs.io/en/stable/how_it_works/multivariate_drift.html) and the code
of ``nannyml.drift.multivariate`` (0.13.1); Rabanser, Günnemann and Lipton, "Failing Loudly: An
Empirical Study of Methods for Detecting Dataset Shift" (NeurIPS 2019) on both approaches.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.performance_chunks import (
    Batch,
    ChunkPeriods,
    Thresholds,
    as_plain,
    batches_of,
    check_chunking,
    check_features,
    check_frame,
    check_positive_int,
    fingerprint_of,
    full_chunks,
    limited_threads,
    split_features,
    std_thresholds,
    typical_batch_size,
)
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = ["METHODS", "MultivariateChunk", "MultivariateDrift", "multivariate_drift"]

CALLER = "multivariate_drift"
METHODS = ("reconstruction", "domain_classifier")
PCA_SEED = 16  # NannyML's; the full SVD that a variance share selects does not depend on it
MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's max_bins: more categories go in as frequencies
CLASSIFIER_PARAMS = {  # LightGBM's defaults, which NannyML's domain classifier runs with
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
    "early_stopping": False,
}


@dataclass(frozen=True)
class MultivariateChunk:
    """One chunk's multivariate drift: the mean reconstruction error with its sampling error and
    band (three sampling errors each side), the domain classifier's ROC AUC, and whether each
    crossed its threshold. A method not run, or not run on the reference's chunks, gives None."""

    label: str
    period: str
    rows: int
    reconstruction_error: float | None = None
    sampling_error: float | None = None
    lower: float | None = None
    upper: float | None = None
    reconstruction_alert: bool = False
    domain_auc: float | None = None
    domain_alert: bool = False
    start: int | None = None
    stop: int | None = None
    fingerprint: str = ""

    @property
    def alert(self) -> bool:
        """Whether either method flags the chunk."""
        return self.reconstruction_alert or self.domain_alert


@dataclass(frozen=True)
class MultivariateDrift(ChunkPeriods, Result):
    """Reconstruction error and domain-classifier ROC AUC of each chunk against a reference.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> def frame(n, rho):
    ...     a = rng.normal(size=n)
    ...     return pd.DataFrame({"a": a, "b": rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)})
    >>> result = multivariate_drift(frame(2000, 0.9), {"same": frame(500, 0.9), "flipped": frame(500, -0.9)},
    ...                             methods=["reconstruction"])
    >>> [c.label for c in result.analysis if c.alert]
    ['flipped']
    """

    kind: ClassVar[str] = "multivariate_drift"

    features: tuple[str, ...]
    categorical: tuple[str, ...]
    methods: tuple[str, ...]
    chunks: tuple[MultivariateChunk, ...]
    reference_rows: int
    reference_fingerprint: str
    components: int | None = None
    explained_variance: float | None = None
    reconstruction_thresholds: Thresholds | None = None
    domain_threshold: float | None = None
    chunk_size: int | None = None
    chunk_number: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def drifted(self) -> tuple[str, ...]:
        """Labels of the analysis chunks that either method flags."""
        return tuple(c.label for c in self.analysis if c.alert)

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk, NannyML's columns in flat form."""
        t = self.reconstruction_thresholds or Thresholds(None, None)
        return pd.DataFrame(
            [
                {
                    "chunk": c.label,
                    "period": c.period,
                    "rows": c.rows,
                    "reconstruction_error": c.reconstruction_error,
                    "sampling_error": c.sampling_error,
                    "lower": c.lower,
                    "upper": c.upper,
                    "lower_threshold": t.lower,
                    "upper_threshold": t.upper,
                    "reconstruction_alert": c.reconstruction_alert,
                    "domain_auc": c.domain_auc,
                    "domain_threshold": self.domain_threshold,
                    "domain_alert": c.domain_alert,
                }
                for c in self.chunks
            ]
        )

    def __repr__(self) -> str:
        return (
            f"<MultivariateDrift ({', '.join(self.methods)}): {len(self.analysis)} chunks, "
            f"drifted: {', '.join(self.drifted) or 'none'}>"
        )


# --- data reconstruction -------------------------------------------------------------------
def _numbers(column: pd.Series) -> np.ndarray:
    """A numeric column as floats, infinities as missing (imputed or left to the classifier)."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


class _Reconstruction:
    """Impute, count-encode, standardize and project on the reference's principal components."""

    def __init__(
        self, reference: pd.DataFrame, numeric: list[str], categorical: list[str], variance: float
    ) -> None:
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        self.numeric, self.categorical = numeric, categorical
        self.means: dict[str, float] = {}
        for c in numeric:
            values = _numbers(reference[c])
            present = values[~np.isnan(values)]
            self.means[c] = float(present.mean()) if present.size else 0.0
        self.modes: dict[str, Any] = {}
        self.shares: dict[str, pd.Series] = {}
        for c in categorical:
            values = reference[c].astype(object)
            present = values.dropna()
            # most frequent, ties to the first in sorted order as SimpleImputer; all missing: a
            # category of its own
            counts = present.value_counts()
            top = counts[counts == counts.max()].index if len(counts) else pd.Index(["missing"])
            self.modes[c] = sorted(top, key=str)[0]
            self.shares[c] = values.fillna(self.modes[c]).value_counts(normalize=True)
        X = self._encode(reference)
        self.scaler = StandardScaler().fit(X)
        self.pca = PCA(n_components=variance, random_state=PCA_SEED).fit(self.scaler.transform(X))

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        columns = []
        for c in self.numeric:
            values = _numbers(frame[c])
            columns.append(np.where(np.isnan(values), self.means[c], values))
        for c in self.categorical:
            values = frame[c].astype(object).fillna(self.modes[c])
            columns.append(values.map(self.shares[c]).astype(float).fillna(0.0).to_numpy())
        return np.column_stack(columns)

    def errors(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's distance to its reconstruction."""
        X = self.scaler.transform(self._encode(frame))
        back = self.pca.inverse_transform(self.pca.transform(X))
        return np.linalg.norm(X - back, axis=1)


def _reconstruction_values(errors: np.ndarray) -> tuple[float | None, float | None]:
    """Mean error and its standard error (NannyML: ``std(ddof=1) / sqrt(n)``)."""
    mean = as_plain(errors.mean())
    se = as_plain(errors.std(ddof=1) / np.sqrt(len(errors))) if len(errors) > 1 else None
    return mean, se


# --- domain classifier ----------------------------------------------------------------------
def _classifier_inputs(
    X: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as they are (missing stays missing), categories as codes of the values in ``X``
    (NannyML ordinal-encodes the combined rows), too many categories as their share."""
    columns, native = [], []
    for c in numeric:
        columns.append(_numbers(X[c]))
        native.append(False)
    for c in categorical:
        values = X[c].astype(object)
        uniques = pd.Index(values.dropna().unique())
        if len(uniques) <= MAX_NATIVE_CATEGORIES:
            codes = uniques.get_indexer(values).astype(float)
            codes[codes < 0] = np.nan
            columns.append(codes)
            native.append(True)
        else:
            columns.append(
                values.map(values.value_counts(normalize=True)).astype(float).fillna(0.0).to_numpy()
            )
            native.append(False)
    return np.column_stack(columns), np.array(native)


def _domain_auc(
    reference: pd.DataFrame,
    chunk: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    folds: int,
    seed: int,
) -> float | None:
    """Cross-validated ROC AUC of a classifier told to separate ``chunk`` from ``reference``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    if len(chunk) < folds:
        return None
    X, native = _classifier_inputs(pd.concat([reference, chunk], ignore_index=True), numeric, categorical)
    y = np.r_[np.zeros(len(reference)), np.ones(len(chunk))]
    scores = np.empty(len(y))
    with limited_threads(len(X)):
        for train, test in StratifiedKFold(n_splits=folds).split(X, y):
            model = HistGradientBoostingClassifier(
                **CLASSIFIER_PARAMS, categorical_features=native if native.any() else None, random_state=seed
            )
            scores[test] = model.fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    return as_plain(roc_auc_score(y, scores))


# --- the function ---------------------------------------------------------------------------
def _check_methods(methods: object) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, Sequence) or not methods:
        raise ParameterError.bad_value("methods", CALLER, f"a non-empty list of {list(METHODS)}", methods)
    for m in methods:
        if m not in METHODS:
            raise UnknownNameError(f"method of {CALLER}", m, METHODS)
    return tuple(dict.fromkeys(methods))


def _check_fraction(value: object, name: str, *, low: float, high: float, closed_high: bool) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and low < float(value)
    ok = ok and (float(value) <= high if closed_high else float(value) < high)
    if not ok:
        bound = f"{low} < value {'<=' if closed_high else '<'} {high}"
        raise ParameterError.bad_value(name, CALLER, f"a number with {bound}", value)
    return float(value)


def multivariate_drift(
    reference: pd.DataFrame,
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    features: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    variance: float = 0.65,
    domain_threshold: float = 0.65,
    cv_folds: int = 5,
    max_reference_rows: int = 10_000,
    random_state: int = 0,
) -> MultivariateDrift:
    """Multivariate drift of each chunk of ``data`` against ``reference``: PCA reconstruction
    error and domain-classifier ROC AUC.

    Parameters
    ----------
    reference
        The data the features are expected to look like (the model's training or holdout data).
    data
        A frame, cut into chunks (``chunk_size`` / ``chunk_number``; neither: 10 chunks), or a
        mapping of labels to frames, one chunk each (as :func:`lifecycle_widgets.monitor` takes
        batches).
    features
        The columns compared; default: every column of ``reference``. Leave out the target,
        identifiers and timestamps (a timestamp is refused: it differs by construction).
    methods
        ``"reconstruction"``, ``"domain_classifier"`` or both (default).
    chunk_size, chunk_number
        How a frame, and the reference for the reconstruction thresholds, is cut into chunks.
    variance
        The share of the reference's variance the principal components keep (NannyML: 0.65).
    domain_threshold
        The ROC AUC above which the domain classifier flags a chunk (NannyML: 0.65).
    cv_folds
        Folds of the domain classifier's cross-validation (NannyML: 5).
    max_reference_rows
        Reference rows the domain classifier sees at most (a fixed random sample).
    random_state
        Seed of that sample and of the classifier.

    Returns
    -------
    MultivariateDrift
        The reference's chunks (reconstruction only), then the data's, each with its values
        and alerts.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> reference = lw.datasets.credit(3000)
    >>> columns = ["age", "income", "debt_ratio", "utilization", "region"]
    >>> result = multivariate_drift(reference, {"later": lw.datasets.credit_batch(1000, drift=False)},
    ...                             features=columns, chunk_size=500, methods="reconstruction")
    >>> result.components, result.drifted
    (4, ())
    """
    method_names = _check_methods(methods)
    size, number = check_chunking(chunk_size, chunk_number, CALLER)
    variance = _check_fraction(variance, "variance", low=0.0, high=1.0, closed_high=False)
    domain_threshold = _check_fraction(
        domain_threshold, "domain_threshold", low=0.0, high=1.0, closed_high=True
    )
    folds = check_positive_int(cv_folds, "cv_folds", CALLER, minimum=2)
    max_rows = check_positive_int(max_reference_rows, "max_reference_rows", CALLER, minimum=2)
    check_positive_int(random_state, "random_state", CALLER, minimum=0)
    ref = check_frame(reference, "reference", CALLER)
    batches = batches_of(data, name="data", caller=CALLER, chunk_size=size, chunk_number=number)
    frames = (
        [(f"data {b.label!r}", b.frame) for b in batches] if isinstance(data, Mapping) else [("data", data)]
    )
    names = check_features(
        list(ref.columns) if features is None else features, [("reference", ref), *frames], CALLER
    )
    numeric, categorical = split_features(ref, names, CALLER)
    if isinstance(data, Mapping) and size is None and number is None:
        size = typical_batch_size(batches)
    if "domain_classifier" in method_names:
        short = [b.label for b in batches if len(b.frame) < folds]
        if short:
            raise ParameterError(
                f"The 'data' parameter of {CALLER}: chunks {short[:5]} have fewer rows than cv_folds={folds}; "
                "the domain classifier needs a row of the chunk in every fold."
            )

    notes: list[str] = []
    recon = thresholds = None
    ref_batches: list[Batch] = []
    ref_errors: list[tuple[float | None, float | None]] = []
    if "reconstruction" in method_names:
        ref_batches = batches_of(
            ref, name="reference", caller=CALLER, chunk_size=size, chunk_number=number, prefix="reference "
        )
        counted = full_chunks([len(b.frame) for b in ref_batches])
        if counted.sum() < 2:
            raise ParameterError(
                f"The 'reference' parameter of {CALLER}: {len(ref):,} rows give {int(counted.sum())} full chunk(s); "
                "the reconstruction thresholds need at least 2. Give a smaller chunk_size or more reference rows."
            )
        if counted.sum() < 6:
            notes.append(
                f"The reconstruction thresholds rest on {int(counted.sum())} reference chunks; NannyML advises "
                "at least 6."
            )
        recon = _Reconstruction(ref, numeric, categorical, variance)
        ref_errors = [_reconstruction_values(recon.errors(b.frame)) for b in ref_batches]
        # a chunk's mean error varies at least as the mean of that many rows does; with few
        # reference chunks their spread can come out smaller by chance (NannyML has no floor)
        floor = float(recon.errors(ref).std(ddof=1) / np.sqrt(max(len(b.frame) for b in ref_batches)))
        thresholds = std_thresholds(
            [e for (e, _), full in zip(ref_errors, counted, strict=True) if full],
            lower_limit=0.0,
            open_beyond_limits=True,
            min_std=floor,
        )
    sample = ref[names]
    if "domain_classifier" in method_names and len(ref) > max_rows:
        sample = ref[names].sample(max_rows, random_state=random_state)
        notes.append(
            f"The domain classifier saw a fixed sample of {max_rows:,} of the {len(ref):,} reference rows."
        )

    def chunk(b: Batch, period: str, errors: tuple[float | None, float | None] | None) -> MultivariateChunk:
        mean, se = errors if errors is not None else (None, None)
        lower = upper = None
        if mean is not None and se is not None:
            lower, upper = max(0.0, mean - 3 * se), mean + 3 * se
        auc = None
        if period == "analysis" and "domain_classifier" in method_names:
            auc = _domain_auc(sample, b.frame[names], numeric, categorical, folds, random_state)
        return MultivariateChunk(
            label=b.label,
            period=period,
            rows=len(b.frame),
            reconstruction_error=mean,
            sampling_error=se,
            lower=lower,
            upper=upper,
            reconstruction_alert=thresholds.outside(mean) if thresholds is not None else False,
            domain_auc=auc,
            domain_alert=auc is not None and auc > domain_threshold,
            start=b.start,
            stop=b.stop,
            fingerprint=fingerprint_of(b.frame) if period == "analysis" else "",
        )

    chunks = [chunk(b, "reference", e) for b, e in zip(ref_batches, ref_errors, strict=True)]
    chunks += [
        chunk(b, "analysis", _reconstruction_values(recon.errors(b.frame)) if recon is not None else None)
        for b in batches
    ]
    return MultivariateDrift(
        features=tuple(names),
        categorical=tuple(categorical),
        methods=method_names,
        chunks=tuple(chunks),
        reference_rows=len(ref),
        reference_fingerprint=fingerprint_of(ref),
        components=int(recon.pca.n_components_) if recon is not None else None,
        explained_variance=as_plain(recon.pca.explained_variance_ratio_.sum()) if recon is not None else None,
        reconstruction_thresholds=thresholds,
        domain_threshold=domain_threshold if "domain_classifier" in method_names else None,
        chunk_size=size,
        chunk_number=number,
        notes=tuple(notes),
    )

"""Text statistics of a column from the profile's row sample: lengths, words, character classes
and value patterns, vectorized in Arrow (no Python per value).

Lengths are measured on every sampled value. Words, character classes and patterns are counted on
the first sampled values up to :data:`CHARACTER_BUDGET` characters (the sample is in random
order, so these are a uniform subsample), each value cut at :data:`MAX_VALUE_CHARACTERS`, so
that a column of 10 MB cells costs no more than a column of names. Bytes values are measured by
length only, never decoded.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lifecycle_widgets.core.profile_parts import Histogram, TextSummary

CHARACTER_BUDGET = 1_000_000
MAX_VALUE_CHARACTERS = 100_000
PATTERN_LENGTH = 40
CHARACTER_CLASSES = (
    ("uppercase letters", r"\p{Lu}"),
    ("lowercase letters", r"\p{Ll}"),
    ("other letters", r"[\p{Lt}\p{Lm}\p{Lo}]"),
    ("digits", r"\p{N}"),
    ("whitespace", r"\s"),
    ("punctuation", r"\p{P}"),
    ("symbols", r"\p{S}"),
)

# what a whole value looks like when it is personal or sensitive data (RE2 syntax, anchored),
# most specific first: a value counts for the first category it matches
SEMANTIC_PATTERNS = (
    ("email", r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"),
    ("url", r"^(https?|ftp)://\S+$"),
    ("ip address", r"^([0-9]{1,3}\.){3}[0-9]{1,3}$|^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{0,4}){2,7}$"),
    ("payment card", r"^[0-9]{4}([ -]?[0-9]{4}){3}$"),
    ("national id", r"^[0-9]{3}-[0-9]{2}-[0-9]{4}$"),
    ("iban", r"^[A-Z]{2}[0-9]{2} ?([A-Z0-9]{4} ?){2,7}[A-Z0-9]{1,4}$"),
    ("", r"^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}$|^[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}$"),  # a date
    # digits with separators or a leading +, 7 to 15 digits in all (checked apart)
    ("phone", r"^\+?\(?[0-9][0-9 ().-]{5,22}[0-9]$"),
)


def semantic_counts(uniq: pa.Array, weights: np.ndarray) -> tuple[tuple[str, int], ...]:
    """How many values (distinct values weighted by their counts) look like each category of
    SEMANTIC_PATTERNS, each value counted once, for the first category it matches.

    Examples
    --------
    >>> values = pa.array(["a.b@x.org", "+33 6 12 34 56 78", "2024-01-31", "12345", "123-45-6789"])
    >>> semantic_counts(values, np.ones(5, dtype=np.int64))
    (('email', 1), ('national id', 1), ('phone', 1))
    """
    out = []
    for label, hit in _semantic_hits(uniq):
        n = int(weights[hit].sum())
        if n:
            out.append((label, n))
    return tuple(out)


def _semantic_hits(uniq: pa.Array) -> list[tuple[str, np.ndarray]]:
    """Each labelled category of SEMANTIC_PATTERNS with the mask of the values whose first
    matching category it is."""
    taken = np.zeros(len(uniq), dtype=bool)
    out = []
    for label, pattern in SEMANTIC_PATTERNS:
        hit = pc.match_substring_regex(uniq, pattern).to_numpy(zero_copy_only=False).astype(bool) & ~taken
        if label == "phone" and hit.any():
            digits = pc.count_substring_regex(uniq, "[0-9]").to_numpy(zero_copy_only=False)
            marked = (
                pc.match_substring_regex(uniq, r"[ ().-]|^\+").to_numpy(zero_copy_only=False).astype(bool)
            )
            hit &= (digits >= 7) & (digits <= 15) & marked
        taken |= hit
        if label:
            out.append((label, hit))
    return out


def length_histogram(lengths: np.ndarray, bins: int, total: int | None = None) -> Histogram | None:
    """Histogram of whole-number lengths in unit-aligned bins (each bin holds the same number of
    lengths); counts scaled to ``total`` values when ``lengths`` is a sample of them.

    Examples
    --------
    >>> h = length_histogram(np.array([1, 2, 2, 3, 10]), bins=5)
    >>> h.edges[:3], h.counts[:2]
    ((0.5, 2.5, 4.5), (3, 1))
    """
    if lengths.size == 0:
        return None
    lo, hi = int(lengths.min()), int(lengths.max())
    width = max(1, int(np.ceil((hi - lo + 1) / bins)))
    n_bins = int(np.ceil((hi - lo + 1) / width))
    edges = lo - 0.5 + width * np.arange(n_bins + 1)
    counts = np.bincount((lengths - lo) // width, minlength=n_bins).astype(np.float64)
    scale = 1.0 if total is None else total / lengths.size
    return Histogram(
        tuple(float(e) for e in edges),
        tuple(int(c) for c in np.rint(counts * scale)),
        approximate=scale != 1.0,
    )


def _string_array(values: pd.Series) -> tuple[pa.Array | None, pa.Array | None]:
    """The present values as an Arrow string array and as a binary array (either may be None):
    strings and bytes of a column that mixes them are split, other objects left out."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "categorical":
        values = pd.Series(np.asarray(values, dtype=object))
        inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return _text_array(values), None
    if inferred == "bytes":
        return None, pa.array(values, type=pa.large_binary(), from_pandas=True)
    if not inferred.startswith("mixed"):
        return None, None
    # a mixed column only (rare): its sampled values, bounded by the sample size
    strings = values[values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)]
    blobs = values[values.map(lambda v: isinstance(v, bytes)).to_numpy(dtype=bool)]
    return (
        _text_array(strings) if len(strings) else None,
        pa.array(blobs, type=pa.large_binary()) if len(blobs) else None,
    )


def _text_array(strings: pd.Series) -> pa.Array:
    """Present str values as an Arrow large_string array, lone surrogates shown replaced."""
    try:
        return pa.array(strings, type=pa.large_string(), from_pandas=True)
    except (UnicodeEncodeError, pa.ArrowException):
        text = strings.map(lambda v: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
        return pa.array(text, type=pa.large_string(), from_pandas=True)


def _budgeted(arr: pa.Array, lengths: np.ndarray) -> pa.Array:
    """The first values up to CHARACTER_BUDGET characters (at least one), each cut at
    MAX_VALUE_CHARACTERS."""
    capped = np.minimum(lengths, MAX_VALUE_CHARACTERS)
    take = max(1, int(np.searchsorted(np.cumsum(capped), CHARACTER_BUDGET, side="right")))
    head = arr.slice(0, take)
    if int(lengths[:take].max(initial=0)) > MAX_VALUE_CHARACTERS:
        head = pc.utf8_slice_codeunits(head, 0, MAX_VALUE_CHARACTERS)
    return head


def _ascii_class_table() -> np.ndarray:
    """The character class (an index into CHARACTER_CLASSES, or len(CHARACTER_CLASSES) for
    "other") of each ASCII byte, as the regular expressions of CHARACTER_CLASSES classify it."""
    table = np.full(128, len(CHARACTER_CLASSES), dtype=np.int64)
    for code in range(128):
        ch = chr(code)
        category = unicodedata.category(ch)
        if ch.isspace():
            table[code] = 4
        elif category == "Lu":
            table[code] = 0
        elif category == "Ll":
            table[code] = 1
        elif category.startswith("N"):
            table[code] = 3
        elif category.startswith("P"):
            table[code] = 5
        elif category.startswith("S"):
            table[code] = 6
    return table


ASCII_CLASSES = _ascii_class_table()
# every byte's class in one byte; a byte above 127 (of a value counted on its own) as "other"
_BYTE_CLASSES = np.concatenate([ASCII_CLASSES, np.full(128, len(CHARACTER_CLASSES))]).astype(np.uint8)
ASCII_SHAPES = np.array(
    [
        ord("A")
        if chr(c).isupper()
        else ord("a")
        if chr(c).islower()
        else ord("9")
        if chr(c).isdigit()
        else c
        for c in range(128)
    ],
    dtype=np.uint8,
)
ASCII_NON_WORD = "".join(chr(c) for c in range(128) if not (chr(c).isalnum() or chr(c) == "_"))


def _ascii_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The UTF-8 bytes of a string array without nulls and its offsets (from 0), when every
    byte is ASCII; None otherwise. No copy: a view of Arrow's buffers."""
    if arr.null_count or len(arr) == 0:
        return None
    arr = arr.cast(pa.large_string())
    _, offsets_buffer, data_buffer = arr.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if data_buffer is not None
        else np.empty(0, dtype=np.uint8)
    )
    if data.size and data.max() >= 128:
        return None
    return data, offsets - offsets[0]


def _character_classes(uniq: pa.Array, weights: np.ndarray) -> tuple[int, tuple[tuple[str, int], ...]]:
    """Characters in all, and by class, of distinct values weighted by their counts: a byte
    table lookup for ASCII text, one regular expression per class otherwise."""
    ascii_ = _ascii_bytes(uniq)
    labels = [label for label, _ in CHARACTER_CLASSES] + ["other"]
    if ascii_ is not None:
        data, offsets = ascii_
        per_byte = np.repeat(weights, np.diff(offsets))
        counts = np.bincount(ASCII_CLASSES[data], weights=per_byte, minlength=len(labels))
        total = int(per_byte.sum())
    else:
        total = int(pc.utf8_length(uniq).to_numpy() @ weights)
        counts = [
            int(pc.count_substring_regex(uniq, pattern).to_numpy() @ weights)
            for _, pattern in CHARACTER_CLASSES
        ]
        counts.append(total - sum(counts))  # control characters, unassigned code points
    return total, tuple((label, int(n)) for label, n in zip(labels, counts, strict=True) if n)


def _top(values: pa.Array, weights: np.ndarray, n: int) -> tuple[tuple[tuple[str, int], ...], int]:
    """The ``n`` values of largest total weight (ties by value, so the order is reproducible)
    and the number of distinct values: a dictionary encoding and a weighted bincount."""
    if len(values) == 0:
        return (), 0
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    totals = np.bincount(
        encoded.indices.to_numpy(zero_copy_only=False), weights=weights, minlength=len(dictionary)
    )
    totals = totals.astype(np.int64)
    kth = np.partition(totals, len(totals) - n)[len(totals) - n] if len(totals) > n else totals.min()
    above = np.flatnonzero(totals > kth)
    # the values tied at the cut (all of them, for an identifier) are ordered in Arrow, not Python
    ties = np.flatnonzero(totals == kth)
    tie_names = dictionary.take(pa.array(ties))
    ties = ties[pc.sort_indices(tie_names).to_numpy()[: n - len(above)]]
    names = dictionary.take(pa.array(above)).to_pylist()
    ranked = sorted(zip(names, totals[above].tolist(), strict=True), key=lambda kv: (-kv[1], kv[0]))
    ranked += [(v, int(kth)) for v in dictionary.take(pa.array(ties)).to_pylist()]
    return tuple(ranked), len(dictionary)


def patterns_of(arr: pa.Array) -> pa.Array:
    """The shape of each value: uppercase letters as ``A``, lowercase as ``a``, digits as ``9``,
    everything else kept; cut at PATTERN_LENGTH characters (marked by a trailing ``…``).

    Examples
    --------
    >>> patterns_of(pa.array(["AB-1234", "xy 7", "Zürich"])).to_pylist()
    ['AA-9999', 'aa 9', 'Aaaaaa']
    """
    cut = pc.utf8_slice_codeunits(arr, 0, PATTERN_LENGTH).cast(pa.large_string())
    ascii_ = _ascii_bytes(cut)
    if ascii_ is not None:  # a byte table lookup, same offsets
        data, offsets = ascii_
        shape = pa.LargeStringArray.from_buffers(
            len(cut), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(ASCII_SHAPES[data]))
        )
    else:
        shape = pc.replace_substring_regex(cut, r"\p{Ll}", "a")
        shape = pc.replace_substring_regex(shape, r"\p{Lu}", "A")
        shape = pc.replace_substring_regex(shape, r"\p{Nd}", "9")
    longer = pc.greater(pc.utf8_length(arr), PATTERN_LENGTH)
    marked = pc.binary_join_element_wise(shape, pa.scalar("…", shape.type), pa.scalar("", shape.type))
    return pc.if_else(longer, marked, shape)


def text_summary(
    values: pd.Series, count: int, *, bins: int = 30, top_n: int = 20, patterns: bool = False
) -> TextSummary | None:
    """Lengths, words, character classes and (with ``patterns``) value shapes of a column's
    sampled values; ``count`` is the number of values in the whole column.

    Parameters
    ----------
    values : pandas.Series
        The column in the profile's row sample (missing values are skipped).
    count : int
        Present values in the whole column: lengths are scaled to it, and the summary is exact
        when the sample holds them all.
    bins, top_n : int
        Length histogram bins, and how many top words and patterns to keep.
    patterns : bool
        Also summarize the shapes of the values (for identifiers and codes).

    Examples
    --------
    >>> s = text_summary(pd.Series(["The cat sat.", "the dog", None, "A-12"]), 3, patterns=True)
    >>> s.top_words[0], s.words_total, s.patterns[0]
    (('the', 2), 6, ('A-99', 1))
    """
    present = values.dropna()
    if present.empty:
        return None
    strings, blobs = _string_array(present)
    if strings is None:
        if blobs is None:
            return None
        lengths = pc.binary_length(blobs).to_numpy().astype(np.int64)
        return TextSummary(
            values=int(lengths.size),
            exact=lengths.size >= count,
            unit="bytes",
            lengths=length_histogram(lengths, bins, None if lengths.size >= count else count),
        )
    lengths = pc.utf8_length(strings).to_numpy().astype(np.int64)
    head = _budgeted(strings, lengths)
    # every count below is made on the distinct values, weighted by how often each occurs: a
    # categorical column costs its categories, not its rows
    distinct = pc.value_counts(head)
    uniq, weights = distinct.field("values"), distinct.field("counts").to_numpy().astype(np.int64)
    owners, words = _words_of(uniq)
    words_per_value = np.bincount(owners, minlength=len(uniq))
    return _summary(
        lengths,
        count,
        bins,
        len(head),
        words_per_value,
        weights,
        _top(words, weights[owners], top_n),
        _character_classes(uniq, weights),
        _top(patterns_of(uniq), weights, 10) if patterns else ((), 0),
        semantic_counts(uniq, weights),
    )


def _words_of(uniq: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """The words of each value (split at whitespace, lower case, punctuation around a word
    trimmed, empty words dropped), and the position of each word's value."""
    tokens = pc.utf8_split_whitespace(uniq)
    owners = pc.list_parent_indices(tokens).to_numpy()
    words = pc.utf8_lower(pc.list_flatten(tokens))
    # punctuation around a word is not part of it (Python's \W): a trim of ASCII text, else a
    # regular expression (RE2's \w is ASCII-only, so letters and digits by class)
    if _ascii_bytes(words) is not None:
        words = pc.utf8_trim(words, characters=ASCII_NON_WORD)
    else:
        words = pc.replace_substring_regex(words, r"^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$", "")
    nonempty = pc.greater(pc.utf8_length(words), 0).to_numpy(zero_copy_only=False)
    return owners[nonempty], words.filter(pa.array(nonempty))


def _summary(
    lengths: np.ndarray,
    count: int,
    bins: int,
    counted: int,
    words_per_value: np.ndarray,
    weights: np.ndarray,
    words: tuple[tuple[tuple[str, int], ...], int],
    classes: tuple[int, tuple[tuple[str, int], ...]],
    patterns: tuple[tuple[tuple[str, int], ...], int],
    semantic: tuple[tuple[str, int], ...],
) -> TextSummary:
    """The summary of a text column's sampled values from its parts: ``lengths`` of every
    value, and the rest counted on the ``counted`` values' distinct ones, each of ``weights``
    (top words, character classes and patterns as (top, distinct) pairs)."""
    exact = lengths.size >= count
    return TextSummary(
        values=int(lengths.size),
        exact=exact,
        unit="characters",
        lengths=length_histogram(lengths, bins, None if exact else count),
        counted_values=counted,
        words_total=int(words_per_value @ weights),
        words_mean=float(words_per_value @ weights / counted),
        words_max=int(words_per_value.max()),
        distinct_words=words[1],
        top_words=words[0],
        characters_total=classes[0],
        character_classes=classes[1],
        patterns=patterns[0],
        distinct_patterns=patterns[1],
        semantic=semantic,
    )


def _arrow_strings(values: pd.Series) -> pa.Array | None:
    """The present values of a column pandas keeps in Arrow strings, as one large_string
    array (what :func:`_string_array` makes of them); None for any other column."""
    dtype = values.dtype
    if not (
        (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype))
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_large_string(dtype.pyarrow_dtype))
    ):
        return None
    chunked = values.array.__arrow_array__()
    if isinstance(chunked, pa.ChunkedArray):
        chunked = chunked.combine_chunks()
    if not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return None
    if chunked.null_count:
        chunked = chunked.drop_null()
    return chunked.cast(pa.large_string())


def _top_many(
    values: pa.Array, owners: np.ndarray, weights: np.ndarray, groups: int, n: int
) -> list[tuple[tuple[tuple[str, int], ...], int]]:
    """:func:`_top` of the values of each of ``groups`` owners at once (``owners[i]`` is the
    owner of ``values[i]``): one dictionary encoding and one weighted count for all of them.
    Ties at the cut are ordered by value as Arrow orders them (by code point, as Python does)."""
    out: list[tuple[tuple[tuple[str, int], ...], int]] = [((), 0)] * groups
    if len(values) == 0:
        return out
    encoded = pc.dictionary_encode(values)
    size = len(encoded.dictionary)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    keys, inverse = np.unique(owners.astype(np.int64) * size + codes, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=weights, minlength=len(keys)).astype(np.int64)
    key_owner, key_code = keys // size, keys % size
    bounds = np.searchsorted(key_owner, np.arange(groups + 1))
    names = encoded.dictionary.to_pylist()
    for g in range(groups):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        if lo == hi:
            continue
        t, c = totals[lo:hi], key_code[lo:hi]
        m = len(t)
        kth = np.partition(t, m - n)[m - n] if m > n else t.min()
        above = np.flatnonzero(t > kth)
        ties = sorted(names[k] for k in c[t == kth])[: n - len(above)]
        ranked = sorted(
            zip([names[k] for k in c[above]], t[above].tolist(), strict=True), key=lambda kv: (-kv[1], kv[0])
        )
        ranked += [(v, int(kth)) for v in ties]
        out[g] = (tuple(ranked), m)
    return out


def text_summaries(
    columns: list[tuple[pd.Series, int, bool]], *, bins: int = 30, top_n: int = 20
) -> list[TextSummary | None]:
    """:func:`text_summary` of several columns (values, count, patterns), the same summaries:
    the columns pandas keeps in Arrow strings are summarized together, their distinct values
    concatenated so that each Arrow kernel (word splitting, pattern shapes, the regular
    expressions of SEMANTIC_PATTERNS) runs once for all of them rather than once a column
    (a wide table's hundreds of short text columns spent most of their time in the calls);
    any other column on its own.

    Examples
    --------
    >>> cols = [(pd.Series(["a b", "c", None], dtype="str"), 2, True), (pd.Series(["x@y.org"]), 1, False)]
    >>> [text_summary(v, c, patterns=p) for v, c, p in cols] == text_summaries(cols)
    True
    """
    out: list[TextSummary | None] = [None] * len(columns)
    batch: list[tuple[int, pa.Array, np.ndarray, pa.Array, np.ndarray, pa.Array]] = []
    for i, (values, count, patterns) in enumerate(columns):
        strings = _arrow_strings(values)
        if strings is None:
            out[i] = text_summary(values, count, bins=bins, top_n=top_n, patterns=patterns)
            continue
        if len(strings) == 0:
            continue
        lengths = pc.utf8_length(strings).to_numpy().astype(np.int64)
        head = _budgeted(strings, lengths)
        distinct = pc.value_counts(head)
        weights = distinct.field("counts").to_numpy().astype(np.int64)
        batch.append((i, strings, lengths, head, weights, distinct.field("values")))
    if not batch:
        return out
    uniq = pa.concat_arrays([b[5].cast(pa.large_string()) for b in batch])
    weights = np.concatenate([b[4] for b in batch])
    owner = np.repeat(np.arange(len(batch)), [len(b[5]) for b in batch])
    starts = np.concatenate(([0], np.cumsum([len(b[5]) for b in batch])))
    kept, words = _words_of(uniq)
    words_per_value = np.bincount(kept, minlength=len(uniq))
    top_words = _top_many(words, owner[kept], weights[kept], len(batch), top_n)
    classes = _character_classes_many(uniq, weights, owner, starts)
    with_patterns = np.array([columns[b[0]][2] for b in batch], dtype=bool)
    top_patterns: list[tuple[tuple[tuple[str, int], ...], int]] = [((), 0)] * len(batch)
    if with_patterns.any():
        rows = np.flatnonzero(with_patterns[owner])
        shapes = patterns_of(uniq.take(pa.array(rows)))
        top_patterns = _top_many(shapes, owner[rows], weights[rows], len(batch), 10)
    semantic = _semantic_many(uniq, weights, owner, len(batch))
    for g, (i, _, lengths, head, _, _) in enumerate(batch):
        lo, hi = int(starts[g]), int(starts[g + 1])
        out[i] = _summary(
            lengths,
            columns[i][1],
            bins,
            len(head),
            words_per_value[lo:hi],
            weights[lo:hi],
            top_words[g],
            classes[g],
            top_patterns[g],
            semantic[g],
        )
    return out


def _character_classes_many(
    uniq: pa.Array, weights: np.ndarray, owner: np.ndarray, starts: np.ndarray
) -> list[tuple[int, tuple[tuple[str, int], ...]]]:
    """:func:`_character_classes` of each owner's distinct values: the ASCII ones by one byte
    table lookup for all, any other one on its own."""
    groups = len(starts) - 1
    labels = [label for label, _ in CHARACTER_CLASSES] + ["other"]
    k = len(labels)
    data, offsets = _buffers_of(uniq)
    ascii_group = np.ones(groups, dtype=bool)
    if data.size:
        high = np.flatnonzero(data >= 128)
        if high.size:
            value_of = np.searchsorted(offsets, high, side="right") - 1
            ascii_group[np.unique(owner[value_of])] = False
    # per value, then per owner: arrays of one byte per byte of text, never eight (free text
    # of 50,000 sampled rows is megabytes, and this runs at the profile's memory peak)
    value_bytes = np.diff(offsets)
    value_weights = np.where(ascii_group[owner], weights, 0).astype(np.float64)
    classes_of = np.append(_BYTE_CLASSES[data], np.uint8(k))  # one past the end: reduceat's bound
    nonempty = value_bytes > 0
    counts = np.zeros((groups, k))
    for c in range(k):
        per_value = np.add.reduceat(classes_of == c, offsets[:-1], dtype=np.int64) * nonempty
        counts[:, c] = np.bincount(owner, weights=per_value * value_weights, minlength=groups)
    totals = np.bincount(owner, weights=value_bytes * value_weights, minlength=groups)
    out = []
    for g in range(groups):
        if not ascii_group[g]:
            lo, hi = int(starts[g]), int(starts[g + 1])
            out.append(_character_classes(uniq.slice(lo, hi - lo), weights[lo:hi]))
            continue
        out.append(
            (int(totals[g]), tuple((label, int(n)) for label, n in zip(labels, counts[g], strict=True) if n))
        )
    return out


def _buffers_of(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes and the offsets (from 0) of a large_string array without nulls."""
    _, offsets_buffer, data_buffer = arr.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if data_buffer is not None
        else np.empty(0, dtype=np.uint8)
    )
    return data, offsets - offsets[0]


def _semantic_many(
    uniq: pa.Array, weights: np.ndarray, owner: np.ndarray, groups: int
) -> list[tuple[tuple[str, int], ...]]:
    """:func:`semantic_counts` of each owner's distinct values, each expression run once on
    all of them (a value's match does not depend on the others)."""
    found = [
        (label, np.bincount(owner[hit], weights=weights[hit], minlength=groups))
        for label, hit in _semantic_hits(uniq)
    ]
    return [tuple((label, int(n[g])) for label, n in found if int(n[g])) for g in range(groups)]

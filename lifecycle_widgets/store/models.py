"""Saving and loading models safely: skops files by default, pickles only when the user says so.

A pickle runs arbitrary code when loaded, so ``load_model`` refuses ``.pkl``/``.joblib`` files
unless ``trusted=True``. A skops file loads only types skops trusts plus those the caller lists;
anything else is an error that lists the untrusted types, so the user decides knowingly.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


def _skops() -> Any:
    try:
        import skops.io
    except ImportError as err:
        raise MissingDependencyError("skops", "explain", "Saving and loading models") from err
    return skops.io


def save_model(model: Any, path: str | os.PathLike[str]) -> str:
    """Save ``model`` in the skops format (atomically) and return the file's SHA-256.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> digest = lw.save_model(LogisticRegression().fit([[0], [1]], [0, 1]), "/tmp/doc-model.skops")
    >>> len(digest)
    64
    """
    target = Path(path)
    if target.suffix != ".skops":
        raise ParameterError(f"Models are saved as skops files; {str(target)!r} should end in .skops.")
    sio = _skops()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        sio.dump(model, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(target.read_bytes()).hexdigest()


def load_model(
    path: str | os.PathLike[str], *, trusted: bool | list[str] | None = None, sha256: str | None = None
) -> Any:
    """Load a model saved with :func:`save_model` (skops), or a pickle when ``trusted=True``.

    The file is read once; the bytes that were checked (against ``sha256``, and for untrusted
    types) are the bytes that are loaded, so a file swapped meanwhile is never loaded.

    Parameters
    ----------
    path : path-like
        The model file.
    trusted : True, list of type names, or None
        For skops files, extra types to trust beyond skops' defaults (``True`` trusts every type
        the file holds). Pickles load only with ``True``.
    sha256 : str, optional
        The SHA-256 the file must have (as recorded when it was logged or registered).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> digest = lw.save_model(LogisticRegression().fit([[0], [1]], [0, 1]), "/tmp/doc-model.skops")
    >>> lw.load_model("/tmp/doc-model.skops", sha256=digest).predict([[1]]).tolist()
    [1]
    """
    source = Path(path)
    if not source.is_file():
        raise ParameterError(f"No model file at {str(source)!r}.")
    pickled = source.suffix in PICKLE_SUFFIXES
    if pickled and trusted is not True:
        raise ParameterError(
            f"{str(source)!r} is a pickle, which can run any code when loaded. Load it only if you "
            "trust where it came from, with trusted=True; better, save models with lw.save_model (skops)."
        )
    data = source.read_bytes()
    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            raise ParameterError(
                f"The model file {str(source)!r} is not the one recorded: its SHA-256 is {digest[:16]}…, "
                f"the record says {str(sha256)[:16]}…. It was changed or replaced; it was not loaded."
            )
    if pickled:
        import io

        import joblib

        return joblib.load(io.BytesIO(data))
    sio = _skops()
    untrusted = sio.get_untrusted_types(data=data)
    allowed = untrusted if trusted is True else list(trusted or [])
    unknown = [t for t in untrusted if t not in allowed]
    if unknown:
        raise ParameterError(
            f"{str(source)!r} holds types skops does not trust by default: {unknown}. "
            "If you trust the file, pass them in trusted=[...]."
        )
    return sio.loads(data, trusted=allowed)

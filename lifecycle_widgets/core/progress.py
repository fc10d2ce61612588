"""Progress bars for long loops: a widget bar in a live notebook, text on stderr elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from lifecycle_widgets._config import resolved_display_mode

T = TypeVar("T")


def progress_bar(items: Iterable[T], *, total: int | None, desc: str, enabled: bool) -> Iterator[T]:
    """Iterate ``items``, showing a tqdm bar when ``enabled``."""
    if not enabled:
        yield from items
        return
    if resolved_display_mode() == "live":
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    yield from tqdm(items, total=total, desc=desc, leave=False)

"""The README's Python blocks run as written, top to bottom, in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"), re.M | re.S)


def test_readme_opens_with_the_two_set_up_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("```")[1]
    assert "make demo" in head and "make test" in head


def test_readme_python_blocks_run_in_a_fresh_folder(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 5
    script = tmp_path / "readme.py"
    # each block is echoed by number, so a failure names the block it came from
    script.write_text(
        "\n".join(f"print('--- README block {i}', flush=True)\n{b}" for i, b in enumerate(blocks, 1)),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECYCLE_WIDGETS")}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert (tmp_path / "profile.html").stat().st_size > 1_000_000  # plotly.js inside: works offline
    assert {p.name for p in (tmp_path / "baseline").iterdir()} == {"statistics.json", "constraints.json"}
    assert (tmp_path / "lifecycle.db").exists() and (tmp_path / "model.skops").exists()

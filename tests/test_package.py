"""Package shape: public names, layering, and no stray imports."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import lifecycle_widgets as lw

PACKAGE = pathlib.Path(lw.__file__).parent


def test_all_lists_exactly_the_public_names() -> None:
    lazy = set(lw._LAZY)  # loaded on first use
    public = {n for n in dir(lw) if not n.startswith("_")} | lazy | {"__version__"}
    assert all(getattr(lw, name) for name in lazy)
    modules = {"core", "exceptions", "figures", "panels", "store", "cli"}  # datasets, audit are public
    assert set(lw.__all__) == public - modules


def test_import_leaves_the_heavy_libraries_to_first_use() -> None:
    """``import lifecycle_widgets`` is paid by every kernel, CLI call and worker process: it
    loads neither scikit-learn nor the widget stack. (scipy.stats it does load, on purpose: see
    docs/ARCHITECTURE.md.)"""
    heavy = ("sklearn", "ipywidgets", "plotly.graph_objects", "shap")
    code = f"import sys, lifecycle_widgets; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def _imports_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m.split(".")[0] for m in ast.literal_eval(out.strip().splitlines()[-1])}


def test_core_imports_no_display_library() -> None:
    loaded = _imports_after("import lifecycle_widgets.core")
    assert not loaded & {"plotly", "ipywidgets", "IPython", "anywidget"}
    loaded = _imports_after("import lifecycle_widgets as lw\nlw.profile(lw.datasets.credit(100))")
    assert not loaded & {"plotly", "ipywidgets", "IPython", "anywidget"}


def test_imports_point_down_the_layers() -> None:
    allowed = {
        "core": {"core", "exceptions", "_config"},
        "figures": {"figures", "core", "exceptions", "_config"},
        "panels": {"panels", "figures", "core", "exceptions", "_config"},
        "store": {"store", "core", "exceptions", "_config"},
        "audit": {"audit", "store", "core", "exceptions", "_config"},
        "cli.py": {"audit", "store", "core", "exceptions", "_config", "datasets"},
        "datasets.py": {"exceptions"},
    }
    for layer, ok in allowed.items():
        paths = [PACKAGE / layer] if layer.endswith(".py") else (PACKAGE / layer).rglob("*.py")
        for path in paths:
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lifecycle_widgets."):
                    target = node.module.split(".")[1]
                    # two lazy references up the layers, each made inside a function: a result
                    # reaching its display, and the comparison panel reading metric history
                    # audit reaches the display layer only through its export of notebooks
                    lazy_hook = (path.name, target) in {
                        ("result.py", "panels"),
                        ("runs.py", "store"),
                        ("export.py", "panels"),
                    }
                    assert target in ok or lazy_hook, f"{path.name} imports {node.module}"


def test_core_never_imports_plotly_or_ipywidgets_at_all() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        text = path.read_text()
        assert "import plotly" not in text and "import ipywidgets" not in text, path.name


def test_every_layer_is_covered_by_the_layering_rules() -> None:
    top = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert top == {"core", "figures", "panels", "store", "audit"}


def test_no_module_is_shadowed_by_a_name_in_its_package() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(lw.__path__, "lifecycle_widgets."):
        module = importlib.import_module(info.name)
        parent, _, leaf = info.name.rpartition(".")
        assert getattr(importlib.import_module(parent), leaf) is module, f"{info.name} is shadowed"


def test_no_private_name_is_imported_across_modules() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lifecycle_widgets"):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"{path.relative_to(PACKAGE)} imports {private} from {node.module}"

"""The package's shape: a test file per module, no import cycles, no imports up the layers.

Each test prints everything that is wrong, so a failure says which file to add or which import
to move.

**Test files.** ``src/leadscore/a.py`` is tested in ``tests/test_a.py``; a module of a
subpackage, ``src/leadscore/pkg/a.py``, in ``tests/test_a.py`` or ``tests/test_pkg_a.py``, and
only in the latter when two modules are called ``a`` (``features/titles.py`` and
``synthetic/titles.py``). Packages' ``__init__.py`` and ``__main__.py`` need none: the former
hold no logic of their own (the top-level one re-exports the public API, which the modules'
tests cover), the latter only calls the CLI's ``main``. Modules that hold only data (the
synthetic world's parameters, the placeholder words, the first names, the defaults) are not
exempt: each has invariants a careless edit breaks, and its test file keeps them.

**Layers.** From the bottom: the data (``contract``, ``readers``, ``validation``, ``dataset``,
``io``, ``errors``, ``config``, ``defaults``, ``privacy``, ``cells``, ``first_names``,
``flat_table``, ``types_file``, ``synthetic/`` and any other top-level module not named below),
then ``features/``, then ``modeling/``, then the top: what presents results (``report``,
``plots``, ``terminal``, ``explore``, ``docs``), writes and reads a run's files
(``artifacts``: figures included), runs the steps (``workflows``) and the ``cli``. A
module imports modules of its own layer or below only (a notebook or a second engine uses the
library without the CLI's and the report's imports; features never need a model), and nothing
imports the CLI but ``__main__``. The public API (``leadscore/__init__.py``) stands outside the
layers: it re-exports all of them.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "leadscore"
TESTS = Path(__file__).resolve().parent

#: The top layer: modules that present or run the library's results; nothing below imports them.
UPPER = frozenset(
    f"leadscore.{name}"
    for name in ("cli", "workflows", "artifacts", "report", "plots", "terminal", "explore", "docs")
)
#: Layers from the bottom; a module imports modules of its own layer or lower ones only.
LAYERS = ("data (contract, readers, io, synthetic/, ...)", "features/", "modeling/", "top")
#: Not in a layer: the public API (it re-exports every layer) and ``python -m leadscore``.
OUTSIDE_LAYERS = frozenset({"leadscore", "leadscore.__main__"})


def layer(module: str) -> int:
    """Position of ``module`` in :data:`LAYERS`.

    >>> [layer(m) for m in ("leadscore.io", "leadscore.features.titles",
    ...                     "leadscore.modeling.train", "leadscore.cli", "leadscore.synthetic")]
    [0, 1, 2, 3, 0]
    """
    if module in UPPER:
        return 3
    if module == "leadscore.modeling" or module.startswith("leadscore.modeling."):
        return 2
    if module == "leadscore.features" or module.startswith("leadscore.features."):
        return 1
    return 0


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.with_suffix("").relative_to(SRC).parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(path: Path, module: str, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` (module ``module``) imports anywhere in its code.

    ``from leadscore.x import y`` imports the module ``leadscore.x.y`` when there is one, else a
    name of ``leadscore.x``; ``importlib.import_module("leadscore.x")`` with a literal counts
    too (commands that import what they need when they run). The parent packages Python
    initialises on the way are not counted: they are what every import passes through.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in modules
        ):
            found.add(node.args[0].value)
    return found - {module}


def import_graph() -> dict[str, set[str]]:
    """Each module of the package → the package's modules it imports."""
    modules = _modules()
    return {name: _imported(path, name, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def expected_test_files(modules: list[str]) -> dict[str, list[str]]:
    """For each module that needs one, the test file names that count as its own.

    >>> expected_test_files(["leadscore.io", "leadscore.a.titles", "leadscore.b.titles",
    ...                      "leadscore.a.drift", "leadscore.a"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'leadscore.io': ['test_io.py'], 'leadscore.a.titles': ['test_a_titles.py'],
     'leadscore.b.titles': ['test_b_titles.py'],
     'leadscore.a.drift': ['test_drift.py', 'test_a_drift.py']}
    """
    packages = {m.rsplit(".", 1)[0] for m in modules if "." in m}
    plain = [m for m in modules if m not in packages and not m.endswith("__main__")]
    short_names = defaultdict(int)
    for module in plain:
        short_names[module.rsplit(".", 1)[1]] += 1
    expected = {}
    for module in plain:
        parts = module.split(".")[1:]
        short = parts[-1]
        names = [f"test_{short}.py"] if short_names[short] == 1 else []
        if len(parts) > 1:
            names.append(f"test_{'_'.join(parts)}.py")
        expected[module] = names
    return expected


def test_every_module_has_its_own_test_file() -> None:
    present = {p.name for p in TESTS.glob("test_*.py")}
    missing = {
        module: names
        for module, names in expected_test_files(list(_modules())).items()
        if not present.intersection(names)
    }
    report = "\n".join(f"  {m}: add tests/{' or tests/'.join(n)}" for m, n in missing.items())
    assert not missing, f"{len(missing)} module(s) without a test file of their own:\n{report}"


def test_the_import_graph_has_no_cycles() -> None:
    graph = import_graph()
    cycles = _cycles(graph)
    lines = []
    for component in cycles:
        inside = set(component)
        arrows = [f"{a} → {b}" for a in component for b in sorted(graph[a] & inside)]
        lines.append(f"  {', '.join(component)}: {'; '.join(arrows)}")
    assert not cycles, "modules importing each other (directly or round a circle):\n" + "\n".join(
        lines
    )


def test_no_module_imports_a_layer_above_it() -> None:
    graph = import_graph()
    upward = sorted(
        f"  {module} ({LAYERS[layer(module)]}) imports {target} ({LAYERS[layer(target)]})"
        for module, targets in graph.items()
        if module not in OUTSIDE_LAYERS
        for target in targets
        if layer(target) > layer(module)
    )
    into_cli = sorted(
        f"  {module} imports the CLI"
        for module, targets in graph.items()
        if "leadscore.cli" in targets and module != "leadscore.__main__"
    )
    problems = upward + into_cli
    assert not problems, (
        f"imports up the layers (from the bottom: {'; '.join(LAYERS)}; top: "
        f"{', '.join(sorted(UPPER))}):\n" + "\n".join(problems)
    )


def test_the_graph_sees_imports_inside_functions_and_by_name(tmp_path: Path) -> None:
    # The three tests above are only as good as the parser: check it on a made-up module.
    source = (
        "import leadscore.errors\n"
        "from leadscore.modeling import train\n"
        "def later():\n"
        "    from leadscore.report import write_report\n"
        "    import importlib\n"
        "    return importlib.import_module('leadscore.plots')\n"
    )
    path = tmp_path / "made_up.py"
    path.write_text(source, encoding="utf-8")
    found = _imported(path, "leadscore.made_up", set(_modules()))
    assert found == {
        "leadscore.errors",
        "leadscore.modeling.train",
        "leadscore.report",
        "leadscore.plots",
    }
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _readme_layout() -> str:
    readme = (SRC.parent / "README.md").read_text(encoding="utf-8")
    return readme.split("## Project layout", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_module_and_only_modules_that_exist() -> None:
    layout = _readme_layout()
    modules = {p.name for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"}
    named = {n for n in re.findall(r"`(?:[\w/]+/)?(\w+\.py)`", layout) if not n.startswith("test_")}
    assert not modules - named, f"modules the README layout leaves out: {sorted(modules - named)}"
    assert not named - modules, f"named but missing: {sorted(named - modules)}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    missing = {f for f in folders if f"`{f}/`" not in layout and not f.endswith(".egg-info")}
    assert not missing, f"package folders the README layout leaves out: {sorted(missing)}"

"""The import graph, read from the source (AST), not from text matching: the library never imports streamlit,
its modules form no cycle, and its packages are layers that point one way (cli → runs → verdict → … → data →
the shared types)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "audiodiag"
BOTTOM = {"audiodiag.types", "audiodiag.errors", "audiodiag.findings"}  # import only each other (types: findings)
LOW = {"audiodiag.data.decoding": BOTTOM}  # decoding needs nothing above the types
# The packages in the order a classification run walks down them: a module may import its own layer and the layers
# below it, never one above (a return trip). `audiodiag` itself (the public API, imported lazily) and its
# __version__ may be imported from anywhere.
LAYERS = (
    ("shared", ("audiodiag.types", "audiodiag.errors", "audiodiag.findings", "audiodiag.fixes", "audiodiag.caches",
                "audiodiag.heap", "audiodiag.threads")),
    ("data", ("audiodiag.data",)),  # decode, folders, zips, label tables, manifests, sample sets
    ("represent", ("audiodiag.represent",)),  # baseline features, encoders, spaces, the embedding cache
    ("measure", ("audiodiag.measure",)),  # per-clip measurements, levels, VAD, speakers, dataset findings
    ("evaluation", ("audiodiag.evaluation",)),  # folds, metrics, intervals, comparisons, curves, audit, retrieval
    ("asr", ("audiodiag.asr",)),  # recognisers, normalisers, WER, word errors, references
    ("model cards", ("audiodiag.model_cards",)),
    ("settings", ("audiodiag.settings",)),
    ("figures", ("audiodiag.plots",)),
    ("verdict", ("audiodiag.verdict",)),  # evidence → claims → notes; the pipelines that make them
    ("runs", ("audiodiag.runs",)),  # engines, run folders, Ray, the check gate
    ("interface", ("audiodiag.cli", "audiodiag.__main__")),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(folder: str) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / folder).rglob("*.py"))}


def _imported(name: str, path: Path) -> set[str]:
    """Every module name `path` imports anywhere (top level, in functions, under TYPE_CHECKING), absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from ..y import z
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def _graph(folder: str = PACKAGE) -> dict[str, set[str]]:
    """module of `folder` -> the modules of `folder` it imports (a name inside a module counts as that module)."""
    modules = _modules(folder)
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imported(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):  # a package's own parents: no edge
                edges.add(target)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_library_never_imports_streamlit_even_inside_a_function():
    offenders = {name: sorted(i for i in _imported(name, path) if i.split(".")[0] == "streamlit")
                 for name, path in _modules(PACKAGE).items()}
    assert not {k: v for k, v in offenders.items() if v}


def _in_cli(module: str) -> bool:
    """The command line is a package (audiodiag.cli and its modules): the interface layer, as one."""
    return module == "audiodiag.cli" or module.startswith("audiodiag.cli.")


def test_the_library_never_imports_the_pages_or_the_command_line():
    """Only `python -m audiodiag` imports the command line; its own modules import each other freely."""
    graph = _graph()
    assert not [n for n, p in _modules(PACKAGE).items() if any(i.split(".")[0] == "pages" for i in _imported(n, p))]
    assert [n for n, edges in graph.items() if not _in_cli(n) and any(_in_cli(e) for e in edges)] == \
        ["audiodiag.__main__"]
    assert {n for n in graph if _in_cli(n)} > {"audiodiag.cli", "audiodiag.cli.arguments"}  # the package is seen


def test_the_import_graph_has_no_cycle():
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("module", sorted(BOTTOM | set(LOW)))
def test_the_lowest_layers_import_nothing_above_them(module):
    allowed = LOW.get(module, BOTTOM - {module})
    assert _graph()[module] <= allowed


def _layer(module: str) -> int | None:
    if module == PACKAGE:
        return None
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def _return_trips(graph: dict[str, set[str]]) -> list[str]:
    return [f"{name} ({LAYERS[_layer(name)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
            for name, edges in sorted(graph.items()) if _layer(name) is not None
            for target in sorted(edges) if _layer(target) is not None and _layer(target) > _layer(name)]


def test_every_package_imports_only_its_own_layer_and_those_below():
    """No return trips: the walk of a run goes down the packages (LAYERS), back up only to the shared types."""
    assert _return_trips(_graph()) == []


def test_the_layer_checker_sees_a_return_trip():
    graph = {"audiodiag.data.layout": {"audiodiag.verdict.rules", "audiodiag.types"},
             "audiodiag.verdict.rules": {"audiodiag.data.layout", PACKAGE}}
    assert _return_trips(graph) == ["audiodiag.data.layout (data) imports audiodiag.verdict.rules (verdict)"]


def test_the_checker_sees_a_cycle_and_a_lazy_import():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    source = ROOT / "audiodiag" / "measure" / "per_clip.py"  # imports audiodiag.measure.vad inside clip_stats
    assert "audiodiag.measure.vad" in _imported("audiodiag.measure.per_clip", source)


def _private_uses(name: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """`from audiodiag.x import _y` and `x._y` (x an audiodiag module imported here) in another module: a private
    name used as if it were public."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = {}  # local name -> audiodiag module it refers to
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in modules:
                    aliases[a.asname or a.name] = full
                elif a.name.startswith("_") and not a.name.startswith("__") and node.module != name:
                    out.append(f"{name}: from {node.module} import {a.name}")
            if node.module.rpartition(".")[2].startswith("_") and node.module.rpartition(".")[2] != "__init__":
                out.append(f"{name}: imports the private module {node.module}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules:
                    aliases[a.asname or a.name] = a.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != name):
            out.append(f"{name}: {aliases[node.value.id]}.{node.attr}")
    return out


def test_no_module_uses_another_modules_private_names():
    """What one module takes from another is public (no leading underscore): a private name is free to change."""
    modules = _modules(PACKAGE)
    assert [use for name, path in modules.items() for use in _private_uses(name, path, modules)] == []


def test_the_private_name_checker_sees_both_forms(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from audiodiag.data.layout import _x\nfrom audiodiag.runs import stream\nstream._open()\n")
    modules = {"audiodiag.runs.stream": module, "audiodiag.data.layout": module}
    assert _private_uses("audiodiag.m", module, modules) == ["audiodiag.m: from audiodiag.data.layout import _x",
                                                             "audiodiag.m: audiodiag.runs.stream._open"]


def test_every_error_class_lives_in_errors_and_has_a_kind():
    """One home for errors, each a bad parameter, bad data or missing dependency (or the base, for a bug)."""
    from audiodiag import errors

    defined = {name: node.lineno for name, path in _modules(PACKAGE).items() if name != "audiodiag.errors"
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ClassDef) and node.name.endswith("Error")}
    assert defined == {}
    kinds = (errors.BadParameterError, errors.BadDataError, errors.MissingDependencyError)
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.AudioDiagError)]
    assert [c.__name__ for c in classes if c is not errors.AudioDiagError and not issubclass(c, kinds)] == \
        ["ConsistencyError"]  # a contradiction between a note's claims is a bug in a rule, not the caller's move


# Errors still made as the bare base class, each with why it fits no kind; a new one fails the test below and names
# itself (module:function): raise BadParameterError, BadDataError or MissingDependencyError instead.
BARE_ERRORS = (
    "audiodiag.represent.embedding_cache:cached_embed",  # an encoder returned the wrong shape: a bug in the encoder
    "audiodiag.runs.catalogue:save_run",  # the OS refused to create the run folder (after the writable, exists checks)
    "audiodiag.runs.workers:_crashed",  # a worker process was killed (out of memory?): neither the call nor the data
)


def _bare_errors(name: str, path: Path) -> list[str]:
    """module:function of every `AudioDiagError(...)` made in `path` (raised or returned), one entry each."""
    out = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (f"{where}.{child.name}" if where else child.name) if isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else where
            if isinstance(child, ast.Call) and (
                    (isinstance(child.func, ast.Name) and child.func.id == "AudioDiagError")
                    or (isinstance(child.func, ast.Attribute) and child.func.attr == "AudioDiagError")):
                out.append(f"{name}:{inner or '<module>'}")
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "")
    return out


def test_errors_are_raised_as_a_kind_not_as_the_bare_base():
    """Every error says whose move it is (errors.py): only the sites in BARE_ERRORS make the base class itself."""
    found = [site for name, path in _modules(PACKAGE).items() if name != "audiodiag.errors"
             for site in _bare_errors(name, path)]
    assert [site for site in found if site not in BARE_ERRORS] == []
    assert len(found) <= len(BARE_ERRORS), found


def test_the_bare_error_checker_sees_raised_and_returned_errors(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("class C:\n    def f(self):\n        raise AudioDiagError('x')\n"
                      "def g():\n    return errors.AudioDiagError('y')\nraise BadDataError('z')\n")
    assert _bare_errors("audiodiag.m", module) == ["audiodiag.m:C.f", "audiodiag.m:g"]


def test_the_page_helpers_import_each_other_without_a_cycle():
    """pages/_*.py form layers too: the Dataset type alone at the bottom, the picker (_data) above the helpers."""
    graph = _graph("pages")
    assert _cycles(graph) == []
    assert graph["pages._dataset"] == set()


def _unstated_zips(path: Path) -> list[int]:
    """Lines of zip() calls that do not say whether their sequences must be as long as each other (`strict=`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip"
            and not any(k.arg == "strict" for k in node.keywords)]


def test_every_zip_says_whether_its_sequences_must_align():
    """Per-clip data travels as sequences paired by position: zip(..., strict=True) raises where one is short
    instead of silently dropping the tail; strict=False marks the few pairings meant to stop at the shorter (a
    row of page columns, the pairs two runs share)."""
    found = {f"{name}:{line}" for folder in (PACKAGE, "pages") for name, path in _modules(folder).items()
             for line in _unstated_zips(path)}
    assert sorted(found) == []


def test_the_zip_checker_sees_a_zip_without_strict(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("a = list(zip(x, y))\nb = zip(x, y, strict=True)\nc = dict(zip(k, v, strict=False))\n")
    assert _unstated_zips(module) == [1]

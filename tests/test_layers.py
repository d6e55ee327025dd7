"""The engine's import graph: every import (function-level ones included) points to the same layer or below, and
no two modules import each other, directly or round a loop. The layers are listed in `chunkers`' docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import chunkers

ENGINE = Path(chunkers.__file__).parent

# Module (or package prefix) -> layer; the longest matching prefix wins.
LAYERS: dict[str, int] = {
    # 1 core: chunks, sizes, spans, packing, segmentation, option declarations, settings specs
    "core": 1,
    # 2 runtime (devices, models, embeddings), the LLM plumbing, files in and chunk records out
    "runtime": 2, "llms": 2, "io": 2,
    # 3 chunkers
    "prose": 3, "code": 3, "documents": 3, "records": 3, "pdf": 3,
    # 4 services over chunks
    "filtering": 4, "context": 4,
    # 5 applications; compat names every old module by string only
    "apps": 5, "compat": 5,
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        if ".".join(parts[:length]) in LAYERS:
            return LAYERS[".".join(parts[:length])]
    raise AssertionError(f"chunkers.{module} is in no layer: add it to LAYERS (and to chunkers' docstring)")


def imports_of(path: Path) -> set[str]:
    """The engine modules ``path`` imports (as names relative to the package), at any depth of the file."""
    here = module_name(path).split(".") if path.name != "__init__.py" else [*module_name(path).split("."), "x"]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                target = ".".join(filter(None, [*base, node.module or ""]))
            elif (node.module or "").startswith("chunkers"):
                target = (node.module or "").removeprefix("chunkers").lstrip(".")
            else:
                continue
            names = [f"{target}.{a.name}".lstrip(".") for a in node.names]
            modules = [n for n in names if (ENGINE / (n.replace(".", "/") + ".py")).exists()
                       or (ENGINE / n.replace(".", "/")).is_dir()]  # fmt: skip
            found.update(modules)
            if target and len(modules) < len(names):  # names defined in the module itself, not submodules
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("chunkers.") for a in node.names if a.name.startswith("chunkers."))
    return {name for name in found if name}


def graph() -> dict[str, set[str]]:
    """Module -> the modules it imports; the package's own ``__init__`` (the public facade) is left out."""
    edges = {}
    for path in ENGINE.rglob("*.py"):
        name = module_name(path)
        if name:
            edges[name] = {target for target in imports_of(path) if target != name}
    return edges


def test_every_module_has_a_layer_and_imports_point_down() -> None:
    upward = []
    for module, targets in graph().items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                upward.append(f"chunkers.{module} (layer {layer_of(module)}) imports chunkers.{target} "
                              f"(layer {layer_of(target)})")  # fmt: skip
    assert not upward, "\n".join(sorted(upward))


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def package_of(module: str) -> str:
    """A subpackage's modules count as one node (a package may import its own modules freely)."""
    return module.split(".")[0]


def test_no_import_cycles() -> None:
    edges = graph()
    assert not strongly_connected(edges), strongly_connected(edges)
    between_packages: dict[str, set[str]] = {}
    for module, targets in edges.items():
        between_packages.setdefault(package_of(module), set()).update(
            package_of(t) for t in targets if package_of(t) != package_of(module)
        )
    assert not strongly_connected(between_packages), strongly_connected(between_packages)


def test_the_checker_finds_a_cycle_and_the_layers_are_documented() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    docstring = chunkers.__doc__ or ""
    for layer in range(1, 6):
        members = [name for name, number in LAYERS.items() if (number == layer and (ENGINE / f"{name}.py").exists())
                   or (number == layer and (ENGINE / name).is_dir())]  # fmt: skip
        assert all(name in docstring for name in members), f"layer {layer}: {members} not all in chunkers' docstring"


def test_classes_and_the_command_line_stay_readable() -> None:
    """No engine class over 200 lines (one screen or two: a larger one is usually two classes); cli.py under 250."""
    long = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 200:  # type: ignore[operator]
                long.append(f"{module_name(path)}.{node.name}: {node.end_lineno - node.lineno + 1} lines")  # type: ignore[operator]
    assert not long, long
    assert len((ENGINE / "apps" / "cli.py").read_text(encoding="utf-8").splitlines()) < 250


def test_the_top_level_is_a_table_of_contents() -> None:
    """Folders by capability: at most 8 modules beside them at the engine's top level (besides ``__init__``)."""
    modules = sorted(p.name for p in ENGINE.glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= 8, modules


def framework_imports(path: Path) -> set[str]:
    """The LlamaIndex and LangChain modules ``path`` imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        found.update(name for name in names if name.split(".")[0].startswith(("llama_index", "langchain")))
    return found


def test_only_the_applications_import_the_frameworks() -> None:
    """The engine is framework-free below ``apps`` (the faces live in llama_chunkers and langchain_chunkers)."""
    offenders = {
        module_name(path): sorted(framework_imports(path))
        for path in ENGINE.rglob("*.py")
        if layer_of(module_name(path) or "apps") < LAYERS["apps"] and framework_imports(path)
    }
    assert not offenders, offenders
    assert framework_imports(ENGINE / "apps" / "evaluation" / "peers.py")  # the check sees them where they are


def test_application_modules_stay_small() -> None:
    """An application module does one job: none over 300 lines."""
    long = {str(p.relative_to(ENGINE)): n for p in (ENGINE / "apps").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}  # fmt: skip
    assert not long, long

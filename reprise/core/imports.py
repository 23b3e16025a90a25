"""The repository's modules that a script needs: those it imports, directly or through other
modules, lazy imports inside functions included, with the packages above each (importing
``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py``). A stage's code deps in ``dvc.yaml``
are exactly these (``tools/dvc_deps.py``), and the testbed suite fingerprints its code by them."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("reprise", "stages")  # the repository's importable code


def module_file(module: str, root: Path) -> Path | None:
    """The file of a dotted module name in the repository at ``root``, or None (a third-party module)."""
    base = root / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every repository module that a file imports, anywhere in it, with the packages above each."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    names = {name for name in names if name.split(".")[0] in PACKAGES}
    return {".".join(name.split(".")[:i]) for name in names for i in range(1, name.count(".") + 2)}


def only_a_docstring(path: Path) -> bool:
    """A module that runs no code (an ``__init__.py`` with only its docstring): no dep needed."""
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def import_closure(script: str | Path, root: str | Path = ".") -> list[str]:
    """Repository-relative paths of every module ``script`` needs, itself included, sorted;
    modules that run no code are left out."""
    root = Path(root)
    start = root / script
    seen, todo = {start}, [start]
    while todo:
        for module in imported_modules(todo.pop()):
            path = module_file(module, root)
            if path is not None and path not in seen:
                seen.add(path)
                todo.append(path)
    return sorted(str(p.relative_to(root)) for p in seen if p == start or not only_a_docstring(p))

"""Importing the project's own code: ``package.module:function`` references.

``model.factory`` and ``data.transform`` name functions in modules that sit
next to govkit.yaml. They are imported with the project folder first on
``sys.path``. A module of the same name imported earlier from another folder
(a second project in the same process) is dropped first, so each project
gets its own code.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from govkit.diagnostics import closest
from govkit.project import Project

__all__ = ["import_ref", "on_path"]


@contextmanager
def on_path(root: Path) -> Iterator[None]:
    """Put ``root`` first on ``sys.path`` for the duration (imports made lazily by user code)."""
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        with suppress(ValueError):  # the user's code removed it itself
            sys.path.remove(str(root))


def _forget_foreign(module_name: str, root: Path) -> None:
    """Drop cached modules named like ``module_name`` (or its parents) from another folder."""
    parts = module_name.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        cached = sys.modules.get(name)
        origin = getattr(cached, "__file__", None)
        if cached is None or origin is None:
            continue
        try:
            Path(origin).resolve().relative_to(root.resolve())
        except ValueError:
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]


def import_ref(project: Project, ref: str, loc: tuple[str | int, ...]) -> Callable[..., Any]:
    """Import the callable named by ``ref`` ("package.module:function").

    Parameters
    ----------
    project
        The project; its folder is put first on ``sys.path`` for the import.
    ref
        The reference as written in govkit.yaml (already checked for its form).
    loc
        Where ``ref`` sits in govkit.yaml, for located errors.

    Raises
    ------
    ConfigError
        When the module cannot be imported, has no such attribute, or the
        attribute is not callable.
    """
    module_name, _, attr = ref.partition(":")
    root = project.root
    _forget_foreign(module_name, root)
    importlib.invalidate_caches()  # files written since start (tests, notebooks) must be seen
    try:
        with on_path(root):
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise project.error(
            loc,
            f"cannot import module '{module_name}' ({err})",
            hint=f"the module is imported with {root} first on sys.path; "
            "put it (or its package) next to govkit.yaml",
        ) from err
    except Exception as err:  # the user's module failed while importing: say how
        raise project.error(
            loc,
            f"importing module '{module_name}' failed: {type(err).__name__}: {err}",
            hint="fix the module so that `import` succeeds",
        ) from err
    target = getattr(module, attr, None)
    if target is None:
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        guess = closest(attr, names)
        hint = (
            f"did you mean '{module_name}:{guess}'?"
            if guess
            else (f"callables in the module: {', '.join(names[:10]) or 'none'}")
        )
        raise project.error(loc, f"module '{module_name}' has no attribute '{attr}'", hint=hint)
    if not callable(target):
        raise project.error(
            loc,
            f"'{ref}' is a {type(target).__name__}, not a function",
            hint="name a function (or class) that can be called",
        )
    return target  # type: ignore[no-any-return]

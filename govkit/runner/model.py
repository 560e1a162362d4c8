"""Loading the model file without ever unpickling arbitrary objects.

Model files are untrusted. Three formats load through loaders that cannot run
code from the file:

- ``.pt2``: a ``torch.export`` program (``torch.export.load(...).module()``);
- TorchScript: a zip holding ``code/`` and ``constants.pkl``, read by
  ``torch.jit.load`` (TorchScript's own restricted deserialiser);
- a ``state_dict`` (``.pt``/``.pth``): ``torch.load(weights_only=True)`` reads
  tensors only, and ``model.factory`` builds the module to load them into.

A file that would need a full unpickler (a whole pickled ``nn.Module``) is
refused with :class:`~govkit.errors.UnsafeModelError`, never loaded.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govkit.errors import InputError, UnsafeModelError
from govkit.project import Project
from govkit.runner.refs import import_ref, on_path

if TYPE_CHECKING:
    import torch

__all__ = ["ModelFormat", "detect_format", "load_model"]

ModelFormat = Literal["export", "torchscript", "state_dict", "safetensors"]

UNSAFE_HINT = (
    "export the model with torch.export.save(torch.export.export(model, (example,)), "
    "'model.pt2'), or save only its weights with torch.save(model.state_dict(), 'model.pt') "
    "and set model.factory to the function that builds the module"
)


def detect_format(path: Path) -> ModelFormat:
    """The format of a model file, from its suffix and, for zips, its contents."""
    suffix = path.suffix.lower()
    if suffix == ".pt2":
        return "export"
    if suffix == ".safetensors":
        return "safetensors"
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        # TorchScript archives carry their code and constants; a torch.save zip does not
        if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
            return "torchscript"
    return "state_dict"


def _display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _extract_state_dict(obj: Any, display: str) -> Mapping[str, Any]:
    import torch

    if isinstance(obj, Mapping):
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
        for key in ("state_dict", "model_state_dict", "model"):  # common checkpoint layouts
            inner = obj.get(key)
            if isinstance(inner, Mapping) and all(
                isinstance(v, torch.Tensor) for v in inner.values()
            ):
                return inner
    raise InputError(
        f"{display}: expected a state_dict (a mapping of names to tensors), "
        f"got {type(obj).__name__}",
    )


def _refused_by_weights_only(err: pickle.UnpicklingError) -> bool:
    """Whether torch's restricted unpickler refused an object (not a corrupt stream)."""
    text = str(err)
    return "Unsupported global" in text or "GLOBAL " in text


@contextlib.contextmanager
def _quiet_torch_export() -> Iterator[None]:
    """Silence torch.export's own logging of a failed load: the error is reported once, by us."""
    logger = logging.getLogger("torch.export")
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


def _load_state_dict_file(path: Path, display: str, fmt: ModelFormat) -> Mapping[str, Any]:
    import torch

    if fmt == "safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as err:
            raise InputError(
                f"{display}: reading .safetensors needs the 'safetensors' package; "
                "install it (pip install safetensors)"
            ) from err
        try:
            return load_file(str(path), device="cpu")
        except Exception as err:  # a corrupt header or truncated file
            raise InputError(f"{display}: cannot read the safetensors file: {err}") from err
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        if not _refused_by_weights_only(err):
            # torch's text suggests weights_only=False, which is exactly what must not happen
            why = re.search(r"WeightsUnpickler error:\s*(.+)", str(err))
            raise InputError(
                f"{display}: cannot read the model file: not a torch file, or "
                f"corrupt ({why.group(1).strip() if why else 'bad pickle data'})"
            ) from err
        found = re.search(r"GLOBAL (\S+)", str(err))
        detail = (
            f"it names the Python object {found.group(1)}" if found else "it names Python objects"
        )
        raise UnsafeModelError(
            f"{display}: refusing to load this model: it holds pickled Python objects, and "
            f"unpickling them could run arbitrary code ({detail}); to fix it, {UNSAFE_HINT}"
        ) from err
    except Exception as err:  # truncated, not a torch file at all, wrong zip layout
        raise InputError(
            f"{display}: cannot read the model file ({type(err).__name__}: "
            f"{str(err).strip().splitlines()[0] if str(err).strip() else 'unreadable'})"
        ) from err
    return _extract_state_dict(obj, display)


def _from_state_dict(
    project: Project,
    path: Path,
    display: str,
    fmt: ModelFormat,
    ref: str | None,
    loc: tuple[str | int, ...],
) -> torch.nn.Module:
    import torch

    state = _load_state_dict_file(path, display, fmt)
    name = ".".join(str(k) for k in loc)
    if ref is None:
        raise project.error(
            (*loc, "path"),
            f"{display} is a state_dict (weights only); govkit needs the module to load them into",
            hint=f"set {name}.factory: 'package.module:function' returning the "
            "nn.Module, or export the model to a .pt2 file",
        )
    factory = import_ref(project, ref, (*loc, "factory"))
    try:
        with on_path(project.root):
            module = factory()
    except Exception as err:  # user code
        raise project.error(
            (*loc, "factory"), f"calling '{ref}' failed: {type(err).__name__}: {err}"
        ) from err
    if not isinstance(module, torch.nn.Module):
        raise project.error(
            (*loc, "factory"), f"'{ref}' returned {type(module).__name__}, not a torch.nn.Module"
        )
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = " ".join(str(err).split())[:400]
        raise InputError(
            f"{display}: the weights do not fit the module built by '{ref}': {first}"
        ) from err
    return module


def load_model(
    project: Project,
    *,
    path: str | None = None,
    factory: str | None = None,
    loc: tuple[str | int, ...] = ("model",),
) -> torch.nn.Module:
    """Load ``model.path`` (or a baseline's ``path``) on the CPU, in evaluation mode.

    ``path``, ``factory`` and ``loc`` name another model of govkit.yaml (a
    baseline at ``("baselines", i)``); by default the candidate's.

    Raises
    ------
    UnsafeModelError
        The file could only be read by unpickling arbitrary objects.
    InputError
        The file is missing, corrupt, or the weights do not fit the module.
    ConfigError
        ``model.factory`` is missing or cannot be imported or called.
    """
    import torch

    if path is None and loc == ("model",):
        path, factory = project.model.model.path, project.model.model.factory
    if path is None:
        raise project.error(loc, "no model file: set model.path")
    relative = path
    resolved = project.resolve(relative)
    display = _display(project, resolved)
    if not resolved.is_file():
        raise project.error(
            (*loc, "path"),
            f"{display}: no such file ({resolved})",
            hint="paths are relative to the folder of govkit.yaml",
        )
    fmt = detect_format(resolved)
    module: Any
    if fmt == "export":
        try:
            with _quiet_torch_export():
                module = torch.export.load(resolved).module()
        except Exception as err:  # a corrupt or foreign archive
            raise InputError(
                f"{display}: cannot read the torch.export program ({type(err).__name__}: {err})"
            ) from err
    elif fmt == "torchscript":
        try:
            module = torch.jit.load(str(resolved), map_location="cpu")
        except Exception as err:
            raise InputError(
                f"{display}: cannot read the TorchScript archive ({type(err).__name__}: {err})"
            ) from err
    else:
        module = _from_state_dict(project, resolved, display, fmt, factory, loc)
    # exported programs may refuse train/eval switches; they were traced in eval mode
    with contextlib.suppress(NotImplementedError, RuntimeError):
        module.eval()
    return module  # type: ignore[no-any-return]

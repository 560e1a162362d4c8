"""``govkit init KIND [PATH]``: write a commented skeleton; never overwrite."""

from __future__ import annotations

from pathlib import Path

from govkit.atomic import create_atomic
from govkit.errors import InputError
from govkit.output import result

__all__ = ["run_init"]


def run_init(kind: str, path: str | None) -> int:
    """Write a commented YAML skeleton of a document.

    Parameters
    ----------
    kind
        ``dataset_card``, ``model_card``, ``experiment_plan`` or ``risk_checklist``.
    path
        File to create (default ``<kind>.yaml`` in the current folder); a
        folder means ``<kind>.yaml`` inside it. An existing file is never
        overwritten.

    Returns
    -------
    int
        0 once written.

    Raises
    ------
    InputError
        Unknown kind, an existing file, or a missing folder (exit 2).
    """
    from govkit.diagnostics import closest
    from govkit.documents.kinds import KINDS
    from govkit.documents.skeleton import render_skeleton, schema_reference

    if kind not in KINDS:
        guess = closest(kind, list(KINDS))
        hint = f" (did you mean '{guess}'?)" if guess else ""
        raise InputError(
            f"unknown document kind '{kind}'{hint}; expected one of {', '.join(KINDS)}"
        )
    target = Path(path) if path else Path(f"{kind}.yaml")
    if target.is_dir():  # `govkit init model_card docs/` means docs/model_card.yaml
        target = target / f"{kind}.yaml"
    if target.exists():
        raise InputError(
            f"{target} already exists; govkit init never overwrites a file "
            "(choose another PATH, or move the file away)"
        )
    if not target.parent.is_dir():
        raise InputError(f"folder {target.parent} does not exist; create it first")
    text = render_skeleton(kind, schema_ref=schema_reference(kind, target))
    try:
        create_atomic(target, text)  # complete or absent; fails rather than overwrite
    except FileExistsError as err:
        raise InputError(f"{target} already exists; govkit init never overwrites a file") from err
    except OSError as err:
        raise InputError(f"cannot write {target}: {err.strerror}") from err
    result(
        f'wrote {target}: fill in every "[More Information Needed]", '
        f"then run `govkit validate {target}`"
    )
    return 0

"""``govkit import hf README.md``: a Hugging Face model card read into a govkit model card."""

from __future__ import annotations

from pathlib import Path

from govkit.errors import EXIT_OK, InputError
from govkit.output import diagnostic, result

__all__ = ["run_import_hf"]


def run_import_hf(card: str, *, out: str | None, force: bool) -> int:
    """Write the model card read from the Hugging Face card ``card``; returns the exit code.

    Parameters
    ----------
    card
        The Hugging Face ``README.md`` to read.
    out
        The YAML file to write (default ``model_card.yaml`` in the current folder).
    force
        Replace ``out`` when it exists; without it an existing file is an error (exit 2).
    """
    from govkit.atomic import write_atomic
    from govkit.documents.skeleton import schema_reference
    from govkit.export.hf_import import import_hf_card

    target = Path(out) if out else Path("model_card.yaml")
    if target.is_dir():
        target = target / "model_card.yaml"
    if target.exists() and not force:
        raise InputError(
            f"{target} already exists; it is not overwritten (fix: choose another --out, "
            "or pass --force to replace it)"
        )
    if not target.parent.is_dir():
        raise InputError(f"folder {target.parent} does not exist; create it first")
    imported = import_hf_card(Path(card), card, schema_ref=schema_reference("model_card", target))
    for note in imported.notes:
        diagnostic(f"note: {note}")
    try:
        write_atomic(target, imported.text)
    except OSError as err:
        raise InputError(f"cannot write {target}: {err.strerror}") from err
    result(
        f'wrote {target}: fill in every "[More Information Needed]", '
        f"then run `govkit validate {target}`"
    )
    return EXIT_OK

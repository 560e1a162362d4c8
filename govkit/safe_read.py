"""Reading input files safely: regular files only, never more than a cap.

Every file govkit parses whole (documents, suites, project files, reports,
manifests) comes through :func:`read_capped`. It refuses, with a message that
names the path and the fix, what would otherwise hang or exhaust memory:

- anything that is not a regular file: a FIFO blocks ``open`` forever,
  ``/dev/zero`` never ends, a folder is not a document;
- a symlink loop, and (where ``roots`` are given) a symlink whose target lies
  outside the folders the caller allows;
- a file over its cap. The size is checked before reading, and the read
  itself stops at the cap plus one byte, so a file that grows while it is
  read (or lies about its size, as ``/proc`` files do) cannot get past it.

The file is opened with ``O_NONBLOCK`` and checked again on the open
descriptor, so a path swapped for a FIFO between the check and the open is
refused instead of blocking.

:func:`load_json_capped` adds what JSON needs on top: a nesting cap (Python's
parser recurses, so deep nesting would be a RecursionError), and no ``NaN``
or ``Infinity`` (which Python reads but JSON does not allow, and which no
figure govkit writes can hold). Its errors name ``file:line:column``.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govkit.errors import InputError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_REPORT_BYTES",
    "REPORT_CAP_ENV",
    "ReadRefused",
    "load_json_capped",
    "parse_json_bytes",
    "read_capped",
    "report_cap",
    "require_regular",
]

#: documents, suites and project files: hand-written, small
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
#: reports and manifests: written by govkit, larger with many groups
MAX_REPORT_BYTES = 50 * 1024 * 1024
#: the environment variable that raises (or lowers) the report and manifest cap, in bytes
REPORT_CAP_ENV = "GOVKIT_MAX_REPORT_BYTES"
#: a report nests about eight levels deep; this leaves room and stays far from recursion limits
MAX_JSON_DEPTH = 64

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class ReadRefused(InputError):
    """A file that was not read: missing, not a regular file, too large or malformed.

    Attributes
    ----------
    code
        ``missing``, ``not_regular``, ``outside``, ``too_large``, ``encoding``,
        ``syntax``, ``too_deep`` or ``not_finite``.
    reason, hint
        What is wrong, and how to fix it (the message joins them).
    line, column
        Where in the file, when known.
    """

    def __init__(
        self,
        display: str,
        reason: str,
        *,
        code: str,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        where = display if line is None else f"{display}:{line}:{column or 1}"
        message = f"{where}: {reason}" + (f"; {hint}" if hint else "")
        super().__init__(message)
        self.display = display
        self.reason = reason
        self.code = code
        self.hint = hint
        self.line = line
        self.column = column

    @property
    def unreadable(self) -> bool:
        """The path itself is wrong (as opposed to its contents)."""
        return self.code in ("missing", "not_regular", "outside")


def report_cap() -> int:
    """The report and manifest cap: ``$GOVKIT_MAX_REPORT_BYTES`` when set, else 50 MiB."""
    raw = os.environ.get(REPORT_CAP_ENV, "").strip()
    if not raw:
        return MAX_REPORT_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(
            f"{REPORT_CAP_ENV}={raw!r}: expected a positive whole number of bytes, "
            f"e.g. {REPORT_CAP_ENV}={2 * MAX_REPORT_BYTES}"
        )
    return value


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def require_regular(path: Path, display: str, *, roots: Sequence[Path] | None = None) -> Path:
    """Check that ``path`` is a regular file (or a symlink to one), without opening it.

    Parameters
    ----------
    path
        The file.
    display
        How messages name it.
    roots
        When given, a symlink must resolve inside one of these folders.

    Returns
    -------
    Path
        ``path`` unchanged, for chaining.

    Raises
    ------
    ReadRefused
        Missing, a symlink loop, a folder, a FIFO or device, or a symlink out of ``roots``.
    """
    try:
        link = os.lstat(path)
        info = os.stat(path)
    except FileNotFoundError:
        raise ReadRefused(display, "no such file", code="missing", hint="check the path") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ReadRefused(
                display,
                "symlink loop (the link points back at itself)",
                code="not_regular",
                hint="point the link at a real file",
            ) from None
        raise ReadRefused(display, f"cannot read file: {err.strerror}", code="missing") from None
    if stat.S_ISDIR(info.st_mode):
        raise ReadRefused(
            display,
            "is a directory, expected a file",
            code="not_regular",
            hint="name a file inside it",
        )
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise ReadRefused(
            display,
            f"is {kind}, not a regular file",
            code="not_regular",
            hint="govkit reads inputs only from regular files; save the content to a file",
        )
    if roots is not None and stat.S_ISLNK(link.st_mode):
        target = Path(os.path.realpath(path))
        allowed = [Path(os.path.realpath(r)) for r in roots]
        if not _inside(target, allowed):
            raise ReadRefused(
                display,
                f"is a symlink to {target}, outside {', '.join(str(r) for r in allowed)}",
                code="outside",
                hint="copy the file into the project folder, or name its real path",
            )
    return path


def read_capped(
    path: str | Path,
    display: str | None = None,
    *,
    cap: int,
    roots: Sequence[Path] | None = None,
    hint: str | None = None,
) -> bytes:
    """The bytes of a regular file, refusing anything else and anything over ``cap`` bytes.

    Parameters
    ----------
    path
        The file.
    display
        How messages name it (default: the path as given).
    cap
        The most bytes the file may hold; at most ``cap + 1`` bytes are ever read.
    roots
        When given, a symlink must resolve inside one of these folders.
    hint
        What to suggest when the file is too large.

    Raises
    ------
    ReadRefused
        See :func:`require_regular`; also ``too_large``.
    """
    p = Path(path)
    shown = display or str(path)
    require_regular(p, shown, roots=roots)

    def too_large(size: str) -> ReadRefused:
        return ReadRefused(
            shown,
            f"file is {size} bytes, over the {cap:,}-byte limit",
            code="too_large",
            hint=hint,
        )

    if os.stat(p).st_size > cap:
        raise too_large(f"{os.stat(p).st_size:,}")
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the check, open returns at once
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise ReadRefused(shown, f"cannot open file: {err.strerror}", code="missing") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ReadRefused(shown, "is not a regular file", code="not_regular")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise too_large(f"more than {cap:,}")
    return data


# --- JSON -------------------------------------------------------------------------------

_STRING = r'"(?:[^"\\]|\\.)*"'
_STRING_OR_BRACKET = re.compile(_STRING + r"|([\[\]{}])", re.DOTALL)


class _NotFinite(ValueError):
    pass


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _locate(text: str, offset: int | None) -> tuple[int | None, int | None]:
    return (None, None) if offset is None else _line_col(text, offset)


def _first_token(text: str, token: str) -> int | None:
    """Offset of the first ``token`` (``NaN``, ``-Infinity``, ``1e999``) outside a string."""
    pattern = re.compile(_STRING + r"|(?<![\w.+-])(" + re.escape(token) + r")(?![\w.])", re.DOTALL)
    for match in pattern.finditer(text):
        if match.group(1):
            return match.start(1)
    return None


def _too_deep_at(text: str, limit: int) -> int | None:
    """Offset of the bracket that opens level ``limit + 1``, outside strings."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        bracket = match.group(1)
        if not bracket:
            continue
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return match.start(1)
    return None


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise _NotFinite(text)
    return value


def _reject_constant(text: str) -> float:
    raise _NotFinite(text)


def load_json_capped(
    path: str | Path,
    display: str | None = None,
    *,
    cap: int,
    what: str = "JSON file",
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Parse a JSON file read with :func:`read_capped`, with nesting and finiteness checked.

    Parameters
    ----------
    path, display, cap
        As for :func:`read_capped`.
    what
        What the file is, for messages (``report``, ``manifest``).
    max_depth
        The deepest nesting of objects and arrays accepted.

    Raises
    ------
    ReadRefused
        Unreadable, too large, not UTF-8, invalid JSON, nested deeper than
        ``max_depth``, or holding ``NaN``/``Infinity``; located where possible.
    """
    shown = display or str(path)
    fix = f"if the file is legitimate, set {REPORT_CAP_ENV} to a larger number of bytes"
    raw = read_capped(path, shown, cap=cap, hint=fix)
    return parse_json_bytes(raw, shown, what=what, max_depth=max_depth)


def parse_json_bytes(
    raw: bytes, shown: str, *, what: str = "JSON file", max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Parse JSON bytes already read under a cap, with nesting and finiteness checked.

    For callers that also need the exact bytes (to hash them): read once with
    :func:`read_capped`, then parse here. Raises :class:`ReadRefused` as
    :func:`load_json_capped` does.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad_line = raw.count(b"\n", 0, err.start) + 1
        raise ReadRefused(
            shown,
            f"not UTF-8 text (byte 0x{raw[err.start]:02x})",
            code="encoding",
            hint=f"a {what} is UTF-8 JSON",
            line=bad_line,
        ) from None

    def too_deep() -> ReadRefused:
        at = _too_deep_at(text, max_depth)
        line, col = _locate(text, at)
        return ReadRefused(
            shown,
            f"JSON nested deeper than {max_depth} levels",
            code="too_deep",
            hint=f"a {what} is never this deep; is this the right file?",
            line=line,
            column=col,
        )

    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotFinite as err:
        at = _first_token(text, err.args[0])
        line, col = _locate(text, at)
        raise ReadRefused(
            shown,
            f"{err.args[0]} is not a number JSON allows",
            code="not_finite",
            hint="write null for a figure that could not be computed",
            line=line,
            column=col,
        ) from None
    except RecursionError:
        raise too_deep() from None
    except json.JSONDecodeError as err:
        raise ReadRefused(
            shown,
            f"not a readable {what} (invalid JSON: {err.msg})",
            code="syntax",
            hint=f"is this a {what} written by govkit?",
            line=err.lineno,
            column=err.colno,
        ) from None
    except ValueError as err:  # e.g. an integer longer than Python converts
        raise ReadRefused(shown, f"not a readable {what} ({err})", code="syntax") from None
    if _depth_exceeds(data, max_depth):
        raise too_deep()
    return data

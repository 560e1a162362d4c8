"""Reading YAML, JSON and Markdown front matter safely, keeping line numbers.

Every value read keeps the place it came from, so a validation error can point
at ``file:line:column``. The parser is PyYAML's safe composer (the C one when
available): it never constructs arbitrary objects. On top of it this module
refuses what the safe loader allows but a governance file never needs:

- duplicate keys (the YAML spec forbids them; PyYAML keeps the last silently),
- files over a size cap, binary files, text that is not UTF-8,
- alias expansion beyond a node budget (a "billion laughs" bomb is a few
  lines that expand to gigabytes; we count nodes as we expand and stop).

A validated file is a :class:`Loaded`: the model, the path and the parsed tree
together, so any later finding about a field (a missing column, a bad waiver)
can still point at the line that set it. :func:`load_validated` reads, parses
and validates one file into it; the project file, suites and documents all
come through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel

from govkit.diagnostics import Diagnostic, Severity, field_name, validate_parsed
from govkit.errors import ConfigError
from govkit.safe_read import MAX_DOCUMENT_BYTES, ReadRefused, read_capped

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Loaded",
    "Location",
    "ParsedFile",
    "SourceError",
    "load_source",
    "load_validated",
    "parse_text",
]

MAX_FILE_BYTES = MAX_DOCUMENT_BYTES
MAX_NODES = 200_000

Location = tuple[int, int]
FieldPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)

try:  # the C composer is several times faster; fall back where libyaml is absent
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

_SCALAR_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"


class SourceError(Exception):
    """A file that could not be read or parsed; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], *, unreadable: bool = False) -> None:
        super().__init__("; ".join(d.format() for d in diagnostics))
        self.diagnostics = diagnostics
        # unreadable: the path itself is wrong (missing, a folder): exit 2, not 1
        self.unreadable = unreadable


@dataclass
class ParsedFile:
    """The data of one file and where each value and key sits in it."""

    path: str
    data: Any
    positions: dict[FieldPath, Location] = field(default_factory=dict)
    key_positions: dict[FieldPath, Location] = field(default_factory=dict)

    def locate(self, loc: FieldPath) -> Location | None:
        """The place of ``loc``, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.key_positions and end == len(loc):
                return self.key_positions[prefix]
            if prefix in self.positions:
                return self.positions[prefix]
        return None


def _error(
    path: str,
    message: str,
    line: int | None = None,
    col: int | None = None,
    hint: str | None = None,
    code: str = "syntax",
) -> Diagnostic:
    return Diagnostic(
        path=path, line=line, column=col, severity="error", message=message, hint=hint, code=code
    )


def read_text(
    path: Path,
    display: str,
    max_bytes: int = MAX_FILE_BYTES,
    *,
    roots: Sequence[Path] | None = None,
) -> str:
    """Read a text file, refusing what is not one, with a diagnostic per refusal.

    Only a regular file (or a symlink to one, inside ``roots`` when given) is
    opened, and never more than ``max_bytes + 1`` bytes are read: a FIFO,
    ``/dev/zero`` or a symlink loop is refused before anything is read.
    """
    try:
        raw = read_capped(
            path,
            display,
            cap=max_bytes,
            roots=roots,
            hint="governance documents are small; split the file or remove embedded data",
        )
    except ReadRefused as err:
        code = "too_large" if err.code == "too_large" else "unreadable"
        raise SourceError(
            [_error(display, err.reason, hint=err.hint, code=code)], unreadable=err.unreadable
        ) from None
    if b"\x00" in raw[:8192]:
        raise SourceError(
            [
                _error(
                    display,
                    "binary file, expected UTF-8 text (YAML, JSON or Markdown)",
                    line=1,
                    col=1,
                    code="binary",
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise SourceError(
            [
                _error(
                    display,
                    f"not UTF-8 text (byte 0x{raw[err.start]:02x})",
                    line=line,
                    col=col,
                    hint="save the file as UTF-8",
                    code="encoding",
                )
            ]
        ) from err


def _split_front_matter(text: str, display: str) -> tuple[str, int]:
    """The YAML block of a Markdown file and the line it starts after."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SourceError(
            [
                _error(
                    display,
                    "Markdown document has no YAML front matter",
                    1,
                    1,
                    hint="start the file with a '---' line, the YAML, then '---'",
                    code="front_matter",
                )
            ]
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "".join(lines[1:i]), 1
    raise SourceError(
        [
            _error(
                display,
                "front matter is not closed",
                1,
                1,
                hint="end the YAML block with a '---' line",
                code="front_matter",
            )
        ]
    )


class _Builder:
    """Turns a composed node tree into Python data, recording positions."""

    def __init__(self, display: str, line_offset: int) -> None:
        self.display = display
        self.offset = line_offset
        self.nodes = 0
        self.positions: dict[FieldPath, Location] = {}
        self.key_positions: dict[FieldPath, Location] = {}
        self.errors: list[Diagnostic] = []

    def where(self, node: yaml.Node) -> Location:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def build(self, node: yaml.Node, path: FieldPath, active: frozenset[int]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line, col = self.where(node)
            raise SourceError(
                [
                    _error(
                        self.display,
                        f"document expands to more than {MAX_NODES:,} values",
                        line,
                        col,
                        hint="YAML aliases (*name) are expanded; remove the alias chain",
                        code="too_large",
                    )
                ]
            )
        self.positions[path] = self.where(node)
        if id(node) in active:  # a recursive alias would never finish expanding
            line, col = self.where(node)
            raise SourceError([_error(self.display, "recursive alias", line, col, code="syntax")])
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:  # most values: skip the constructor's dispatch
                return node.value
            if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
                # YAML 1.1 reads yes/no/on/off as booleans ("the Norway problem":
                # country: NO). Only true/false are booleans here, as in YAML 1.2.
                return node.value
            try:
                return _SCALAR_CONSTRUCTOR.construct_object(node, deep=True)
            except ValueError:
                # An impossible date such as 2025-13-01 matches YAML's timestamp
                # pattern but cannot be built; keep the text so the schema reports it.
                return node.value
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), active) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    line, col = self.where(key_node)
                    self.errors.append(
                        _error(
                            self.display,
                            "merge keys ('<<') are not supported",
                            line,
                            col,
                            hint="write the keys out",
                            code="syntax",
                        )
                    )
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    line, col = self.where(key_node)
                    self.errors.append(
                        _error(self.display, "a key must be a plain name", line, col)
                    )
                    continue
                # keys are names as written: `on:` stays "on", `1:` stays "1"
                key = key_node.value
                if key in result:
                    line, col = self.where(key_node)
                    first = self.key_positions.get((*path, key), (None, None))[0]
                    self.errors.append(
                        _error(
                            self.display,
                            f"duplicate key '{key}'",
                            line,
                            col,
                            hint=f"it is already set on line {first}; keep one",
                            code="duplicate_key",
                        )
                    )
                    continue
                self.key_positions[(*path, key)] = self.where(key_node)
                result[key] = self.build(value_node, (*path, key), active)
            return result
        raise SourceError([_error(self.display, f"unsupported YAML node {node.tag}")])


def parse_text(
    text: str, display: str, *, front_matter: bool = False, syntax: str = "YAML"
) -> ParsedFile:
    """Parse YAML (or JSON, a subset of it) text into data with positions.

    ``syntax`` names the format in syntax errors, so a broken ``.json`` file
    says "invalid JSON" although the YAML parser read it.
    """
    offset = 0
    if front_matter:
        text, offset = _split_front_matter(text, display)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 + offset if mark else None
        col = mark.column + 1 if mark else None
        problem = err.problem or f"invalid {syntax}"
        raise SourceError(
            [_error(display, f"invalid {syntax}: {problem}", line, col, hint=_syntax_hint(problem))]
        ) from err
    except yaml.YAMLError as err:
        raise SourceError([_error(display, f"invalid {syntax}: {err}")]) from err
    if node is None:
        raise SourceError(
            [
                _error(
                    display,
                    "file is empty",
                    1,
                    1,
                    hint="run `govkit init KIND` for a skeleton",
                    code="empty",
                )
            ]
        )
    builder = _Builder(display, offset)
    data = builder.build(node, (), frozenset())
    if builder.errors:
        raise SourceError(builder.errors)
    return ParsedFile(display, data, builder.positions, builder.key_positions)


def _syntax_hint(problem: str) -> str | None:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote values that contain ': '"
    if "could not find expected ':'" in problem:
        return "each line of a mapping is 'key: value'"
    return None


def load_source(
    path: str | Path,
    *,
    display: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    roots: Sequence[Path] | None = None,
) -> ParsedFile:
    """Read and parse a ``.yaml``/``.yml``, ``.json`` or ``.md`` file.

    ``roots``: when given, a symlink must point inside one of these folders.
    """
    p = Path(path)
    shown = display or str(path)
    text = read_text(p, shown, max_bytes, roots=roots)
    suffix = p.suffix.lower()
    return parse_text(
        text,
        shown,
        front_matter=suffix in (".md", ".markdown"),
        syntax="JSON" if suffix == ".json" else "YAML",
    )


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated file: its model, the path it was read from, and its parsed tree.

    The parsed tree stays with the model so that a problem found after
    validation (a column missing from the data, a waiver for an unknown
    check) is reported at the line and column that set the field.
    """

    model: M
    path: Path
    parsed: ParsedFile

    @property
    def display(self) -> str:
        """The path as diagnostics show it."""
        return self.parsed.path

    def locate(self, loc: FieldPath) -> tuple[int | None, int | None]:
        """Line and column of ``loc`` in the file (or of its closest parent)."""
        where = self.parsed.locate(loc)
        return where if where is not None else (None, None)

    def diagnostic(
        self,
        loc: FieldPath,
        message: str,
        *,
        code: str = "invalid",
        hint: str | None = None,
        severity: Severity = "error",
    ) -> Diagnostic:
        """A finding about the field at ``loc``, located in this file.

        Parameters
        ----------
        loc
            The field's path in the file, e.g. ``("data", "features", 2)``.
        message
            What is wrong.
        code
            The diagnostic's machine-readable code.
        hint
            How to fix it, when there is something to say.
        severity
            ``error`` or ``warning``.

        Returns
        -------
        Diagnostic
            Located at the field, or at its closest parent that has a place.
        """
        line, col = self.locate(loc)
        return Diagnostic(
            path=self.display,
            line=line,
            column=col,
            severity=severity,
            message=message,
            field=field_name(loc) or None,
            hint=hint,
            code=code,
        )

    def error(self, loc: FieldPath, message: str, hint: str | None = None) -> ConfigError:
        """A configuration error (exit 2) pointing at ``loc`` in this file."""
        return ConfigError(message, diagnostics=[self.diagnostic(loc, message, hint=hint)])


def load_validated(path: str | Path, model: type[M], noun: str) -> Loaded[M]:
    """Read, parse and validate one file into ``model``.

    Parameters
    ----------
    path
        The file (``.yaml``, ``.yml``, ``.json`` or ``.md`` front matter);
        diagnostics name it as given.
    model
        The Pydantic model the data must validate against.
    noun
        What the file is, for the error's message ("project file", "suite").

    Returns
    -------
    Loaded
        The model instance, ``Path(path)`` and the parsed tree.

    Raises
    ------
    ConfigError
        When the file cannot be read or parsed, or does not validate; with
        one located diagnostic per problem.
    """
    try:
        parsed = load_source(path)
    except SourceError as err:
        raise ConfigError(f"cannot read {noun} {path}", diagnostics=err.diagnostics) from err
    instance, problems = validate_parsed(model, parsed)
    if instance is None:
        raise ConfigError(f"invalid {noun} {path}", diagnostics=problems)
    return Loaded(model=instance, path=Path(path), parsed=parsed)

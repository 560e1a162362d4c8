"""Diagnostics: one problem found in one file, located to the line and column.

This is the one module that turns pydantic validation errors into located,
actionable diagnostics. Documents, the project file and suites all go through
it, so every file govkit reads reports its problems the same way:
``docs/model_card.yaml:14:3: error: intended_uses: expected a list of strings, got a string``.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    # sourcefile builds Diagnostics itself; the parsed file is only a type here.
    from govkit.sourcefile import ParsedFile

__all__ = [
    "Diagnostic",
    "Severity",
    "closest",
    "describe_value",
    "diagnostics_from_error",
    "field_name",
    "validate_parsed",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem, in the form ``path:line:col: severity: field: message``.

    ``line`` and ``column`` are 1-based; ``None`` when the problem has no place
    in the file (an unreadable file, a rule across several documents).
    """

    path: str
    line: int | None
    column: int | None
    severity: Severity
    message: str
    field: str | None = None
    hint: str | None = None
    code: str = "invalid"

    def format(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_error(self) -> Diagnostic:
        """The same finding promoted to an error (``--strict``)."""
        return Diagnostic(**{**asdict(self), "severity": "error"})


# Pydantic validation errors, located in the file they came from.

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time (ISO 8601)",
    "datetime_parsing": "a date and time (ISO 8601)",
}


def describe_value(value: Any) -> str:
    """A short description of what was found, never the value itself when long.

    Document text can hold personal data; a diagnostic shows the kind of value
    and at most a short excerpt of a scalar.
    """
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, str):
        excerpt = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({excerpt!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def closest(word: str, choices: list[str]) -> str | None:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return match[0] if match else None


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc``, for typo hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _first_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _first_model(typing.get_args(annotation)[0])
    for arg in (
        typing.get_args(annotation)
        if origin in (list, dict, typing.Union, types.UnionType, tuple)
        else ()
    ):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc: tuple[Any, ...], data: Any = None) -> tuple[str | int, ...]:
    """Drop pydantic's union-branch labels (``str``, ``NotApplicable``, ...) from a loc.

    A part that is a real key of the data at that point is kept, so a user's
    key that happens to look like a branch label (``US dollars``) still shows.
    """
    cleaned: list[str | int] = []
    current = data
    for part in loc:
        is_key = isinstance(current, dict) and part in current
        if (
            not is_key
            and isinstance(part, str)
            and (part[:1].isupper() or "[" in part or part in _UNION_TAGS)
        ):
            continue
        cleaned.append(part)
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return tuple(cleaned)


_UNION_TAGS = {
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "date",
    "function-after",
    "function-before",
    "function-wrap",
    "function-plain",
    "nullable",
    "lax-or-strict",
}


def field_name(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def diagnostics_from_error(
    err: ValidationError, parsed: ParsedFile, model: type[BaseModel]
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located in the parsed file."""
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for item in err.errors(include_url=False):
        loc = _clean_loc(tuple(item["loc"]), parsed.data)
        kind = item["type"]
        hint: str | None = None
        message = item["msg"]
        if kind == _CONDITIONAL_MISSING:
            out.extend(_conditional_missing(item, loc, parsed))
            continue
        if kind == "missing":
            message = "required field is missing"
            where = parsed.locate(loc[:-1]) or (1, 1)
            hint = f"add '{loc[-1]}:'" if loc else None
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            owner = _model_at(model, loc[:-1])
            message = f"unknown key '{key}'"
            valid = sorted(owner.model_fields) if owner else []
            guess = closest(key, valid)
            hint = (
                f"did you mean '{guess}'?"
                if guess
                else (
                    f"valid keys: {', '.join(valid)}"
                    if valid and len(valid) <= 12
                    else "remove it, or see the JSON Schema in schemas/"
                )
            )
            where = parsed.key_positions.get(loc) or parsed.locate(loc) or (1, 1)
        else:
            where = parsed.locate(loc) or (1, 1)
            expected = _TYPE_NAMES.get(kind)
            if expected:
                message = f"expected {expected}, got {describe_value(item.get('input'))}"
            elif kind in ("literal_error", "enum"):
                message = f"{message.replace('Input should be', 'expected')}, got {describe_value(item.get('input'))}"
            elif kind == "string_too_short" and (item.get("ctx") or {}).get("min_length") == 1:
                message = "expected a non-empty string, got an empty one"
                if "kind" in model.model_fields:  # only documents have not-applicable answers
                    hint = "write the answer, or use {not_applicable: reason} where the field allows it"
            elif kind == "too_short":
                least = (item.get("ctx") or {}).get("min_length")
                message = (
                    f"expected at least {least} item(s), got {describe_value(item.get('input'))}"
                )
            elif kind == "slice_syntax":
                hint = (item.get("ctx") or {}).get("hint")
            elif kind == "value_error":
                message = message.removeprefix("Value error, ")
            elif kind == "assertion_error":
                message = message.removeprefix("Assertion failed, ")
            elif message.startswith("Input should be "):
                # pydantic's bounds and formats: "Input should be less than or equal to 1"
                got = describe_value(item.get("input"))
                message = f"expected {message.removeprefix('Input should be ')}, got {got}"
        signature = (loc, kind, message)
        if signature in seen:  # a union reports the same place once per branch
            continue
        seen.add(signature)
        out.append(
            Diagnostic(
                path=parsed.path,
                line=where[0],
                column=where[1],
                severity="error",
                message=message,
                field=field_name(loc) or None,
                hint=hint,
                code=kind,
            )
        )
    out.sort(key=lambda d: (d.line or 0, d.column or 0))
    return out


_CONDITIONAL_MISSING = "conditional_missing"


def _conditional_missing(
    item: Any, loc: tuple[str | int, ...], parsed: ParsedFile
) -> list[Diagnostic]:
    """Diagnostics for fields a model validator found required but absent.

    A model validator can raise only one error, so it names every missing field
    in ``ctx["missing"]`` as ``(location relative to the model, reason)`` pairs.
    """
    out = []
    for sub, reason in (item.get("ctx") or {}).get("missing", []):
        full = (*loc, *sub)
        where = parsed.locate(full[:-1]) or (1, 1)
        out.append(
            Diagnostic(
                path=parsed.path,
                line=where[0],
                column=where[1],
                severity="error",
                message=f"required field is missing (required because {reason})",
                field=field_name(full),
                hint=f"add '{full[-1]}:'",
                code="missing",
            )
        )
    return out


def validate_parsed(model: type[M], parsed: ParsedFile) -> tuple[M | None, list[Diagnostic]]:
    """Validate parsed data against ``model``; the instance, or ``None`` and diagnostics."""
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as err:
        return None, diagnostics_from_error(err, parsed, model)

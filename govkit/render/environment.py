"""The Jinja environments: built-in templates, user overrides, strict and escaped.

A user's ``--templates`` folder comes first in the loader's search order, so
any built-in template (a document kind, the report, the packet, the CSS) can
be replaced by a file of the same name. Both environments use
``StrictUndefined``: a misspelt name in a template is an error, never an
empty string. The HTML environment autoescapes; the Markdown one escapes every
``{{ }}`` through :func:`govkit.render.markdown.md_finalize`, so document text
is always data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from govkit.errors import ConfigError
from govkit.render.markdown import md_block, md_cell, md_escape, md_finalize, node_to_markdown
from govkit.resources import data_dir
from govkit.safe_text import visible

__all__ = ["Flavour", "make_environment", "render_template", "template_dirs"]

Flavour = Literal["markdown", "html"]


def template_dirs(user: str | Path | None) -> list[Path]:
    """The template folders in search order: the user's (when given), then the built-ins."""
    dirs = []
    if user is not None:
        folder = Path(user)
        if not folder.is_dir():
            raise ConfigError(
                f"--templates {folder}: no such folder; give a folder of .j2 templates "
                "named like the built-in ones (e.g. model_card.md.j2)"
            )
        dirs.append(folder.resolve())
    dirs.append(data_dir("templates").resolve())
    return dirs


def _html_finalize(value: object) -> object:
    """Jinja ``finalize`` for HTML: text from data shows its control characters.

    Autoescaping makes text inert as markup; this also keeps an ESC, a NUL or
    a bidi override from reaching the page (or the PDF) invisibly. Markup that
    govkit built itself passes unchanged.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value, keep_newlines=True)
    return value


def make_environment(flavour: Flavour, templates: str | Path | None = None) -> Environment:
    """A Jinja environment for Markdown or HTML output.

    Parameters
    ----------
    flavour
        ``"markdown"`` (escape with Markdown rules) or ``"html"`` (autoescape).
    templates
        A folder whose templates override the built-in ones of the same name.
    """
    loader = ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(templates)])
    if flavour == "markdown":
        env = Environment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,
            finalize=md_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(
            md_node=node_to_markdown, md_block=md_block, md_cell=md_cell, md_escape=md_escape
        )
    else:
        env = Environment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=True,
            finalize=_html_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return env


def render_template(env: Environment, name: str, **context: object) -> str:
    """Render one template; a template error names the template, never the context."""
    try:
        return env.get_template(name).render(**context)
    except KeyError as err:
        raise ConfigError(f"template {name}: {err.args[0] if err.args else err}") from err
    except TemplateError as err:
        # The message names the template and the line; the context (document
        # text) stays out of it, so a CI log never shows card contents.
        where = getattr(err, "filename", None) or name
        line = getattr(err, "lineno", None)
        loc = f"{where}:{line}" if line else where
        raise ConfigError(f"template {loc}: {type(err).__name__}: {err.message or err}") from err

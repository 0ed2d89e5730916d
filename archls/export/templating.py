"""Sandboxed Jinja2 for the text targets.

Two environments, both :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` (templates cannot
call unsafe methods nor change the data they are given):

- markup (``*.svg.j2``, ``*.html.j2``, ``*.xml.j2``): autoescaped, as the output is markup;
- text (everything else: HCL, nginx, Prisma, DOT, Mermaid, Markdown, Dockerfiles, Python, ...):
  no HTML escaping, since it would corrupt those languages, but a ``finalize`` hook that refuses
  any plain string. Text reaches the output only through a quoting filter from
  :mod:`archls.export.quoting` or as a :class:`~archls.export.quoting.Safe` identifier, so a
  template that forgets to quote fails loudly in the tests instead of writing injectable text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from archls.export import quoting
from archls.export.quoting import Safe

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKUP_SUFFIXES = (".svg.j2", ".html.j2", ".xml.j2")


class UnquotedValue(TemplateError):
    pass


def _guard(value: Any) -> Any:
    if isinstance(value, Safe | Markup):
        return value
    if isinstance(value, bool) or value is None:
        raise UnquotedValue(f"{value!r} reached a template unquoted; use a quoting filter")
    if isinstance(value, int | float):
        return quoting.hcl_value(value)  # numbers print the same in every language we write
    raise UnquotedValue(f"text {str(value)[:60]!r} reached a template unquoted; use a quoting filter")


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between runs: compiling them is most of a cold export's time."""
    from archls.paths import cache_dir

    folder = cache_dir("templates")
    return FileSystemBytecodeCache(str(folder)) if folder is not None else None


def _environment(**options: Any) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        bytecode_cache=_bytecode_cache(),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    env.filters.update(quoting.FILTERS)
    # lowerCamel from a PascalCase identifier (still an identifier)
    env.filters["lower_first"] = lambda v: Safe(v[:1].lower() + v[1:]) if isinstance(v, Safe) else _guard(v)
    return env


@cache
def text_env() -> ImmutableSandboxedEnvironment:
    return _environment(autoescape=False, finalize=_guard)


@cache
def markup_env() -> ImmutableSandboxedEnvironment:
    return _environment(autoescape=True)


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with the environment its suffix calls for."""
    env = markup_env() if template.endswith(MARKUP_SUFFIXES) else text_env()
    return env.get_template(template).render(**context)


def render_string(source: str, *, markup: bool = False, **context: Any) -> str:
    env = markup_env() if markup else text_env()
    return env.from_string(source).render(**context)

"""What is wrong in a template's source, found without rendering it (so in every branch).

- a syntax error, said at the line of the real mistake: the line that opened a block
  never closed (Jinja reports the end of the file), the `{{ x }` with one brace;
- an `{% include %}` / `{% extends %}` of a file that does not exist, with the closest
  shared file and the list of them;
- a name templates are not given (`coupon_code`), or an attribute the value does not have
  (`customer.frist_name`, `item.nme` in a `{% for item in items %}`), with the closest
  name the context really has (`rendering.context`);
- a number written as shops print money (`2.000,00`), which Jinja would read as two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from journey_schema.expressions import number_format_problem
from journey_schema.suggestions import closest
from rendering.context import (
    CONTEXT_NAMES,
    message_context,
    sample_cart,
    sample_links,
    sample_live,
)

# Tags that open a block closed by `end<tag>` (`set` only without `=`: `{% set x %}...`).
_BLOCK_TAGS = frozenset(
    {"if", "for", "block", "macro", "call", "filter", "with", "autoescape", "set", "trans"}
)
_TAGS = (
    "if", "elif", "else", "endif", "for", "endfor", "block", "endblock", "extends",
    "include", "import", "from", "set", "endset", "macro", "endmacro", "call", "endcall",
    "filter", "endfilter", "with", "endwith", "raw", "endraw",
)  # fmt: skip
_TAG_ALIASES = {"elseif": "elif", "elsif": "elif"}
_UNKNOWN_TAG = re.compile(r"Encountered unknown tag '(\w+)'")
_EXPECTED_TOKEN = re.compile(r"expected token '([^']+)', got '([^']*)'")
_TOKEN_WORDS = {"end of print statement": "}}", "end of statement block": "%}"}


def source_problems(environment: SandboxedEnvironment, path: str) -> list[str]:
    """Every problem in one template file's source, each `template <path> line N: ...`."""
    source = environment.loader.get_source(environment, path)[0]  # type: ignore[union-attr]
    try:
        tree = environment.parse(source, name=path)
    except TemplateSyntaxError as exc:
        line, text = _syntax_problem(environment, source, exc)
        return [f"template {path} line {line}: syntax error: {text}"]
    problems = [
        *_number_problems(environment, source, path),
        *_missing_files(environment, tree, path),
        *_unknown_names(environment, tree, path),
    ]
    return [f"template {path} line {line}: {text}" for line, text in sorted(problems)]


# --- syntax ------------------------------------------------------------------------------


def _syntax_problem(
    environment: SandboxedEnvironment, source: str, exc: TemplateSyntaxError
) -> tuple[int, str]:
    message = exc.message or ""
    line = exc.lineno
    open_blocks = _open_blocks(environment, source, upto=line)
    if message.startswith("Unexpected end of template") and open_blocks:
        tag, opened = open_blocks[-1]
        return opened, (
            f"`{{% {tag} %}}` is opened here and never closed: add `{{% end{tag} %}}` "
            f"where the {tag} should end"
        )
    unknown = _UNKNOWN_TAG.match(message)
    if unknown:
        return line, _unknown_tag(unknown.group(1), open_blocks)
    source_line = source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else ""
    if message.startswith("unexpected '}'"):
        if re.search(r"\{%(?:(?!%\}).)*\}", source_line):
            return line, "a `{%` is closed with `}`: write `%}`"
        return line, "a `{{` is closed with a single `}`: write `}}`"
    expected = _EXPECTED_TOKEN.match(message)
    if expected:
        wanted, got = expected.groups()
        if got == "if" and re.search(r"\{%-?\s*else\s+if\b", source_line):
            return line, "`{% else if %}` is written `{% elif ... %}` in a template"
        wanted = _TOKEN_WORDS.get(wanted, wanted)
        return line, f"expected `{wanted}` before {got!r}"
    if message.startswith("Missing end of comment tag"):
        return line, "a comment `{#` is never closed: add `#}`"
    if message.startswith("unexpected char '\"'") or message.startswith('unexpected char "\'"'):
        return line, "a text in quotes is never closed: add the closing quote"
    if message.startswith("Unexpected end of template"):
        return line, "the file ends inside a `{{ ... }}` or `{% ... %}`: close it"
    return line, message


def _unknown_tag(tag: str, open_blocks: list[tuple[str, int]]) -> str:
    if tag.startswith("end") and tag[3:] in _BLOCK_TAGS:
        if not open_blocks:
            return (
                f"`{{% {tag} %}}` closes nothing: remove it, or add the "
                f"`{{% {tag[3:]} ... %}}` it belongs to"
            )
        inner, opened = open_blocks[-1]
        return (
            f"`{{% {tag} %}}` does not match the `{{% {inner} %}}` opened at line {opened}: "
            f"close that one first with `{{% end{inner} %}}`"
        )
    match = _TAG_ALIASES.get(tag) or closest(tag, _TAGS)
    hint = f": did you mean `{{% {match} %}}`?" if match else ""
    return f"`{{% {tag} %}}` is not a template tag{hint}"


def _open_blocks(
    environment: SandboxedEnvironment, source: str, *, upto: int
) -> list[tuple[str, int]]:
    """The blocks still open (tag, line opened) when the lexer reaches line `upto`."""
    stack: list[tuple[str, int]] = []
    tag: tuple[str, int] | None = None  # the tag of the `{% ... %}` being read
    expect_tag = False
    try:
        for lineno, kind, value in environment.lex(source):
            if lineno > upto:
                break
            if kind == "whitespace":
                continue
            if kind == "block_begin":
                expect_tag, tag = True, None
                continue
            if expect_tag and kind == "name":
                tag = (value, lineno)
            elif kind == "operator" and value == "=" and tag and tag[0] == "set":
                tag = None  # `{% set x = 1 %}` opens nothing
            elif kind == "block_end" and tag:
                name, opened = tag
                if name in _BLOCK_TAGS:
                    stack.append((name, opened))
                elif name.startswith("end") and stack and stack[-1][0] == name[3:]:
                    stack.pop()
            expect_tag = False
    except TemplateSyntaxError:
        pass  # the lexer stops at the same mistake; what it read so far is what we know
    return stack


# --- numbers -----------------------------------------------------------------------------


def _number_problems(
    environment: SandboxedEnvironment, source: str, path: str
) -> Iterator[tuple[int, str]]:
    """`{{ 2.000,00 | money(...) }}`: Jinja reads 2.000 and 00, and renders a pair."""
    tokens = [token for token in environment.lex(source, name=path) if token[1] != "whitespace"]
    for index in range(len(tokens) - 2):
        (line, first, value), (_, _, comma), (_, last, rest) = tokens[index : index + 3]
        if first in ("integer", "float") and comma == "," and last in ("integer", "float"):
            written = f"{value},{rest}"
            # Only when written without a space: `money(2, 3)` is two arguments.
            if written in source and (problem := number_format_problem(written)):
                yield line, problem


# --- included files ----------------------------------------------------------------------


def _missing_files(
    environment: SandboxedEnvironment, tree: nodes.Template, path: str
) -> Iterator[tuple[int, str]]:
    existing = environment.list_templates()
    shared = [name for name in existing if name.startswith("_")]
    for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
        named = getattr(node, "template", None)  # each of the four has one
        if not isinstance(named, nodes.Const) or not isinstance(named.value, str):
            continue
        name = named.value
        if name in existing:
            continue
        match = closest(name, shared) or closest(name, existing)
        files = ", ".join(shared) if shared else "none yet"
        if match:
            text = f'; did you mean "{match}"? The shared files are {files}'
        else:
            text = f"; the shared files are {files}"
        yield node.lineno, f'the file "{name}" does not exist{text}'


# --- names -------------------------------------------------------------------------------


@cache
def _context_keys() -> dict[str, tuple[str, ...]]:
    """The keys of each mapping templates are given: customer, and each of items."""
    cart = sample_cart("en")
    # With a coupon, so `coupon.cod` is caught too (a step without one refuses `coupon`).
    context = message_context(
        cart, sample_links(cart), sample_live(cart, coupon=True, minimal=True)
    )
    keys = {name: tuple(value) for name, value in context.items() if isinstance(value, dict)}
    keys["items[]"] = tuple(context["items"][0])
    return keys


def _unknown_names(
    environment: SandboxedEnvironment, tree: nodes.Template, path: str
) -> Iterator[tuple[int, str]]:
    given = CONTEXT_NAMES | set(environment.globals)
    unknown = meta.find_undeclared_variables(tree) - given
    first_line: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in unknown:
            first_line.setdefault(node.name, node.lineno)
    for name in sorted(unknown):
        yield first_line.get(name, 1), _unknown_variable(name)
    yield from _unknown_attributes(tree)


def _unknown_variable(name: str) -> str:
    match = closest(name, CONTEXT_NAMES)
    if match is None:
        # `first_name` alone, or misspelt: a key of customer or of an item, said in full
        nested = {
            key: f"{'item' if owner == 'items[]' else owner}.{key}"
            for owner, keys in _context_keys().items()
            for key in keys
        }
        leaf = closest(name, nested) if name not in nested else name
        match = nested[leaf] if leaf else None
    if match:
        return f"unknown variable {name!r}; did you mean {match!r}?"
    return f"unknown variable {name!r}; templates can use {', '.join(sorted(CONTEXT_NAMES))}"


def _unknown_attributes(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """`customer.frist_name`: StrictUndefined would fail only in the branch that runs it."""
    keys = _context_keys()
    assigned: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.ctx in ("store", "param"):
            assigned[node.name] = assigned.get(node.name, 0) + 1
    # What each name holds: a mapping of the context, or one of `items` in a for loop.
    holds = {name: keys[name] for name in keys if name in CONTEXT_NAMES and name not in assigned}
    loops = [
        loop.target.name
        for loop in tree.find_all(nodes.For)
        if isinstance(loop.target, nodes.Name)
        and isinstance(loop.iter, nodes.Name)
        and loop.iter.name == "items"
    ]
    for name in set(loops):
        if assigned.get(name) == loops.count(name):  # assigned by these loops only
            holds[name] = keys["items[]"]
    for found in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attribute = _attribute_of(found)
        target = getattr(found, "node", None)
        if attribute is None or not isinstance(target, nodes.Name) or target.ctx != "load":
            continue
        names = holds.get(target.name)
        if names is None or attribute in names or hasattr(dict, attribute):
            continue
        match = closest(attribute, names)
        hint = f"did you mean '{target.name}.{match}'? " if match else ""
        yield (
            found.lineno,
            (
                f"unknown variable '{target.name}.{attribute}'; {hint}"
                f"{target.name} has {', '.join(names)}"
            ),
        )


def _attribute_of(node: Any) -> str | None:
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        value = node.arg.value
        return value if isinstance(value, str) else None
    return None

"""The condition language of `entry.when` and `branch`: small, typed, never `eval`.

    cart.total >= 50 and customer.language == "tr"
    "SKU-1" in cart.skus or not customer.consent.sms

The text is parsed with `ast` and compiled, node by node from an allow-list, into plain
Python closures; anything else (calls, subscripts, `cart.__class__`, arithmetic) is
refused with a message naming it. Names have types, so `cart.total > "50"` is refused when
the journey loads rather than being silently false for every cart.

It runs inside the Temporal workflow sandbox: stdlib only, deterministic, no I/O.
Numbers compare as Decimal, exactly as written (`49.90` is Decimal("49.90")). A missing
optional value (a customer without a first name) is None: equal to nothing, ordered
before nothing, in nothing.
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

NUMBER = "a number"
TEXT = "text"
BOOL = "true/false"
TEXT_LIST = "a list of text"
NUMBER_LIST = "a list of numbers"
EMPTY_LIST = "an empty list"

# Every name an expression may use, with its type; journeys/README.md documents them.
NAMES: dict[str, str] = {
    "cart.total": NUMBER,
    "cart.currency": TEXT,
    "cart.item_count": NUMBER,
    "cart.quantity": NUMBER,
    "cart.skus": TEXT_LIST,
    "cart.shop": TEXT,
    "customer.id": TEXT,
    "customer.locale": TEXT,
    "customer.language": TEXT,
    "customer.timezone": TEXT,
    "customer.first_name": TEXT,
    "customer.has_email": BOOL,
    "customer.has_phone": BOOL,
    "customer.consent.email": BOOL,
    "customer.consent.sms": BOOL,
    "customer.consent.push": BOOL,
    "customer.orders_count": NUMBER,
    "customer.tags": TEXT_LIST,
    "customer.coupons_sent_30d": NUMBER,
    "customer.recovered_carts_90d": NUMBER,
    "cart.out_of_stock_count": NUMBER,
}

# Names whose value is not in the cart: an activity looks them up when a condition that
# uses them is evaluated (workflows/payloads.py CustomerFacts), never the workflow itself.
LOOKED_UP = frozenset(
    {"customer.coupons_sent_30d", "customer.recovered_carts_90d", "cart.out_of_stock_count"}
)

_BOOL_WORDS = {"true": True, "false": False, "True": True, "False": False}

_LIST_OF = {NUMBER: NUMBER_LIST, TEXT: TEXT_LIST}

_Values = Mapping[str, object]
_Code = Callable[[_Values], Any]


def check(text: str) -> None:
    """Raise ValueError with a precise message when `text` is not a valid condition."""
    _compile(text)


def evaluate(text: str, values: Mapping[str, object]) -> bool:
    """Whether the condition holds for these values of NAMES (check() it first: this raises
    the same). workflows.cart_values gives them for a cart."""
    return bool(_compile(text)(values))


def looked_up_names(text: str) -> frozenset[str]:
    """The LOOKED_UP names a (valid) condition uses: what must be looked up to evaluate it."""
    return _looked_up(text)


@lru_cache(maxsize=512)
def _looked_up(text: str) -> frozenset[str]:
    tree = ast.parse(text.strip(), mode="eval")
    used = {_dotted(node) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return frozenset(name for name in used if name in LOOKED_UP)


def number_format_problem(written: str) -> str | None:
    """Why a number written with a thousands separator or a decimal comma is refused.

    `2.000,00` and `1,299.90` are how shops print money, not how a condition (or a
    template) reads a number: 2.000,00 would be two numbers, 2.0 and 0.
    """
    plain = _plain_number(written)
    if plain is None:
        return None
    problem = (
        f"{written!r} is not a number as cartnudge reads them: write {plain} "
        "(a point for decimals, no thousands separator)"
    )
    if _THOUSANDS_DOT.fullmatch(written) and written.count(".") == 1:
        problem += f", or {written.rstrip('0').rstrip('.')} if you mean decimals"
    return problem


def _has_thousands_dot(source: str) -> bool:
    return any(
        _THOUSANDS_DOT.fullmatch(match.group())
        for match in _NUMBER_LIKE.finditer(_outside_quotes(source))
    )


def _plain_number(written: str) -> str | None:
    """2.000,00 -> 2000.00, 1,299.90 -> 1299.90, 49,90 -> 49.90, 1.500 -> 1500; else None."""
    if not _NUMBER_LIKE.fullmatch(written) or not _SEPARATED.search(written):
        return None
    decimal_mark = max(".,", key=written.rfind) if "." in written and "," in written else None
    if decimal_mark is None:
        mark = "," if "," in written else "."
        groups = written.split(mark)
        if len(groups) == 2 and (len(groups[1]) != 3 or mark == ","):
            decimal_mark = mark  # 49,90; a single point with 3 decimals is a thousands dot
        if mark == "," and len(groups) == 2 and len(groups[1]) == 3 and len(groups[0]) <= 3:
            decimal_mark = None  # 1,299: thousands
    if decimal_mark is None:
        return written.replace(".", "").replace(",", "")
    whole, _, fraction = written.rpartition(decimal_mark)
    return f"{whole.replace('.', '').replace(',', '')}.{fraction}"


# A run of digits with points or commas inside; separated: a comma, two points, or a point
# before exactly three digits at the end (1.500 is fifteen hundred in Turkish or German).
_NUMBER_LIKE = re.compile(r"\d[\d.,]*\d")
_THOUSANDS_DOT = re.compile(r"[1-9]\d{0,2}(\.\d{3})+")
_SEPARATED = re.compile(r",|\..*\.|^[1-9]\d{0,2}\.\d{3}$")
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
# Operators as other languages and spreadsheets write them, and what conditions write.
_OPERATOR_TYPOS = (
    (re.compile(r"=>"), "=>", ">="),
    (re.compile(r"=<"), "=<", "<="),
    (re.compile(r"<>"), "<>", "!="),
    (re.compile(r"(?<![=!<>])=(?!=)"), "=", "=="),
    (re.compile(r"&&"), "&&", "and"),
    (re.compile(r"\|\|"), "||", "or"),
)


def _outside_quotes(text: str) -> str:
    """The text with every quoted part blanked, so "a=b" in quotes is not read as code."""
    return _STRING.sub(lambda match: " " * len(match.group()), text)


def _written_problem(text: str) -> str | None:
    """A number or an operator written the way another language would, said plainly."""
    code = _outside_quotes(text)
    for number in _NUMBER_LIKE.finditer(code):
        problem = number_format_problem(number.group())
        if problem:
            return problem
    for pattern, wrong, right in _OPERATOR_TYPOS:
        typo = pattern.search(code)
        if typo:
            fixed = text[: typo.start()] + right + text[typo.end() :]
            return f"`{wrong}` is not an operator: did you mean `{right}`? ({fixed})"
    return None


@lru_cache(maxsize=512)
def _compile(text: str) -> _Code:
    if not text.strip():
        raise ValueError("the condition is empty")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        problem = _written_problem(source)
        if problem:
            raise ValueError(problem) from None
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ValueError(f"syntax error{where}: {exc.msg}") from None
    if isinstance(tree.body, ast.Tuple) or _has_thousands_dot(source):
        # `cart.total >= 49,90` parses as a pair; `>= 1.500` as 1.5: both are typos.
        problem = _written_problem(source)
        if problem:
            raise ValueError(problem)
    code, kind = _Compiler(source).node(tree.body)
    if kind not in (BOOL, TEXT) or (isinstance(tree.body, ast.Constant) and kind == TEXT):
        # A quoted condition or a bare list is always true or false: a mistake.
        raise ValueError(
            f"{text.strip()!r} is not a condition: compare something, e.g. cart.total >= 50"
        )
    return code


class _Compiler:
    """Turns allowed ast nodes into closures over the cart's values, with their types."""

    def __init__(self, source: str) -> None:
        self.source = source

    def text_of(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def node(self, node: ast.expr) -> tuple[_Code, str]:
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.List | ast.Tuple):
            return self.literal_list(node)
        raise ValueError(f"{_describe(node)} is not allowed: {self.text_of(node)!r}")

    def bool_op(self, node: ast.BoolOp) -> tuple[_Code, str]:
        parts = [self.node(value)[0] for value in node.values]
        if isinstance(node.op, ast.And):
            return (lambda values: all(part(values) for part in parts)), BOOL
        return (lambda values: any(part(values) for part in parts)), BOOL

    def unary(self, node: ast.UnaryOp) -> tuple[_Code, str]:
        if isinstance(node.op, ast.Not):
            operand, _ = self.node(node.operand)
            return (lambda values: not operand(values)), BOOL
        if isinstance(node.op, ast.USub) and _is_number(node.operand):
            number = -_decimal(self.text_of(node.operand))
            return (lambda values: number), NUMBER
        raise ValueError(f"arithmetic is not allowed: {self.text_of(node)!r}")

    def compare(self, node: ast.Compare) -> tuple[_Code, str]:
        for op in node.ops:
            if isinstance(op, ast.Is | ast.IsNot):
                raise ValueError(f"`{_SYMBOLS[type(op)]}` is not allowed: use == or !=")
        operands = [node.left, *node.comparators]
        compiled = [self.node(operand) for operand in operands]
        checks: list[Callable[[object, object], bool]] = []
        for index, op in enumerate(node.ops):
            (_, left_type), (_, right_type) = compiled[index], compiled[index + 1]
            self.check_types(op, operands[index], left_type, operands[index + 1], right_type)
            checks.append(_COMPARISONS[type(op)])
        codes = [code for code, _ in compiled]

        def run(values: _Values) -> bool:
            # Chained like Python: 0 < cart.total < 100 means both comparisons hold.
            left = codes[0](values)
            for check_pair, code in zip(checks, codes[1:], strict=True):
                right = code(values)
                if not check_pair(left, right):
                    return False
                left = right
            return True

        return run, BOOL

    def check_types(
        self, op: ast.cmpop, left: ast.expr, left_type: str, right: ast.expr, right_type: str
    ) -> None:
        symbol = _SYMBOLS[type(op)]
        left_text, right_text = self.text_of(left), self.text_of(right)
        if isinstance(op, ast.In | ast.NotIn):
            if right_type == TEXT and left_type == TEXT:
                return
            if right_type in (EMPTY_LIST, _LIST_OF.get(left_type)):
                return
            raise ValueError(
                f"`{symbol}` needs {left_text!r} ({left_type}) on the left and a list of the "
                f"same kind on the right, not {right_text!r} ({right_type})"
            )
        if isinstance(op, ast.Eq | ast.NotEq):
            if left_type == right_type or EMPTY_LIST in (left_type, right_type):
                return
        elif left_type == NUMBER and right_type == NUMBER:
            return
        else:
            raise ValueError(
                f"`{symbol}` compares numbers only: {left_text!r} is {left_type} "
                f"and {right_text!r} is {right_type}"
            )
        raise ValueError(
            f"{left_text!r} ({left_type}) is compared with {right_text!r} ({right_type}): "
            "that is never equal"
        )

    def constant(self, node: ast.Constant) -> tuple[_Code, str]:
        value = node.value
        if isinstance(value, bool):
            return (lambda values: value), BOOL
        if isinstance(value, int | float):
            number = _decimal(self.text_of(node))
            return (lambda values: number), NUMBER
        if isinstance(value, str):
            return (lambda values: value), TEXT
        raise ValueError(
            f"{self.text_of(node)!r} is not allowed: use numbers, text in quotes, true or false"
        )

    def name(self, node: ast.Name) -> tuple[_Code, str]:
        if node.id in _BOOL_WORDS:
            flag = _BOOL_WORDS[node.id]
            return (lambda values: flag), BOOL
        if node.id in ("cart", "customer"):
            raise ValueError(
                f"{node.id!r} alone is not a value: use one of {_names_under(node.id)}"
            )
        raise ValueError(_unknown(node.id))

    def attribute(self, node: ast.Attribute) -> tuple[_Code, str]:
        path = _dotted(node)
        if path is None:
            raise ValueError(
                f"{self.text_of(node)!r} is not allowed: use a name such as cart.total"
            )
        if path not in NAMES:
            raise ValueError(_unknown(path))
        return (lambda values: values[path]), NAMES[path]

    def literal_list(self, node: ast.List | ast.Tuple) -> tuple[_Code, str]:
        items = [self.node(element) for element in node.elts]
        kinds = {kind for _, kind in items}
        if not items:
            return (lambda values: []), EMPTY_LIST
        if len(kinds) > 1 or not all(_is_literal(element) for element in node.elts):
            raise ValueError(
                f"a list holds numbers only or text only, written out: {self.text_of(node)!r}"
            )
        kind = kinds.pop()
        if kind not in _LIST_OF:
            raise ValueError(f"a list holds numbers or text, not {kind}: {self.text_of(node)!r}")
        constants = [code({}) for code, _ in items]
        return (lambda values: constants), _LIST_OF[kind]


def _decimal(literal: str) -> Decimal:
    # From the source text, not the float: 49.90 means exactly Decimal("49.90").
    return Decimal(literal.replace("_", ""))


def _is_number(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _is_number(node.operand)
    return isinstance(node, ast.Constant)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return None if parent is None else f"{parent}.{node.attr}"
    return None


def _names_under(prefix: str) -> str:
    return ", ".join(name for name in NAMES if name.startswith(f"{prefix}."))


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, NAMES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known names: {', '.join(NAMES)}"
    return f"unknown name {name!r}{hint}"


def _describe(node: ast.AST) -> str:
    kinds: dict[type[ast.AST], str] = {
        ast.Call: "calling a function",
        ast.Subscript: "indexing with [...]",
        ast.BinOp: "arithmetic",
        ast.Lambda: "lambda",
        ast.IfExp: "`x if y else z`",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.NamedExpr: "assignment",
        ast.JoinedStr: "an f-string",
    }
    return kinds.get(type(node), f"syntax {type(node).__name__}")


def _equal(left: object, right: object) -> bool:
    return left is not None and right is not None and left == right


def _not_equal(left: object, right: object) -> bool:
    return not _equal(left, right)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[object, object], bool]:
    def run(left: object, right: object) -> bool:
        # A missing value is not smaller or larger than anything.
        if left is None or right is None:
            return False
        return compare(left, right)

    return run


def _contains(left: object, right: object) -> bool:
    if left is None or right is None:
        return False
    return left in right  # type: ignore[operator]


def _not_contains(left: object, right: object) -> bool:
    return not _contains(left, right)


_COMPARISONS: dict[type[ast.cmpop], Callable[[object, object], bool]] = {
    ast.Eq: _equal,
    ast.NotEq: _not_equal,
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
    ast.In: _contains,
    ast.NotIn: _not_contains,
}

_SYMBOLS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}

"""`${name}` variable expansion and run-condition expressions of step-based scenarios (used by `engine.py`).

Both are small stand-ins for DSS's variable expansion and formula language: enough for the conditions a generated
scenario writes (`outcome == 'SUCCESS'`, `stepOutcome_Deploy != 'FAILED' && ${flag} == 'true'`). No `eval`.
"""

from __future__ import annotations

import json
import re
from typing import Any, List, Mapping, Optional

_VAR = re.compile(r"\$\{([^}]*)\}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def expand(value: Any, variables: Mapping[str, Any], unknown: Optional[List[str]] = None) -> Any:
    """Replace `${name}` by `variables[name]` in every string of `value` (dicts and lists are walked).

    Non-string variable values are written as JSON (`true`, `3`). [I] A reference to an undefined variable is left
    as it is, as DSS does for an unknown variable; its name is appended to `unknown` so the caller can log it.
    """
    if isinstance(value, str):
        def repl(match: re.Match) -> str:
            name = match.group(1).strip()
            if name in variables:
                return _text(variables[name])
            if unknown is not None and name not in unknown:
                unknown.append(name)
            return match.group(0)

        return _VAR.sub(repl, value)
    if isinstance(value, list):
        return [expand(v, variables, unknown) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, variables, unknown) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------------------ conditions
class ExpressionError(ValueError):
    """A run-condition expression the simulator cannot parse."""


_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<var>\$\{[^}]*\})
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()=])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
)""", re.VERBOSE)

_KEYWORDS = {"true": True, "false": False, "null": None}


def _tokens(expression: str) -> List[tuple]:
    out, pos = [], 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError("Cannot parse %r at position %d" % (expression, pos))
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0")
    return bool(value)


def _operand(value: Any) -> str:
    return "" if value is None else _text(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    try:  # numbers compare as numbers, everything else as text
        a, b = float(left), float(right)
    except (TypeError, ValueError):
        a, b = _operand(left), _operand(right)
    if op in ("==", "="):
        return a == b
    if op == "!=":
        return a != b
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]  # type: ignore[operator]
    except TypeError as exc:
        raise ExpressionError("Cannot compare %r %s %r" % (left, op, right)) from exc


class _Parser:
    def __init__(self, expression: str, variables: Mapping[str, Any]) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.pos = 0
        self.variables = variables

    def peek(self) -> Optional[tuple]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple:
        token = self.peek()
        if token is None:
            raise ExpressionError("Unexpected end of %r" % self.expression)
        self.pos += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[0] in ("op", "name") and token[1] in values

    def parse(self) -> bool:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError("Unexpected %r in %r" % (self.peek()[1], self.expression))
        return _truthy(value)

    def or_(self) -> Any:
        value = self.and_()
        while self.at("||", "or"):
            self.take()
            right = self.and_()
            value = _truthy(value) or _truthy(right)
        return value

    def and_(self) -> Any:
        value = self.not_()
        while self.at("&&", "and"):
            self.take()
            right = self.not_()
            value = _truthy(value) and _truthy(right)
        return value

    def not_(self) -> Any:
        if self.at("!", "not"):
            self.take()
            return not _truthy(self.not_())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.atom()
        if self.at("==", "=", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            return _compare(op, left, self.atom())
        return left

    def atom(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "num":
            return float(text)
        if kind == "var":
            return self.variables.get(text[2:-1].strip())
        if kind == "name":
            if text in _KEYWORDS:
                return _KEYWORDS[text]
            return self.variables.get(text)  # an undefined variable is null
        if text == "(":
            value = self.or_()
            if self.take() != ("op", ")"):
                raise ExpressionError("Missing ')' in %r" % self.expression)
            return value
        raise ExpressionError("Unexpected %r in %r" % (text, self.expression))


def evaluate(expression: str, variables: Mapping[str, Any]) -> bool:
    """Evaluate a run condition. [I] A subset of the DSS formula language: literals ('text', "text", numbers,
    true/false/null), variable names and `${name}`, == (or =) != < > <= >=, && || ! (or and/or/not), parentheses.
    Raises ExpressionError on anything else."""
    if not expression or not expression.strip():
        raise ExpressionError("The run condition expression is empty")
    return _Parser(expression, variables).parse()

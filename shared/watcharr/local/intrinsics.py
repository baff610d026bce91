"""CloudFormation's intrinsic functions as local mode resolves them: Ref, Sub, If, Split, conditions.

Only what the template needs locally is resolved (parameters, pseudo parameters, queue names and
ARNs); anything that would need a deployed resource raises ``TemplateError`` instead of being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from watcharr.local.state import ACCOUNT_ID, REGION

# Pseudo parameters as seen locally; only names built from them (queue names) matter here.
_LOCAL_PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
# What `!Ref AWS::NoValue` resolves to: the property or list item is left out.
_NO_VALUE = object()


class TemplateError(ValueError):
    """The template holds something local mode cannot honour faithfully."""


class Resolver:
    """Evaluates the intrinsics that need no deployed resource; references to resources stay as they are."""

    def __init__(self, template: dict[str, Any], stack_name: str, overrides: Mapping[str, str]) -> None:
        self._mappings: dict[str, Any] = template.get("Mappings") or {}
        self._condition_defs: dict[str, Any] = template.get("Conditions") or {}
        self._conditions: dict[str, bool] = {}
        self.pseudo = {**_LOCAL_PSEUDO_PARAMETERS, "AWS::StackName": stack_name}
        self.parameters = read_parameters(template.get("Parameters") or {}, overrides)

    def is_created(self, resource: dict[str, Any]) -> bool:
        condition = resource.get("Condition")
        return condition is None or self.condition(condition)

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self._condition_defs:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(self._condition_defs[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self.resolve(item) for item in value)
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            entries = ((key, self.resolve(item)) for key, item in value.items())
            return {key: item for key, item in entries if item is not _NO_VALUE}
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg == "AWS::NoValue":
                return _NO_VALUE
            if arg in self.parameters:
                return self.parameters[arg]
            if arg in self.pseudo:
                return self.pseudo[arg]
            return value
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::FindInMap":
            map_name, top, second = (self.resolve(part) for part in arg)
            try:
                return self._mappings[map_name][top][second]
            except KeyError as error:
                raise TemplateError(f"Fn::FindInMap found nothing at {map_name}/{top}/{second}") from error
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if key == "Fn::Equals":
            left, right = self.resolve(arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(arg))
        if key == "Fn::Or":
            return any(self.resolve(arg))
        resolved = self.resolve(arg)
        if key == "Fn::Join" and is_literal(resolved):
            separator, parts = resolved
            return separator.join(str(part) for part in parts)
        if key == "Fn::Split" and is_literal(resolved):
            separator, text = resolved
            return str(text).split(str(separator))
        if key == "Fn::Select" and is_literal(resolved):
            index, items = resolved
            return items[int(index)]
        # A value known only once deployed (a resource's ARN or URL): the caller decides what it means.
        return {key: resolved}

    def _sub(self, arg: Any) -> Any:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
        known = {**self.pseudo, **self.parameters, **variables}
        names = _SUB_VARIABLE.findall(text)
        if not all(name in known and is_literal(known[name]) for name in names):
            return {"Fn::Sub": text if not variables else [text, variables]}
        # `${!Name}` is Fn::Sub's escape for a literal `${Name}`.
        return _SUB_VARIABLE.sub(lambda match: str(known[match[1]]), text).replace("${!", "${")


def read_parameters(declared: dict[str, Any], overrides: Mapping[str, str]) -> dict[str, str | int | float]:
    """The template's parameters: overrides where given, defaults otherwise, checked as CloudFormation does."""
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"no such parameter(s): {', '.join(sorted(unknown))}")
    values: dict[str, str | int | float] = {}
    for name, spec in declared.items():
        raw = overrides.get(name, spec.get("Default"))
        if raw is None:
            raise TemplateError(f"parameter {name} has no default and no override")
        values[name] = _parameter_value(name, spec, raw)
    return values


def _parameter_value(name: str, spec: dict[str, Any], raw: Any) -> str | int | float:
    if spec.get("Type") != "Number":
        text = str(raw)
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(pattern, text) is None:
            raise TemplateError(f"parameter {name}={text!r} does not match {pattern}")
        return text
    try:
        number: int | float = int(raw) if re.fullmatch(r"-?\d+", str(raw)) else float(raw)
    except ValueError as error:
        raise TemplateError(f"parameter {name} must be a number, not {raw!r}") from error
    low, high = spec.get("MinValue"), spec.get("MaxValue")
    if (low is not None and number < float(low)) or (high is not None and number > float(high)):
        raise TemplateError(f"parameter {name}={number} is outside [{low}, {high}]")
    return number


def is_literal(value: Any) -> bool:
    """Whether ``value`` is plain data, with no intrinsic function left in it."""
    if isinstance(value, list):
        return all(is_literal(item) for item in value)
    return not isinstance(value, dict)

"""One loader for every YAML file the project reads: rule packs, a bank's policy, scenario files,
the delinquency bucket rules.

A file is read keeping the line of every key and list item, then validated into a pydantic model
(``extra="forbid"``, strict types). Whatever is wrong is raised as one :class:`YamlFileError` (or
the subclass the caller names) that says the file, the line, the key and the problem, in every
language of the catalogue::

    rules.yaml, line 4: buckets[1].hihg is not a known key here; known keys: name, low, high
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from arrears.errors import ArrearsError, InvalidFileError, echo, validation_message
from arrears.i18n import N_, Text

M = TypeVar("M", bound=BaseModel)
Key = tuple[str | int, ...]

THE_FILE = N_("the file")
"""How a problem names the whole document (it has no key)."""
MAX_PROBLEMS = 10
"""Problems one error lists, at most (the rest are counted)."""


class FileModel(BaseModel):
    """The base of every model a file is read into: unknown keys refused, types strict, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class YamlFileError(InvalidFileError):
    """A YAML file the project loads is unreadable, not YAML, or not of the expected shape."""

    code = "invalid_yaml_file"
    default_message = N_("The YAML file cannot be used")


TYPE_NAMES: dict[str, str] = {
    "int_type": N_("a whole number"),
    "int_parsing": N_("a whole number"),
    "int_from_float": N_("a whole number"),
    "float_type": N_("a number"),
    "string_type": N_("text"),
    "bool_type": N_("true or false"),
    "list_type": N_("a list"),
    "tuple_type": N_("a list"),
    "dict_type": N_("a mapping of keys to values"),
    "model_type": N_("a mapping of keys to values"),
    "model_attributes_type": N_("a mapping of keys to values"),
    "date_type": N_("a date (YYYY-MM-DD)"),
    "datetime_type": N_("an instant with its UTC offset"),
    "time_type": N_("a time of day (HH:MM)"),
    "none_required": N_("empty (null)"),
}


@dataclass(frozen=True)
class Document:
    """A YAML document: its data, and the line of each key and list item (1-based)."""

    source: str
    data: Any
    lines: Mapping[Key, int]

    def line(self, key: Key) -> int:
        """The line of a key, or of the nearest enclosing key that the file holds."""
        for end in range(len(key), -1, -1):
            if key[:end] in self.lines:
                return self.lines[key[:end]]
        return 1


def read_yaml(path: Path, *, error: type[ArrearsError] = YamlFileError) -> Document:
    """A YAML file with the line of every key; an unreadable or malformed file raises ``error``."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as failure:
        reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else str(failure)
        raise error(N_("{file}: cannot be read: {reason}"), file=str(path), reason=echo(reason)) from None
    return parse_yaml(text, str(path), error=error)


def parse_yaml(text: str, source: str, *, error: type[ArrearsError] = YamlFileError) -> Document:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(source, None, {})
        data = loader.construct_document(node)
        lines = dict(_lines(loader, node, ()))
    except yaml.MarkedYAMLError as failure:
        mark = failure.problem_mark or failure.context_mark
        raise error(
            N_("{file}, line {line}: not valid YAML: {problem}"),
            file=source,
            line=mark.line + 1 if mark else 1,
            problem=echo(failure.problem or failure.context or "?"),
        ) from None
    except yaml.YAMLError as failure:
        raise error(N_("{file}: not valid YAML: {problem}"), file=source, problem=echo(failure)) from None
    finally:
        loader.dispose()
    return Document(source, data, lines)


def _lines(loader: yaml.SafeLoader, node: yaml.Node, key: Key) -> Iterator[tuple[Key, int]]:
    yield key, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            name = loader.construct_object(key_node, deep=True)
            if isinstance(name, str | int):
                yield (*key, name), key_node.start_mark.line + 1
                for inner in _lines(loader, value_node, (*key, name)):
                    if inner[0] != (*key, name):
                        yield inner
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(loader, item, (*key, index))


def validate(document: Document, model: type[M], *, error: type[ArrearsError] = YamlFileError) -> M:
    """The document as ``model``; every problem is named with its line and key in one ``error``."""
    if document.data is None:
        raise error(N_("{file}: the file is empty"), file=document.source)
    try:
        return model.model_validate(document.data)
    except ValidationError as failure:
        raise error(N_("{problems}"), problems=_problems(document, model, failure.errors())) from None


def validate_each(
    document: Document, key: Key, model: type[M], *, error: type[ArrearsError] = YamlFileError
) -> list[M | ArrearsError]:
    """Each item of the list at ``key`` as ``model``, or the error naming what is wrong with it:
    one bad item does not hide the good ones."""
    items = document.data
    for step in key:
        items = items[step]
    results: list[M | ArrearsError] = []
    for index, item in enumerate(items):
        try:
            results.append(model.model_validate(item))
        except ValidationError as failure:
            located: list[ErrorDetails] = []
            for detail in failure.errors():
                moved = detail.copy()
                moved["loc"] = (*key, index, *detail["loc"])
                located.append(moved)
            results.append(
                error(N_("{problems}"), problems=_problems(document, model, located, (*key, index)))
            )
    return results


def load_yaml(path: Path, model: type[M], *, error: type[ArrearsError] = YamlFileError) -> M:
    """Read and validate a YAML file in one step."""
    return validate(read_yaml(path, error=error), model, error=error)


def problem(document: Document, key: Key, message: str, /, **params: Any) -> Text:
    """One problem at ``key`` of a document, as its errors word it (for checks after validation)."""
    return Text.of(message, file=document.source, line=document.line(key), key=key_text(key) or "-", **params)


def _problems(document: Document, model: type[BaseModel], errors: list[ErrorDetails], root: Key = ()) -> Text:
    texts = [_problem(document, model, detail, root) for detail in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        texts.append(Text.of(N_("… and {count} more problems"), count=len(errors) - MAX_PROBLEMS))
    combined = texts[0]
    for text in texts[1:]:
        combined = Text.of(N_("{first}\n{second}"), first=combined, second=text)
    return combined


def _problem(document: Document, model: type[BaseModel], detail: ErrorDetails, root: Key) -> Text:
    key = data_key(document.data, detail["loc"])
    kind = detail["type"]
    where = {"file": document.source, "line": document.line(key), "key": key_text(key) or Text.of(THE_FILE)}
    value = echo(repr(detail.get("input")), 80)
    context = detail.get("ctx") or {}
    if kind == "missing":
        return Text.of(N_("{file}, line {line}: {key} is missing"), **where)
    if kind == "extra_forbidden":
        known = known_keys(model, key[len(root) : -1]) if key[: len(root)] == root else []
        if known:
            return Text.of(
                N_("{file}, line {line}: {key} is not a known key here; known keys: {known}"),
                known=", ".join(known),
                **where,
            )
        return Text.of(N_("{file}, line {line}: {key} is not a known key here"), **where)
    if kind in ("literal_error", "union_tag_invalid"):
        expected = str(context.get("expected") or context.get("expected_tags") or "").replace("'", "")
        if kind == "union_tag_invalid":
            value = echo(repr(context.get("tag")), 80)
        return Text.of(
            N_("{file}, line {line}: {key} {value} is not one of {expected}"),
            value=value,
            expected=expected,
            **where,
        )
    if kind in TYPE_NAMES:
        return Text.of(
            N_("{file}, line {line}: {key} {value} should be {expected}"),
            value=value,
            expected=Text.of(TYPE_NAMES[kind]),
            **where,
        )
    cause = context.get("error")
    if isinstance(cause, ArrearsError):
        return Text.of(
            N_("{file}, line {line}: {key}: {problem}"),
            problem=Text.of(cause.template, **cause.params),
            **where,
        )
    said = validation_message(detail)
    return Text.of(
        N_("{file}, line {line}: {key} {value}: {problem}"),
        value=value,
        problem=echo(detail["msg"]) if said is None else said,
        **where,
    )


def data_key(data: Any, loc: Sequence[str | int]) -> Key:
    """The path of a pydantic error's location in the data (union tags and the like left out)."""
    key: list[str | int] = []
    current = data
    for step in loc:
        in_list = isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current)
        if in_list or (isinstance(current, Mapping) and step in current):
            current = current[step]
            key.append(step)
        elif isinstance(current, Mapping) and isinstance(step, str) and step == loc[-1]:
            key.append(step)  # a missing key: named, but not in the data
            break
    return tuple(key)


def key_text(key: Key) -> str:
    """``scenarios[3].events[0].kind`` for ("scenarios", 3, "events", 0, "kind")."""
    text = ""
    for step in key:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def known_keys(model: type[BaseModel], key: Key) -> list[str]:
    """The keys the model allows at ``key`` (empty when the path leads to no model)."""
    found = _model_at(model, key)
    if found is None:
        return []
    return [field.alias or name for name, field in found.model_fields.items()]


def _model_at(annotation: Any, key: Key) -> type[BaseModel] | None:
    for candidate in _members(annotation):
        if not key:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                return candidate
            continue
        step, rest = key[0], key[1:]
        inner: Any = None
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            fields = {field.alias or name: field for name, field in candidate.model_fields.items()}
            if isinstance(step, str) and step in fields:
                inner = fields[step].annotation
        else:
            args = typing.get_args(candidate)
            origin = typing.get_origin(candidate)
            if origin in (list, tuple, Sequence) and isinstance(step, int) and args:
                inner = args[0]
            elif origin in (dict, Mapping) and len(args) == 2:
                inner = args[1]
        if inner is not None:
            found = _model_at(inner, rest)
            if found is not None:
                return found
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (an Annotated type unwrapped), or the annotation alone."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]

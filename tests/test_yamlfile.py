"""The one YAML loader: every problem named with its file, line and key, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from arrears.errors import InvalidFileError
from arrears.yamlfile import YamlFileError, load_yaml


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    size: int = 0


class Shelf(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: str = Field(max_length=20)
    items: list[Item] = Field(default_factory=list)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shelf.yaml"
    path.write_text(text, "utf-8")
    return path


def refusal(path: Path) -> YamlFileError:
    with pytest.raises(YamlFileError) as refused:
        load_yaml(path, Shelf)
    return refused.value


def test_a_good_file_loads(tmp_path: Path) -> None:
    shelf = load_yaml(write(tmp_path, "title: A\nitems:\n  - {name: x, size: 2}\n"), Shelf)
    assert shelf.items[0].size == 2


def test_an_unknown_key_is_named_with_its_line_and_the_known_keys(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "title: A\nitems:\n  - name: x\n    sise: 2\n"))
    message = error.message("en")
    assert "shelf.yaml, line 4: items[0].sise is not a known key here; known keys: name, size" in message
    assert "第 4 行" in error.message("zh-CN") and "不是此处已知的键" in error.message("zh-CN")
    assert isinstance(error, InvalidFileError) and isinstance(error, ValueError)
    assert error.exit_code == 2


def test_a_value_too_long_is_said_in_the_readers_language(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, f"title: {'x' * 30}\n"))
    assert "line 1: title 'xxx" in error.message("en") and "has at most 20 characters" in error.message("en")
    assert "第 1 行" in error.message("zh-CN") and "最多 20 个字符" in error.message("zh-CN")
    assert "at most" not in error.message("zh-CN")


def test_a_misplaced_key_is_refused_where_it_stands(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "title: A\nsize: 3\nitems: []\n"))
    assert "line 2: size is not a known key here; known keys: title, items" in error.message("en")


def test_wrong_types_and_missing_keys_are_each_named(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "items:\n  - {name: x, size: '2'}\n"))
    message = error.message("en")
    assert "line 1: title is missing" in message
    assert "line 2: items[0].size '2' should be a whole number" in message
    assert "应为整数" in error.message("zh-CN")


def test_malformed_yaml_and_an_empty_file_are_clear(tmp_path: Path) -> None:
    assert "line 3: not valid YAML" in refusal(write(tmp_path, "title: A\nitems: [\n")).message("en")
    assert refusal(write(tmp_path, "")).message("en").endswith("shelf.yaml: the file is empty")
    assert "cannot be read" in refusal(tmp_path / "absent.yaml").message("en")


def test_a_huge_value_is_cut_in_the_message(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, f"title: A\nitems:\n  - {{name: x, size: '{'9' * 100_000}'}}\n"))
    assert len(error.message("en")) < 400

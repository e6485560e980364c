"""tools/train_conduct_reader.py: the reader is written only beside the model.json it was chosen with."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "train_conduct_reader.py"


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_conduct_reader", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_finish_refuses_a_model_json_trained_on_other_items() -> None:
    shipped = json.loads(
        resources.files("arrears.compliance.conduct").joinpath("model.json").read_text("utf-8")
    )
    items = shipped["about"]["fingerprint"]["items"]
    reader_tool = tool()
    reader_tool.check_shipped_model(items)  # the model in place was trained on the reader's items
    with pytest.raises(SystemExit, match="train it first"):
        reader_tool.check_shipped_model("0" * 64)

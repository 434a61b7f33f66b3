"""bot/nlu/code_version.py: Rasa's training cache is told when the NLU code changes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from bot.nlu import code_version as module
from tests.conftest import PROJECT_DIR


def project_components() -> list[type]:
    pipeline = yaml.safe_load((PROJECT_DIR / "config.yml").read_text())["pipeline"]
    names = [step["name"] for step in pipeline if step["name"].startswith("bot.")]
    return [
        getattr(importlib.import_module(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1])
        for name in names
    ]


def test_the_pipeline_has_custom_components() -> None:
    assert len(project_components()) >= 5


@pytest.mark.parametrize("component", project_components(), ids=lambda c: c.__name__)
def test_every_custom_component_adds_the_code_version_to_its_fingerprint(component) -> None:
    assert component.fingerprint_addon({}) == module.code_version()


def test_the_version_changes_with_any_code_file(tmp_path: Path, monkeypatch) -> None:
    files = [tmp_path / "a.py", tmp_path / "b.yml"]
    for path in files:
        path.write_text("one")
    monkeypatch.setattr(module, "BOT_DIR", tmp_path)
    monkeypatch.setattr(module, "code_files", lambda: files)
    module.code_version.cache_clear()
    try:
        before = module.code_version()
        files[1].write_text("two")
        module.code_version.cache_clear()
        assert module.code_version() != before
    finally:
        module.code_version.cache_clear()


def test_the_version_covers_the_nlu_modules_and_the_term_lists() -> None:
    names = {path.relative_to(module.BOT_DIR).as_posix() for path in module.code_files()}
    assert {"nlu/tokenizer.py", "nlu/second_opinion_classifier.py", "knowledge/terms.yml"} <= names

"""The 'Person files' section of docs/scenarios.md cannot drift from the files and the code."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim import person
from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "scenarios.md"
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## Person files\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def blocks(language: str) -> list[str]:
    return [textwrap.dedent(body) for indent, lang, body in FENCE.findall(section()) if lang == language]


def test_the_example_person_file_is_in_the_doc_verbatim():
    example = (ROOT / "docs" / "examples" / "person-xie.yaml").read_text(encoding="utf-8")
    assert example in blocks("yaml"), "docs/scenarios.md and docs/examples/person-xie.yaml differ: change both"


def test_the_parent_example_is_the_test_case():
    case = (ROOT / "tests" / "person" / "cases" / "parent_joins_child.yaml").read_text(encoding="utf-8")
    body = "".join(line for line in case.splitlines(keepends=True) if not line.startswith("#"))
    assert body in blocks("yaml"), (
        "the applicant: parent example differs from tests/person/cases/parent_joins_child.yaml"
    )


def test_the_error_listing_is_what_check_prints(capsys: pytest.CaptureFixture[str], monkeypatch):
    (listing,) = [block for block in blocks("text") if "problem found" in block]
    monkeypatch.chdir(ROOT)
    person_file = "tests/person/broken/range_reversed.yaml"
    assert main(["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--person", person_file]) == 1
    assert capsys.readouterr().err == listing, "update the error listing under '## Person files' in docs/scenarios.md"


def _models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(person).values()
        if isinstance(value, type) and issubclass(value, person.PersonModel) and value is not person.PersonModel
    ]


def test_every_key_of_the_person_schema_is_documented():
    text = section()
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(re.findall(r"`([^`\n]+)`", text))))
    words |= {w for _, _, body in FENCE.findall(text) for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body)}
    missing = sorted(
        f"{model.__name__}.{field.alias or name}"
        for model in _models()
        for name, field in model.model_fields.items()
        if (field.alias or name) not in words
    )
    assert not missing, f"keys of sim/person.py missing from the 'Person files' section: {missing}"

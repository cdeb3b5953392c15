"""docs/scenarios.md cannot drift: its examples are files the tests load, its error listing is
what the CLI prints, and every key and choice of the schema is documented."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.model import SettlementModel
from sim.scenario import load_scenario, resolve_timeline, schema

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "scenarios.md"
EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def fenced_blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC.read_text(encoding="utf-8")) if lang == language]


def documented_words() -> set[str]:
    """Every identifier inside code spans and fenced blocks of the doc."""
    text = DOC.read_text(encoding="utf-8")
    code = [body for _, body in FENCE.findall(text)]
    code += re.findall(r"`([^`\n]+)`", FENCE.sub("", text))
    return {word for chunk in code for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", chunk)}


def test_the_complete_example_is_in_the_doc_verbatim() -> None:
    example = (EXAMPLES / "doc_example.yaml").read_text(encoding="utf-8")
    assert "extends: ../../../scenarios/base/china-migrants.yaml" in example
    assert example in fenced_blocks("yaml"), (
        "docs/scenarios.md and tests/scenario/examples/doc_example.yaml differ: "
        "change both, the doc's ```yaml block and the file, to the same text"
    )


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_every_example_file_is_in_the_doc_and_loads(path: Path) -> None:
    assert path.read_text(encoding="utf-8") in fenced_blocks("yaml"), f"{path.name} is not in docs/scenarios.md"
    scenario = load_scenario(path)
    assert scenario.id.startswith("doc-example")


def test_every_yaml_block_of_the_doc_is_valid_yaml() -> None:
    blocks = fenced_blocks("yaml")
    assert len(blocks) >= 3
    for block in blocks:
        yaml.safe_load(block)


def test_the_example_says_what_the_doc_says_it_does() -> None:
    scenario = load_scenario(EXAMPLES / "doc_example.yaml")
    assert list(scenario.cities) == ["alpha", "beta"]
    alpha = resolve_timeline(scenario.cities["alpha"].rules)
    before, after = alpha[0].rules.channels, alpha[1].rules.channels
    assert sorted(before.talent.routes) == ["college", "fresh_graduate"]
    assert sorted(after.talent.routes) == ["college"]
    assert before.residence_employment.routes["long_stay"].residence_permit_months_min == 12
    assert after.residence_employment.routes["long_stay"].residence_permit_months_min is None
    assert (before.points.rounds.quota_persons, after.points.rounds.quota_persons) == (3000, 5000)
    assert after.points.rounds.threshold == before.points.rounds.threshold == 60
    assert sorted(after.points.items) == ["age", "contributions", "education", "renting", "sanctions"]
    beta = resolve_timeline(scenario.cities["beta"].rules)
    assert [name for name, _ in beta[0].channels()] == ["open"]
    assert [name for name, _ in beta[1].channels()] == ["permit_conversion"]


def test_the_example_runs() -> None:
    scenario = load_scenario(EXAMPLES / "doc_example.yaml")
    result = SettlementModel.from_scenario(scenario, agents=200, seed=3, months=8).run()
    assert len(result.monthly) == 8 * 2


def test_the_overrides_snippet_works() -> None:
    (snippet,) = [block for block in fenced_blocks("python") if "overrides=" in block]
    assert "behaviour.intention.application_rate" in snippet
    scenario = load_scenario(
        "ningbo-2019-reform",
        overrides={
            "behaviour.intention.application_rate": 0.1,
            "cities.ningbo.rules[1].channels.residence_employment.processing_months": 2,
        },
    )
    assert scenario.behaviour.intention.application_rate == pytest.approx(0.1)
    assert scenario.cities["ningbo"].rules[1].channels.residence_employment.processing_months == 2


def test_the_error_listing_is_what_validate_prints(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from sim.cli import main

    (listing,) = [block for block in fenced_blocks("") if "problems found" in block]
    monkeypatch.chdir(ROOT)
    assert main(["validate", "tests/scenario/broken/several_errors.yaml"]) == 1
    assert capsys.readouterr().err == listing, "update the listing under '## Errors' in docs/scenarios.md"


def _models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(schema).values()
        if isinstance(value, type) and issubclass(value, schema.StrictModel) and value is not schema.StrictModel
    ]


def _choices(annotation: object) -> set[str]:
    """String choices of Literal types inside an annotation."""
    if typing.get_origin(annotation) is typing.Literal:
        return {a for a in typing.get_args(annotation) if isinstance(a, str)}
    return {c for arg in typing.get_args(annotation) for c in _choices(arg)}


def test_every_key_of_the_schema_is_documented() -> None:
    words = documented_words()
    missing = sorted(
        f"{model.__name__}.{field.alias or name}"
        for model in _models()
        for name, field in model.model_fields.items()
        if (field.alias or name) not in words
    )
    assert not missing, f"keys of sim/scenario/schema.py missing from docs/scenarios.md: {missing}"


def test_every_choice_of_the_schema_is_documented() -> None:
    words = documented_words()
    choices = {c for model in _models() for field in model.model_fields.values() for c in _choices(field.annotation)}
    choices |= set(schema.CHANNELS) | set(schema.EDUCATION_LEVELS) | set(schema.SKILL_LEVELS)
    missing = sorted(choices - words)
    assert not missing, f"choices of sim/scenario/schema.py missing from docs/scenarios.md: {missing}"


def test_the_person_files_section_is_there() -> None:
    assert "\n## Person files\n" in DOC.read_text(encoding="utf-8")

"""Free texts of a scenario (description, assumption reasons) in both languages or in one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.cli import main
from sim.describe import describe
from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.schema import Assumption, Bilingual, text_in, written_in

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
REFORM = SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"
PRESETS = sorted(SCENARIOS.rglob("*.yaml"))


def _variant(tmp_path: Path, **keys: object) -> Path:
    """A scenario extending the Ningbo reform with ``keys`` set at the top level."""
    doc = {
        "id": "texts",
        "title": {"zh": "文本", "en": "Texts"},
        "extends": str(REFORM.with_suffix("")),
        "source": "test",
        **keys,
    }
    path = tmp_path / "texts.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _assumptions(node: object, path: str = "") -> Iterator[tuple[str, Assumption]]:
    """Every assumption anywhere in a validated scenario, with where it is."""
    if isinstance(node, Assumption):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _assumptions(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, tuple | list):
        for i, item in enumerate(node):
            yield from _assumptions(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _assumptions(item, f"{path}.{key}")


def test_texts_may_be_given_in_both_languages_or_as_a_plain_string(tmp_path):
    both = load_scenario(
        _variant(
            tmp_path,
            description={"zh": "两种语言的说明。", "en": "A description in both languages."},
            assumptions=[{"key": "agents", "reason": {"zh": "假定的数量", "en": "an assumed number"}}],
        )
    )
    assert both.description == Bilingual(zh="两种语言的说明。", en="A description in both languages.")
    assert both.assumptions[0].reason == Bilingual(zh="假定的数量", en="an assumed number")
    one = load_scenario(
        _variant(tmp_path, description="Written in English only.", assumptions=[{"key": "agents", "reason": "assumed"}])
    )
    assert one.description == "Written in English only."
    assert one.assumptions[0].reason == "assumed"


@pytest.mark.parametrize(
    ("keys", "where"),
    [
        ({"description": {"zh": "只有中文"}}, "description"),
        ({"description": {"zh": "说明", "en": "text", "fr": "texte"}}, "description"),
        ({"assumptions": [{"key": "agents", "reason": {"zh": "", "en": "assumed"}}]}, "reason"),
        ({"assumptions": [{"key": "agents", "reason": ""}]}, "reason"),
        ({"population": {"sources": {"male_share": {"en": "a report"}}}}, "population.sources.male_share.zh"),
    ],
    ids=["missing-en", "unknown-language", "empty-zh", "empty-string", "source-missing-zh"],
)
def test_a_half_or_wrong_bilingual_text_is_a_clear_error(tmp_path, keys, where):
    """Also over a parent's description in both languages: a restated text is not merged with it."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(_variant(tmp_path, **keys))
    assert where in str(err.value) and "texts.yaml" in str(err.value)


def test_a_plain_string_is_in_the_language_most_of_it_is_written_in():
    assert written_in("Settlers without housing go to a collective household (集体户).") == "en"
    assert written_in("无自有住房者落入集体户（collective household）") == "zh"
    assert text_in(Bilingual(zh="中文", en="English"), "en") == ("English", "en")
    assert text_in("only English here", "zh") == ("only English here", "en")


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_every_preset_gives_its_description_reasons_and_sources_maps_in_both_languages(path):
    scenario = load_scenario(path)
    texts = {"description": scenario.description} if scenario.description else {}
    texts |= {f"{where}.reason ({a.key})": a.reason for where, a in _assumptions(scenario)}
    for spec in ("population", "behaviour"):
        texts |= {f"{spec}.sources.{key}": text for key, text in getattr(scenario, spec).sources.items()}
    one_language = [where for where, text in texts.items() if not isinstance(text, Bilingual)]
    assert not one_language, f"{path.name}: give these as {{zh: ..., en: ...}}: {one_language}"
    # An English text may quote long regulation text in Chinese; a Chinese one is written in Chinese.
    untranslated = [where for where, text in texts.items() if written_in(text.zh) != "zh" or text.zh == text.en]
    assert not untranslated, f"{path.name}: write these in Chinese under zh: {untranslated}"


def test_describe_shows_the_text_in_the_page_language_and_notes_a_fallback(tmp_path):
    path = _variant(
        tmp_path,
        description={"zh": "两种语言的说明。", "en": "A description in both languages."},
        assumptions=[{"key": "agents", "reason": "assumed, in English only"}],
    )
    zh, en = describe(path, "zh"), describe(path, "en")
    assert "两种语言的说明。" in zh and "A description in both languages." not in zh
    assert "A description in both languages." in en and "两种语言的说明。" not in en
    assert "assumed, in English only （仅有英文）" in zh
    assert "`agents`: assumed, in English only\n" in en and "(English only)" not in en
    chinese_only = _variant(tmp_path, description="只有中文的说明。")
    assert "只有中文的说明。 (Chinese only)" in describe(chinese_only, "en")
    assert "只有中文的说明。\n" in describe(chinese_only, "zh")


def test_cli_describe_of_a_preset_in_chinese_shows_the_chinese_description(capsys):
    scenario = load_scenario(REFORM)
    assert isinstance(scenario.description, Bilingual)
    assert main(["describe", "ningbo-2019-reform", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert " ".join(scenario.description.zh.split()) in out
    assert " ".join(scenario.description.en.split()) not in out
    assert "仅有英文" not in out

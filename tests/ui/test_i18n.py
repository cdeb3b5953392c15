"""Every text the dashboard shows has a label in Chinese and in English."""

import re
from pathlib import Path

import pytest

from sim.experiment import AGE_BANDS, INDICATORS
from ui import persons, views
from ui.i18n import MissingLabelError, lookup, number, significant, t, tick
from ui.layout import PAGES

UI = Path(__file__).resolve().parents[2] / "ui"
LITERAL = re.compile(r"\bt(?:_or)?\(\s*\"(app\.[a-z0-9_.]+)\"")


def _used_keys():
    keys = set()
    for path in [*UI.rglob("*.py"), UI.parent / "app.py"]:
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    keys |= {f"app.charts.{c.key}.{part}" for c in views.CHARTS for part in ("title", "note")}
    keys |= {f"app.indicators.{name}" for name in INDICATORS}
    keys |= {f"app.age_band.{band}" for band in AGE_BANDS}
    keys |= {f"app.households.{name}.{part}" for name in persons.household_types() for part in ("name", "note")}
    keys |= {f"app.person.{field}" for field in persons.FORM_FIELDS}
    keys |= {f"app.explain.state_{state}" for state in persons.STATES}
    keys |= {f"app.nav.{name}" for name, _, _ in PAGES}
    return keys


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_the_code_uses_has_a_label(lang):
    keys = _used_keys()
    assert len(keys) > 150
    missing = []
    for key in sorted(keys):
        try:
            lookup(key, lang)
        except MissingLabelError:
            missing.append(key)
    assert not missing, f"add these keys to ui/i18n/{lang}.yaml: {missing}"


def test_templates_take_the_same_placeholders_in_both_languages():
    placeholder = re.compile(r"{(\w+)}")

    def walk(node, prefix=""):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{prefix}{key}.")
        else:
            yield prefix[:-1], str(node)

    zh = dict(walk(lookup("app", "zh")))
    en = dict(walk(lookup("app", "en")))
    assert zh.keys() == en.keys()
    different = {k for k in zh if set(placeholder.findall(zh[k])) != set(placeholder.findall(en[k]))}
    assert not different


def test_number_formats_differ_by_language():
    assert number(1_234_567, "en") == "1,234,567"
    assert number(1_234_567, "zh") == "123.4567万"
    assert tick(2_500_000, "en") == "2,500,000" and tick(2_500_000, "zh") == "250万"


def test_one_number_convention_per_language_and_no_negative_zero():
    assert number(58_860, "zh") == "5.886万" and number(425_200, "zh") == "42.52万"
    assert number(12_727, "zh") == "1.2727万" and number(significant(387_333.3), "zh") == "38.73万"
    assert number(9_999, "zh") == "9,999" and number(58_850, "en") == "58,850"
    assert tick(58_850, "zh") == number(58_850, "zh") and tick(58_850, "en") == number(58_850, "en")
    assert tick(-0.0, "en") == "0" and tick(5.6e-17, "zh") == "0"
    assert number(-0.2, "en", signed=True) == "+0" and number(-0.04, "en", decimals=1) == "0.0"
    assert t("app.compare.progress", "zh", done=2, total=5) == "正在运行第2个随机种子，共5个……"

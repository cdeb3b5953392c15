"""Hostile scenario uploads: each shows an error in the page's language and the Run button still works."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from sim.scenario.yamlsource import MAX_FILE_BYTES
from tests.ui.conftest import APP, TINY
from ui.i18n import t

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
HEAD = "id: hostile\ntitle: {zh: 恶意, en: hostile}\nsource: test\n"

UPLOADS = {
    "billion-laughs.yaml": (HOSTILE / "billion-laughs.yaml").read_bytes(),
    "recursive-alias.yaml": (HOSTILE / "recursive-alias-mapping.yaml").read_bytes(),
    "deep.yaml": (HOSTILE / "deep-mapping.yaml").read_bytes(),
    "long-integer.yaml": (HOSTILE / "long-integer.yaml").read_bytes(),
    "passwd.yaml": (HEAD + "extends: /etc/passwd\n").encode(),
    "dotdot.yaml": (HEAD + "extends: ../../../../../../../../etc/hostname\n").encode(),
    "relative.yaml": (HEAD + "extends: ../../../scenarios/ningbo/ningbo-2018-baseline.yaml\n").encode(),
    "start-2800.yaml": (HEAD + "extends: ningbo-2018-baseline\nstart: 2800-01\n").encode(),
    "nan.yaml": (HEAD + "extends: ningbo-2018-baseline\nbehaviour: {intention: {intercept: .nan}}\n").encode(),
    "latin1.yaml": HEAD.encode() + b"description: caf\xe9\n",
}


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_each_hostile_upload_shows_an_error_and_the_page_keeps_working():
    at = AppTest.from_file(str(APP), default_timeout=180)
    for key, value in {"lang": "en", **TINY}.items():
        at.query_params[key] = value
    at.run()
    for name, content in UPLOADS.items():
        at.file_uploader(key="w_upload").upload(name, content, "application/x-yaml").run()
        _no_exception(at)
        assert at.error and at.error[0].value == t("app.scenarios.invalid", "en", file=name), name
        shown = "\n".join(c.value for c in at.code)
        assert f"{name}: INVALID" in shown, shown
        assert "root:" not in shown and "Traceback" not in shown, shown  # no server file echoed
        assert not at.button(key="w_run").disabled, name
        assert at.selectbox(key="w_variant_0_en").value == "ningbo-2019-reform"  # the choice before stands
    at.button(key="w_run").click().run()
    _no_exception(at)
    assert at.get("vega_lite_chart")  # the results are drawn


def test_extends_may_name_only_a_preset_or_an_upload_of_the_session():
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["lang"] = "en"
    at.run()
    at.file_uploader(key="w_upload").upload("passwd.yaml", UPLOADS["passwd.yaml"], "application/x-yaml").run()
    shown = "\n".join(c.value for c in at.code)
    assert "'extends': no scenario '/etc/passwd' found." in shown
    assert "'extends' may name only a preset id or the name of a file uploaded in this session" in shown
    base = HEAD.replace("hostile", "my-base") + "extends: ningbo-2018-baseline\n"
    at.file_uploader(key="w_upload").upload("my-base.yaml", base.encode(), "application/x-yaml").run()
    assert at.success, [e.value for e in at.error]
    child = HEAD.replace("hostile", "my-child") + "extends: my-base\n"
    at.file_uploader(key="w_upload").upload("my-child.yaml", child.encode(), "application/x-yaml").run()
    _no_exception(at)
    assert at.success and "my-child" in at.success[0].value, [e.value for e in at.error]


def test_upload_errors_are_shown_in_the_pages_language():
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["lang"] = "zh"
    at.run()
    big = b"a: " + b"1" * (MAX_FILE_BYTES + 10)
    at.file_uploader(key="w_upload").upload("big.yaml", big, "application/x-yaml").run()
    _no_exception(at)
    limit = t("app.scenarios.too_large", "zh", file="big.yaml", size=len(big), limit=MAX_FILE_BYTES)
    assert at.error[0].value == limit
    at.file_uploader(key="w_upload").upload("laughs.yaml", UPLOADS["billion-laughs.yaml"], "application/x-yaml").run()
    assert at.error[0].value == t("app.scenarios.invalid", "zh", file="laughs.yaml")


PERSON = (HOSTILE / "persons" / "graduation-after-date.yaml").read_text(encoding="utf-8")
PERSON_UPLOADS = {
    "laughs.yaml": UPLOADS["billion-laughs.yaml"],
    "deep.yaml": UPLOADS["deep.yaml"],
    "latin1.yaml": b"birth: caf\xe9\n",
    "birth-0000.yaml": PERSON.replace("birth: 1995-03", "birth: 0000-01").encode(),
    "child-older.yaml": PERSON.replace("children: [2018-05]", "children: [1980-01]").encode(),
    "nan-area.yaml": PERSON.replace("floor_area_m2: 40", "floor_area_m2: .nan").encode(),
}


def test_each_hostile_person_upload_shows_an_error_in_the_pages_language():
    at = AppTest.from_file(str(APP), default_timeout=180)
    for key, value in {"lang": "zh", "person": "upload", **TINY}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("ui/pages/explain.py").run()
    for name, content in PERSON_UPLOADS.items():
        at.file_uploader(key="w_person_upload").upload(name, content, "application/x-yaml").run()
        _no_exception(at)
        assert at.error and at.error[0].value == t("app.explain.invalid_person", "zh"), name
        shown = "\n".join(c.value for c in at.code)
        assert "expected" in shown and "Traceback" not in shown, (name, shown)

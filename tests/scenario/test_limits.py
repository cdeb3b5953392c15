"""Each limit of docs/limits.md, refused with its message (the hostile files of tests/hostile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.loader import LibraryParents
from sim.scenario.yamlsource import MAX_FILE_BYTES, parse_yaml, read_yaml

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"


@pytest.mark.parametrize(
    ("name", "line", "fragments"),
    [
        ("billion-laughs.yaml", 6, ("expected at most 100,000 values", "found 597,871 values")),
        ("billion-laughs-long.yaml", 6, ("expected at most 100,000 values",)),
        ("recursive-alias.yaml", 1, ("an alias that contains itself",)),
        ("recursive-alias-mapping.yaml", 1, ("an alias that contains itself",)),
        ("deep-mapping.yaml", 34, ("expected at most 32 levels of nested mappings and lists",)),
        ("deep-brackets.yaml", 2, ("is not valid YAML",)),
        ("long-integer.yaml", 1, ("expected a number of at most 40 characters, found one of 5,000",)),
        ("start-2800.yaml", 5, ("'start'", "expected a date from 1900-01 to 2200-12, got '2800-01'")),
        ("inflow-inf.yaml", 7, ("'cities.ningbo.inflow_per_month'", "found inf (infinite)")),
        ("inflow-1e12.yaml", 7, ("'cities.ningbo.inflow_per_month'", "less than or equal to 5000000")),
        ("sanctions-max-1e19.yaml", 12, ("sanctions_max'", "less than or equal to 100")),
        ("back-paid-max-1e19.yaml", 12, ("back_paid_max'", "less than or equal to 128")),
        ("education-share-nan.yaml", 6, ("'population.education_shares.none'", "found NaN (not a number)")),
        ("intention-nan.yaml", 7, ("'behaviour.intention.intercept'", "found NaN (not a number)")),
        ("intention-inf.yaml", 7, ("'behaviour.intention.has_land'", "found -inf (infinite)")),
        ("extends-absolute-missing.yaml", 4, ("no scenario '/nonexistent/absolute/parent.yaml' found",)),
    ],
)
def test_each_hostile_file_is_refused_with_its_message(name, line, fragments):
    with pytest.raises(ScenarioError) as err:
        load_scenario(HOSTILE / name)
    text = str(err.value)
    assert f"{name}:{line}:" in text, text
    for fragment in fragments:
        assert fragment in text, text
    assert len(text) < 600


def test_files_that_are_not_regular_or_too_large_are_refused(tmp_path):
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(ScenarioError, match="expected a regular file, found a device"):
            read_yaml(Path(device))
    with pytest.raises(ScenarioError, match="expected a regular file, found a folder"):
        read_yaml(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "1" * MAX_FILE_BYTES)
    with pytest.raises(ScenarioError, match=f"expected a file of at most {MAX_FILE_BYTES:,} bytes"):
        read_yaml(big)
    with pytest.raises(ScenarioError, match=f"expected at most {MAX_FILE_BYTES:,} characters"):
        parse_yaml("a: " + "1" * MAX_FILE_BYTES, "upload.yaml")


def test_a_long_chain_of_extends_is_refused(tmp_path):
    for index in range(1000):
        (tmp_path / f"c{index}.yaml").write_text(f"id: c{index}\nextends: c{index + 1}\n")
    with pytest.raises(ScenarioError, match="expected a chain of at most 16 files"):
        load_scenario(tmp_path / "c0.yaml")


def test_library_parents_allow_only_presets_and_named_uploads(tmp_path):
    head = "id: up\ntitle: {zh: 上, en: up}\nsource: test\n"
    secret = tmp_path / "secret.yaml"
    secret.write_text(head + "extends: ningbo-2018-baseline\n")
    for written in (str(secret), "secret", "../secret.yaml", "/etc/passwd"):
        upload = tmp_path / "uploads" / "upload.yaml"
        upload.parent.mkdir(exist_ok=True)
        upload.write_text(head + f"extends: {written}\n")
        with pytest.raises(ScenarioError) as err:
            load_scenario(upload, parents=LibraryParents())
        assert "'extends' may name only a preset id or the name of a file uploaded in this session" in str(err.value)
    upload.write_text(head + "extends: secret\n")
    assert load_scenario(upload, parents=LibraryParents({"secret.yaml": secret})).cities.keys() == {"ningbo"}
    upload.write_text(head + "extends: ningbo-2018-baseline\n")
    assert load_scenario(upload, parents=LibraryParents()).cities.keys() == {"ningbo"}

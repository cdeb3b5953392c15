"""``sim check --persons``: the batch says, person by person, what ``sim check`` says for each alone."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.check_batch import synthetic_persons, write_persons
from sim.check_batch import ELIGIBLE_BY_GRANDFATHER, check_many
from sim.cli import main
from sim.errors import PersonFileError
from sim.explain import CheckReport, check
from sim.months import month_index, parse_month
from sim.person import PersonRecord, load_person
from sim.person_sources import read_persons, unflatten
from sim.scenario import load_scenario
from tests.conftest import FIXTURES, ROOT

HERE = Path(__file__).parent
EXAMPLES = sorted([ROOT / "docs" / "examples" / "person-xie.yaml", *(HERE / "cases").glob("*.yaml")])


def prospective_variant(tmp_path: Path) -> Path:
    """The two-cities fixture with its 2019 reform counting only months from its date."""
    text = (FIXTURES / "two-cities-points.yaml").read_text(encoding="utf-8")
    text = text.replace("../../scenarios/base/", f"{ROOT / 'scenarios' / 'base'}/")
    text = text.replace("{mode: grandfather, grandfather_months: 6}", "{mode: prospective}")
    assert "prospective" in text
    path = tmp_path / "two-cities-prospective.yaml"
    path.write_text(text.replace("id: two-cities-points", "id: two-cities-prospective"), encoding="utf-8")
    return path


CASES = [
    # scenario, city, date: channels, transitions, regions, points with threshold, family routes
    ("ningbo-2018-baseline", "ningbo", "2019-10"),
    ("ningbo-2019-reform", "ningbo", "2019-10"),
    (str(HERE / "points-scenario.yaml"), "ningbo", "2019-10"),
    (str(HERE / "two-cities.yaml"), "ningbo", "2019-10"),
    (str(FIXTURES / "two-cities-points.yaml"), "alpha", "2019-03"),  # grandfathered until 2019-07
    (str(FIXTURES / "two-cities-points.yaml"), "alpha", "2019-12"),
    (str(FIXTURES / "two-cities-points.yaml"), "beta", "2019-08"),
    ("prospective", "alpha", "2019-12"),
    # exact counters: counted from far back, before graduation, across a region
    (str(HERE / "long-histories.yaml"), "a", "2019-10"),
    (str(HERE / "long-histories.yaml"), "b", "2019-10"),
]


def persons(city: str, month: int, folder: Path) -> list[PersonRecord]:
    """The repository's example persons that lived in ``city`` before ``month``, and 80 synthetic ones."""
    examples = [load_person(path) for path in EXAMPLES]
    examples = [r for r in examples if city in r.arrived and r.arrived[city] < month]
    documents = synthetic_persons(80, seed=month, city=city, month=month)
    source = read_persons(write_persons(documents, folder, "jsonl"))
    assert all(entry.is_valid for entry in source.entries), source.problems[:3]
    return examples + [entry.record for entry in source.entries if entry.record is not None]


def expected_why(report: CheckReport, name: str) -> str:
    verdict = report.channel(name)
    if not verdict.in_force:
        return ELIGIBLE_BY_GRANDFATHER if verdict.eligible else "not_in_force"
    passing = [route.route for route in verdict.routes if route.eligible]
    if passing and (name != "points" or report.points.meets_threshold is not False):
        return passing[0]
    if verdict.eligible:
        return ELIGIBLE_BY_GRANDFATHER
    if passing:
        return "below_threshold"
    return " ".join(f"{route.route}:{route.failed[0]}" for route in verdict.routes)


@pytest.mark.parametrize(("scenario_name", "city", "date"), CASES, ids=[f"{Path(s).stem}-{c}-{d}" for s, c, d in CASES])
def test_batch_equals_one_person_check_for_each(scenario_name, city, date, tmp_path):
    path = prospective_variant(tmp_path) if scenario_name == "prospective" else scenario_name
    scenario = load_scenario(path)
    month = parse_month(date)
    records = persons(city, month, tmp_path)
    columns = check_many(scenario, city, month, records)
    kept = 0
    for index, record in enumerate(records):
        report = check(scenario, city, month, record)
        channels = [verdict.channel for verdict in report.channels]
        assert [name for name in columns if "." not in name] == channels
        for verdict in report.channels:
            where = f"person {index} ({record.name or record.file}), channel {verdict.channel}"
            assert bool(columns[verdict.channel][index]) == verdict.eligible, where
            assert columns[f"{verdict.channel}.why"][index] == expected_why(report, verdict.channel), where
            kept += columns[f"{verdict.channel}.why"][index] == ELIGIBLE_BY_GRANDFATHER
        if report.points is None:
            assert not any(name.startswith(("points.", "item.")) for name in columns)
            continue
        for item, points in report.points.by_item.items():
            assert columns[f"item.{item}"][index] == pytest.approx(points, abs=1e-9)
        assert columns["points.total"][index] == pytest.approx(report.points.total, abs=1e-9)
        if report.points.threshold is not None:
            assert bool(columns["points.threshold_met"][index]) == report.points.meets_threshold
    assert len(records) >= 80
    if date == "2019-03":
        assert kept > 0, "the grandfathering case grandfathered nobody: it tests nothing"


def test_each_channel_admits_and_refuses_someone_in_the_varied_set(tmp_path):
    month = month_index(2019, 10)
    columns = check_many(load_scenario("ningbo-2019-reform"), "ningbo", month, persons("ningbo", month, tmp_path))
    for name in ("talent", "residence_employment", "rental", "family"):
        assert 0 < int(np.sum(columns[name])) < len(columns[name]), name


# ------------------------------------------------------------------------------------------- inputs


def _doc_csv() -> str:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    start = text.index("```csv\n", text.index("### Many persons")) + len("```csv\n")
    return text[start : text.index("```", start)]


def test_the_csv_example_in_the_doc_reads_as_the_person_files_it_shows(tmp_path):
    path = tmp_path / "persons.csv"
    path.write_text(_doc_csv(), encoding="utf-8")
    source = read_persons(path)
    assert [entry.id for entry in source.entries] == ["xie", "parent"]
    assert all(entry.is_valid for entry in source.entries), source.problems
    xie, parent = (entry.record for entry in source.entries)
    assert xie.model_dump() == load_person(ROOT / "docs" / "examples" / "person-xie.yaml").model_dump()
    assert parent.model_dump() == load_person(HERE / "cases" / "parent_joins_child.yaml").model_dump()


def test_jsonl_ids_are_the_id_key_or_the_line_number(tmp_path):
    person = {
        "birth": "1990-01",
        "sex": "male",
        "education": {"level": "college"},
        "origin": {"hukou": "rural", "province": "hunan"},
        "arrived": {"ningbo": "2015-01"},
    }
    lines = [json.dumps(person | {"id": "first"}), "", json.dumps(person), '{"birth": ', "[1, 2]"]
    path = tmp_path / "persons.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    entries = read_persons(path).entries
    assert [entry.id for entry in entries] == ["first", "3", "4", "5"]
    assert [entry.is_valid for entry in entries] == [True, True, False, False]
    assert str(entries[2].problems[0]).startswith(f"{path}:4: is not a JSON document")
    assert str(entries[3].problems[0]) == f"{path}:5: must be a JSON object of keys, got list."


def test_every_problem_of_every_person_is_reported_with_file_line_and_key(tmp_path, capsys):
    path = tmp_path / "persons.csv"
    path.write_text(
        "id,birth,sex,education.level,origin.hukou,origin.province,arrived.ningbo,social_insurance.ningbo,gender\n"
        "ok,1990-01,male,college,rural,hunan,2015-01,2015-02..2019-08,\n"
        "bad,1990-13,male,college,rural,hunan,2015-01,2019-05..2018-03,\n"
        "late,1990-01,female,college,rural,hunan,2020-01,,male\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    args = ["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--persons", str(path)]
    assert main([*args, "--out", str(out)]) == 1
    assert not out.exists()
    problems = capsys.readouterr().err.splitlines()
    assert problems[0] == "error: 4 problems found:"
    assert any(f"{path}:3: 'birth'" in p and "1990-13" in p for p in problems), problems
    assert any(f"{path}:3: 'social_insurance.ningbo[0]'" in p and "before it starts" in p for p in problems)
    assert any(f"{path}:4: 'gender'" in p and "Hint: 'gender' is written sex" in p for p in problems), problems
    assert problems[-1].endswith(
        "2 of 3 persons are invalid; nothing was written. Hint: fix them, or pass "
        "--skip-invalid to check the others and list these in the output"
    )


def test_skip_invalid_writes_the_valid_and_lists_the_invalid(tmp_path, capsys):
    header = next(csv.reader(io.StringIO(_doc_csv())))
    late = {"id": "late", "birth": "2001-01", "sex": "male", "education.level": "college"}
    late |= {"origin.hukou": "rural", "origin.province": "hunan", "arrived.ningbo": "2020-01"}
    extra = io.StringIO()
    csv.DictWriter(extra, header, lineterminator="\n").writerow(late)
    path = tmp_path / "persons.csv"
    path.write_text(_doc_csv() + extra.getvalue(), encoding="utf-8")
    out = tmp_path / "results.csv"
    args = ["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--persons", str(path)]
    assert main([*args, "--out", str(out), "--skip-invalid"]) == 0
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["id"] for row in table] == ["xie", "parent", "late"]
    xie, parent, late = table
    assert (xie["talent"], xie["talent.why"]) == ("1", "college")
    assert (parent["family"], parent["family.why"]) == ("1", "parent")
    assert xie["problems"] == parent["problems"] == ""
    assert "arrival 2020-01 is not before the month of application 2019-10" in late["problems"]
    assert late["talent"] == ""
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "a temporary file was left"
    assert "2 persons checked, 1 invalid listed" in capsys.readouterr().out


def test_a_folder_of_person_files_is_checked_by_file_name(capsys):
    assert (
        main(["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--persons", str(HERE / "cases")])
        == 0
    )
    text = capsys.readouterr().out
    assert "8 persons checked in ningbo, 2019-10" in text
    assert "graduate_2008.yaml       talent" in text


def test_points_are_numbers_and_verdicts_zero_or_one(tmp_path):
    month = month_index(2019, 10)
    folder = tmp_path / "in"
    folder.mkdir()
    source = write_persons(synthetic_persons(40, seed=1, city="ningbo", month=month), folder, "csv")
    out = tmp_path / "results.csv"
    scenario = str(HERE / "points-scenario.yaml")
    assert (
        main(["check", scenario, "--city", "ningbo", "--date", "2019-10", "--persons", str(source), "--out", str(out)])
        == 0
    )
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(table) == 40
    for row in table:
        assert row["points"] in ("0", "1") and row["points.threshold_met"] in ("0", "1")
        items = [float(row[name]) for name in row if name.startswith("item.")]
        assert len(items) == 4
        assert float(row["points.total"]) == pytest.approx(sum(items))


def test_an_input_that_cannot_be_read_is_one_clear_problem(tmp_path):
    with pytest.raises(PersonFileError, match="not found"):
        read_persons(tmp_path / "nobody.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PersonFileError, match="holds no person"):
        read_persons(tmp_path / "empty")
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("id,birth\na,1990-01\nb,1990-01\na,1990-02\n", encoding="utf-8")
    with pytest.raises(PersonFileError) as caught:
        read_persons(repeated)
    assert [str(p) for p in caught.value.problems] == [
        f"{repeated}:4: 'id': id 'a' is already the id of the person on line 2. Hint: give every person its own id"
    ]
    wide = tmp_path / "wide.csv"
    wide.write_text("id,birth\na,1990-01,extra\n", encoding="utf-8")
    (entry,) = read_persons(wide).entries
    assert [str(p) for p in entry.problems] == [f"{wide}:2: row has 3 cells, the header 2."]


def test_csv_cells_become_nested_keys_and_lists():
    document, problems = unflatten(
        {
            "education.level": "college",
            "social_insurance.ningbo": "2014-04..2017-12; 2018-03..2019-08",
            "household.children": "2016-09;2019-01",
            "household.settled.spouse": "true",
        }
    )
    assert problems == []
    assert document == {
        "education": {"level": "college"},
        "social_insurance": {"ningbo": ["2014-04..2017-12", "2018-03..2019-08"]},
        "household": {"children": ["2016-09", "2019-01"], "settled": {"spouse": "true"}},
    }


def test_a_column_that_is_both_a_value_and_a_group_is_a_problem():
    _, problems = unflatten({"housing": "rent", "housing.tenure": "rent", "a..b": "1"}, "p.csv", 7)
    assert [str(p) for p in problems] == [
        "p.csv:7: 'housing.tenure': needs 'housing' to be a group of keys, but column 'housing' gives it a value. "
        "Hint: leave column 'housing' empty",
        "p.csv:7: 'a..b': is not a key path (an empty part between dots).",
    ]

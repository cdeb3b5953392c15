"""A person file's histories, counted by hand (tests/histories/person-histories.yaml in 2020-01)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import PersonFileError
from sim.ledger import CounterSpec
from sim.months import month_index
from sim.person import load_person, person_counts, person_population, validate_person
from sim.person_sources import read_persons
from sim.population import OWN
from sim.scenario import load_scenario

HERE = Path(__file__).parent
SCENARIO = load_scenario(HERE / "histories.yaml")
PERSON = load_person(HERE / "person-histories.yaml")
RAW = yaml.safe_load((HERE / "person-histories.yaml").read_text(encoding="utf-8"))
CHECKED = month_index(2020, 1)


def spec(kind: str, counted_from: int | None = None, *, study: bool = False, group: str = "") -> CounterSpec:
    return CounterSpec(kind, True, (), counted_from, study, group)


# Months before 2020-01, from the file:
# - in city a since 2008-03: 2008-03..2019-12 = 10 + 11 * 12 = 142 months;
# - study period 2009-09..2012-06 (graduated 2012-07): 4 + 12 + 12 + 6 = 34 months;
# - rented 2008-03..2016-06 = 100, owned 2016-07..2019-12 = 6 + 36 = 42 (12 of them from 2019-01);
# - permit 2010-01..2012-12 (36) and 2014-06.. (7 + 60 = 67): 103;
# - paid: 2008-04..2014-12 (9 + 72 = 81), 2015-01..02 back-paid after the bank's lapse (2),
#   2015-03 back-paid (1), 2015-11..2019-12 (2 + 48 = 50): 134; lapse 2015-04..2015-10;
# - paid while holding the permit: 2010-01..2012-12 (36) + 2014-06..2015-03 (10) + 2015-11.. (50) = 96,
#   72 of them from 2012-01;
# - home outside the core (outer_1 from 2013-01, outer_2 from 2016-07): 2013-01..2019-12 = 84,
#   24 of them from 2018-01; in the core from 2010-01: 2010-01..2012-12 = 36;
# - working outside the core (outer_1 from 2017-01, employed = paid on time): 36; in the core:
#   2008-04..2014-12 (81) + 2015-11..2016-12 (14) = 95.
HAND_COUNTED = {
    spec("resided"): 142,
    spec("resided", study=True): 34,
    spec("rented"): 100,
    spec("owned"): 42,
    spec("owned", month_index(2019, 1)): 12,
    spec("permit"): 103,
    spec("social_insurance"): 134,
    spec("social_insurance", study=True): 34,
    spec("social_insurance_with_permit"): 96,
    spec("social_insurance_with_permit", month_index(2012, 1)): 72,
    spec("home_in_group", group="outer"): 84,
    spec("home_in_group", month_index(2018, 1), group="outer"): 24,
    spec("home_in_group", month_index(2010, 1), group="core"): 36,
    spec("work_in_group", group="outer"): 36,
    spec("work_in_group", group="core"): 95,
}


def test_each_history_counts_what_the_file_says():
    specs = tuple(HAND_COUNTED)
    counts = person_counts(PERSON, SCENARIO, "a", CHECKED, specs)
    assert dict(zip(specs, counts, strict=True)) == HAND_COUNTED


def test_the_population_carries_the_state_at_the_check():
    pop, row = person_population(PERSON, SCENARIO, "a", CHECKED)
    assert pop.permit_month[row] == month_index(2014, 6)  # the spell running at the check
    assert pop.tenure[row] == OWN
    assert pop.enrolled_month[row] == month_index(2009, 9)
    districts = list(SCENARIO.cities["a"].districts)
    assert districts[pop.home_district[row]] == "outer_2"
    assert districts[pop.work_district[row]] == "outer_1"
    # Three closed years kept, newest first (2014 is too old); no full-year amount for a person file.
    assert pop.income_tax_cny[row].tolist() == [130_000, 95_000, 120_000, 0]
    assert pop.attributes[row].tolist() == [2, 1]
    # Back-paid: 2015-03 only; the months back-paid after the bank's lapse are paid, not back-paid.
    assert int(pop.back_paid.lifetime[row]) == 1
    assert int(pop.back_paid.lo[row]) == 1 << (CHECKED - month_index(2015, 3) - 1)
    paid = (int(pop.social_insurance.lo[row]) | int(pop.social_insurance.hi[row]) << 64).bit_count()
    # The bits hold 2009-05..2019-12: paid 2009-05..2014-12 (8 + 60), 2015-01..03 (3), 2015-11.. (50).
    assert paid == 8 + 60 + 3 + 50


def test_a_csv_row_reads_as_the_file(tmp_path):
    header = (
        "id,birth,sex,education.level,education.enrolled,education.graduated,origin.hukou,origin.province,"
        "arrived.a,social_insurance.a,back_paid_excused.a,back_paid.a,residence_permit.a,housing.floor_area_m2,"
        "housing.spells,workplace,income_tax.2014,income_tax.2017,income_tax.2018,income_tax.2019,"
        "attributes.patents,attributes.title_level"
    )
    row = (
        "gao,1985-05,male,master,2009-09,2012-07,rural,hebei,2008-03,2008-04..2014-12;2015-11..2019-12,"
        "2015-01..2015-02,2015-03,2010-01..2012-12;2014-06..,70,"
        "2008-03 rent inner_1;2013-01 rent outer_1;2016-07 own_home outer_2,2008-04 inner_2;2017-01 outer_1,"
        "1000,120000,95000,130000,2,1"
    )
    path = tmp_path / "persons.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    (entry,) = read_persons(path).entries
    assert entry.problems == ()
    specs = tuple(HAND_COUNTED)
    assert person_counts(entry.record, SCENARIO, "a", CHECKED, specs) == list(HAND_COUNTED.values())


def test_a_single_permit_month_is_held_since_then():
    data = RAW | {"residence_permit": {"a": "2014-06"}}
    record = validate_person(data, {}, "<test>")
    # 2014-06..2019-12: 67 months, the spell still running.
    assert person_counts(record, SCENARIO, "a", CHECKED, (spec("permit"),)) == [67]
    assert person_population(record, SCENARIO, "a", CHECKED)[0].permit_month[0] == month_index(2014, 6)


def test_a_permit_that_ended_is_not_held():
    data = RAW | {"residence_permit": {"a": ["2010-01..2012-12"]}}
    record = validate_person(data, {}, "<test>")
    assert person_population(record, SCENARIO, "a", CHECKED)[0].permit_month[0] == -1
    assert person_counts(record, SCENARIO, "a", CHECKED, (spec("permit"),)) == [36]


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        pytest.param(
            {"education": {"level": "master", "enrolled": "2012-09", "graduated": "2012-07"}},
            ["'education.enrolled'", "expected an enrolment before graduation (2012-07), found 2012-09"],
            id="enrolled-after-graduation",
        ),
        pytest.param(
            {"back_paid_excused": {"a": ["2014-12..2015-01"]}},
            ["'back_paid_excused.a'", "lists 2014-12", "social_insurance.a lists too"],
            id="excused-month-also-paid",
        ),
        pytest.param(
            {"housing": {"tenure": "rent", "spells": ["2008-03 rent", "2016-07 own_home"]}},
            ["'housing.tenure'", "the last of housing.spells says 'own_home'"],
            id="tenure-contradicts-the-last-spell",
        ),
        pytest.param(
            {"workplace": ["2017-01 outer_1", "2008-04 inner_2"]},
            ["'workplace[1].from'", "expected a month after the spell before (2017-01), found 2008-04"],
            id="spells-out-of-order",
        ),
        pytest.param(
            {"residence_permit": {"a": ["2010-01..2012-12", "2012-06.."]}},
            ["'residence_permit.a[1]'", "starts before the spell listed before it ends"],
            id="permit-spells-overlap",
        ),
        pytest.param(
            {"housing": {"spells": ["2008-03 rent inner_1 extra"]}},
            ["'housing.spells[0]'", "expected 'FROM TENURE DISTRICT'"],
            id="spell-line-too-long",
        ),
    ],
)
def test_contradictions_in_the_file_are_refused(change, fragments):
    data = RAW | change
    with pytest.raises(PersonFileError) as err:
        validate_person(data, {}, "<test>")
    for fragment in fragments:
        assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        pytest.param(
            {"workplace": ["2008-04 inner2"]},
            ["'workplace[0].district'", "names district 'inner2'", "did you mean 'inner_2'?"],
            id="unknown-district",
        ),
        pytest.param(
            {"attributes": {"patent": 1}},
            ["'attributes.patent'", "not a person attribute", "declared: patents, title_level"],
            id="unknown-attribute",
        ),
        pytest.param(
            {"attributes": {"patents": 5}},
            ["'attributes.patents'", "expected patents in [0, 3], found 5"],
            id="attribute-out-of-bounds",
        ),
    ],
)
def test_what_the_scenario_does_not_declare_is_refused(change, fragments):
    record = validate_person(RAW | change, {}, "<test>")
    with pytest.raises(PersonFileError) as err:
        person_population(record, SCENARIO, "a", CHECKED)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_no_district_gives_no_months_in_a_group():
    data = dict(RAW)
    data["housing"] = {"spells": ["2008-03 rent", "2016-07 own_home"]}
    data.pop("workplace")
    record = validate_person(data, {}, "<test>")
    outer = (spec("home_in_group", group="outer"), spec("work_in_group", group="outer"), spec("owned"))
    assert person_counts(record, SCENARIO, "a", CHECKED, outer) == [0, 0, 42]
    pop = person_population(record, SCENARIO, "a", CHECKED)[0]
    np.testing.assert_array_equal(pop.home_district[:1], [-1])

"""Exact counts over any span, hand-computed from the rule text (issue: "wrong results to fix first").

The fixture ``tests/person/long-histories.yaml`` has three cities: ``a`` (a cumulative rule of
200 months counted from 2005-01, and a points scheme counting paid months by month), ``b``
(237 months counted with the months of region ``north`` = {a, c}, which ``b`` is not in) and
``c`` (24 continuous months with north's, no back-paid month tolerated). Applications are
checked in 2019-10, so 2000-01 … 2019-09 are 237 months.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import PersonFileError
from sim.explain import check
from sim.months import month_index
from sim.person import load_person, person_population
from sim.rules.context import RuleContext
from sim.rules.points import item_points
from sim.scenario import load_scenario

HERE = Path(__file__).parent
SCENARIO = load_scenario(HERE.parent / "person" / "long-histories.yaml")
OCT_2019 = month_index(2019, 10)
PERSON = """
birth: 1980-01
sex: male
education: {{level: bachelor{graduated}}}
origin: {{hukou: rural, province: hunan}}
arrived: {arrived}
social_insurance: {paid}
back_paid: {back}
"""


def person(tmp_path: Path, arrived: str, paid: str, back: str = "{}", graduated: str = ""):
    path = tmp_path / "person.yaml"
    path.write_text(PERSON.format(arrived=arrived, paid=paid, back=back, graduated=graduated), encoding="utf-8")
    return load_person(path)


def condition(report, channel: str):
    (route,) = report.channel(channel).routes
    (found,) = [c for c in route.conditions if c.condition == "social_insurance"]
    return found


def points_of(record, city: str, item: str) -> float:
    pop, row = person_population(record, SCENARIO, city, OCT_2019)
    ctx = RuleContext(pop, OCT_2019, {"north": 0})
    channel = SCENARIO.cities[city].rules[0].channels.points
    return float(item_points(channel.items[item], ctx)[row])


def test_200_months_counted_from_2005_01_is_177_not_237(tmp_path):
    # Paid every month 2000-01 … 2019-09: 237 months, of which 2005-01 … 2019-09 = 177 count.
    record = person(tmp_path, "{a: 2000-01}", '{a: ["2000-01..2019-09"]}')
    found = condition(check(SCENARIO, "a", OCT_2019, record), "residence_employment")
    assert (found.ok, found.have, found.need) == (False, 177, 200)
    assert found.text == "cumulative social insurance: 177 months paid since 2005-01, 200 needed, 23 short ✗"


def test_points_rate_counted_from_more_than_128_months_back(tmp_path):
    record = person(tmp_path, "{a: 2000-01}", '{a: ["2000-01..2019-09"]}')
    assert points_of(record, "a", "si") == 237
    assert points_of(record, "a", "si_since_2005") == 177


@pytest.mark.parametrize(
    ("months_ago", "deducted"),
    [
        # Graduated 2017-04 (30 months before 2019-10): 2000-01 … 2017-03 = 207 months deducted.
        pytest.param(30, 207, id="30-months-ago"),
        # Graduated 2008-12 (130 months back): 2000-01 … 2008-11 = 107 months deducted.
        pytest.param(130, 107, id="130-months-ago"),
        # Graduated 1998-12 (250 months back), before the first payment: nothing deducted.
        pytest.param(250, 0, id="250-months-ago"),
    ],
)
def test_study_deduction_is_the_months_paid_before_graduation(tmp_path, months_ago, deducted):
    graduated = OCT_2019 - months_ago
    label = f"{graduated // 12}-{graduated % 12 + 1:02d}"
    record = person(tmp_path, "{a: 2000-01}", '{a: ["2000-01..2019-09"]}', graduated=f", graduated: {label}")
    assert points_of(record, "a", "si") - points_of(record, "a", "si_after_study") == deducted


def test_lifetime_across_a_region_not_containing_the_city_is_the_union(tmp_path):
    # 120 months in a (2000-01 … 2009-12), then 117 in b (2010-01 … 2019-09): 237 with north's.
    record = person(tmp_path, "{a: 2000-01, b: 2010-01}", '{a: ["2000-01..2009-12"], b: ["2010-01..2019-09"]}')
    found = condition(check(SCENARIO, "b", OCT_2019, record), "residence_employment")
    assert (found.ok, found.have) == (True, 237)


def test_back_paid_month_in_another_city_of_the_region_counts_as_back_paid(tmp_path):
    # 2018-06 back-paid; the last 24 months (2017-10 … 2019-09) are all paid with north's months.
    moved = person(
        tmp_path,
        "{a: 2015-01, c: 2019-01}",
        '{a: ["2015-01..2018-05", "2018-07..2018-12"], c: ["2019-01..2019-09"]}',
        back='{a: ["2018-06"]}',
    )
    stayed = person(tmp_path, "{c: 2015-01}", '{c: ["2015-01..2018-05", "2018-07..2019-09"]}', back='{c: ["2018-06"]}')
    for record in (moved, stayed):
        found = condition(check(SCENARIO, "c", OCT_2019, record), "talent")
        assert (found.ok, found.have, found.detail["back_paid_in_window"]) == (False, 24, 1)


def test_a_month_both_paid_and_back_paid_is_refused(tmp_path):
    with pytest.raises(PersonFileError) as raised:
        person(tmp_path, "{c: 2015-01}", '{c: ["2015-01..2019-09"]}', back='{c: ["2018-06..2018-07"]}')
    (problem,) = raised.value.problems
    assert problem.path == "back_paid.c" and problem.file.endswith("person.yaml")
    assert "2018-06..2018-07" in problem.message and "social_insurance.c" in problem.message
    assert "either paid on time or back-paid" in problem.message
    assert problem.hint


def test_counters_match_the_person_files_month_list(tmp_path):
    record = person(tmp_path, "{a: 2000-01, b: 2010-01}", '{a: ["2000-01..2009-12"], b: ["2010-01..2019-09"]}')
    pop, _ = person_population(record, SCENARIO, "b", OCT_2019)
    values = dict(zip(pop.counters.specs, pop.counters.values[0], strict=True))
    union = [v for s, v in values.items() if s.kind == "social_insurance" and s.city and s.regions == (0,)]
    assert union == [237]
    assert np.all(pop.counters.values[1:] == 0)

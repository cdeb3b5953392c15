"""Points rounds with application windows, reapply bars, and applicants who weigh their chances.

The acceptance tests: a person outside the window does not enter the pool; the pool is rebuilt
each round (it does not only grow); a higher published cut-off lowers the applications of low
scorers and leaves those at or above it applying as before; the pool shrinks once the cut-offs
are out of reach of most; a declared bar keeps the rejected out of the next round.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import admission_chance, expected_cutoff, round_entry_multiplier
from sim.errors import ScenarioError
from sim.model import POINTS, SettlementModel
from sim.population import MIGRANT
from sim.rules.context import Households, RuleContext
from sim.rules.points import score
from sim.scenario import load_scenario
from sim.scenario.schema import ApplicationWindow, PointsApplicants
from tests.conftest import FIXTURES

ROUNDS = FIXTURES / "points-rounds.yaml"
STRATEGY = {"cutoff_uncertainty_points": 3.0, "sure_chance": 0.5}
AGENTS = 3000


def _model(overrides=None, *, seed=1, months=36, agents=AGENTS) -> SettlementModel:
    scenario = load_scenario(ROUNDS, overrides=overrides)
    return SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months)


def _steps(model: SettlementModel, months: int) -> SettlementModel:
    for _ in range(months):
        model.step()
    return model


# ------------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("opens", "closes", "months"),
    [
        ("04-16", "06-14", (4, 5)),  # Beijing 2018: model months stand for their 15th
        ("04-15", "06-15", (4, 5, 6)),
        ("11-15", "02-14", (11, 12, 1)),  # over the new year
        ("01-01", "01-14", (12,)),
    ],
)
def test_window_months(opens, closes, months):
    assert ApplicationWindow(opens=opens, closes=closes).months_of_year() == months


@pytest.mark.parametrize("day", ["4-16", "13-01", "02-30", "04/16"])
def test_window_days_are_checked(day):
    with pytest.raises(ValueError, match=r"MM-DD|day of the year"):
        ApplicationWindow(opens=day, closes="06-14")


def test_chance_and_multiplier_by_hand():
    spec = PointsApplicants(cutoff_uncertainty_points=2.0, sure_chance=0.5)
    scores = np.array([80.0, 88.0, 90.0, 92.0, 100.0])
    chance = admission_chance(scores, 90.0, spec)
    # Φ(-5), Φ(-1), Φ(0), Φ(1), Φ(5)
    assert chance == pytest.approx([2.8665e-7, 0.158655, 0.5, 0.841345, 1 - 2.8665e-7], rel=1e-4)
    assert round_entry_multiplier(scores, 90.0, spec) == pytest.approx([5.733e-7, 0.31731, 1, 1, 1], rel=1e-4)
    # A higher cut-off never raises anyone's factor, and lowers it below the sure chance.
    higher = round_entry_multiplier(scores, 93.0, spec)
    assert np.all(higher <= round_entry_multiplier(scores, 90.0, spec))
    assert higher[1] < round_entry_multiplier(scores, 90.0, spec)[1]


def test_expected_cutoff_moves_with_the_quota():
    spec = PointsApplicants(cutoff_uncertainty_points=2.0, sure_chance=0.5, quota_points_per_doubling=3.0)
    assert expected_cutoff(90.0, 6000, 12000, spec) == pytest.approx(87.0)
    assert expected_cutoff(90.0, 6000, 3000, spec) == pytest.approx(93.0)
    assert expected_cutoff(90.0, None, 3000, spec) == 90.0
    assert expected_cutoff(90.0, 6000, 3000, None) == 90.0


# ------------------------------------------------------------------------------ windows and pools


@pytest.fixture(scope="module")
def windowed():
    return _model().run()


def test_applications_only_in_the_window_and_the_pool_rebuilt(windowed):
    monthly = windowed.monthly.set_index("month")
    of_year = monthly.index.str[5:]
    in_window = of_year.isin(["04", "05"])
    assert (monthly.loc[~in_window, "applied_points"] == 0).all()
    assert (monthly.loc[in_window, "applied_points"] > 0).all()
    # From the round (October) to the next window nobody is in the pool.
    between = of_year.isin(["10", "11", "12", "01", "02", "03"])
    assert (monthly.loc[between, "points_pool"] == 0).all()
    rounds = windowed.rounds.set_index("month")
    for year in ("2018", "2019", "2020"):
        window_applications = monthly.loc[[f"{year}-04", f"{year}-05"], "applied_points"].sum()
        assert 0 < rounds.loc[f"{year}-10", "applicants"] <= window_applications


def test_without_a_window_the_pool_only_grows():
    kept = _model({"cities.capital.rules[0].channels.points.rounds.window": None}).run()
    applicants = kept.rounds["applicants"].to_numpy()
    assert np.all(np.diff(applicants) > 0)
    assert (kept.monthly["applied_points"] > 0).sum() > 30


def test_a_person_outside_the_window_does_not_enter_the_pool():
    model = _steps(_model(months=12), 3)  # 2018-01..03: eligible persons, no window yet
    pop = model.pop
    assert model.eligible_channel[: pop.size][pop.status == MIGRANT].tolist().count(POINTS) > 100
    assert not (pop.applied_channel == POINTS).any()
    model.step()  # 2018-04: the window is open
    assert (model.pop.applied_channel == POINTS).sum() > 10


def test_window_needs_one_round_a_year():
    with pytest.raises(ScenarioError, match="one round a year") as err:
        load_scenario(ROUNDS, {"cities.capital.rules[0].channels.points.rounds.months_of_year": [6, 12]})
    assert "rounds.window" in str(err.value)


def test_a_published_cutoff_comes_from_before_the_run():
    published = {"points": 90.75, "round": "2018-10", "source": "test"}
    with pytest.raises(ScenarioError, match="published before the run") as err:
        load_scenario(ROUNDS, {"cities.capital.rules[0].channels.points.rounds.published_cutoff": published})
    assert "published_cutoff.round" in str(err.value)


# ------------------------------------------------------------------------------------ applicants


def _scores(model: SettlementModel, rows: np.ndarray) -> np.ndarray:
    channel = model.periods[0].rules.channels.points
    ctx = RuleContext(model.pop, model.month, model.regions, rows=rows, households=Households(model.pop, model.month))
    return score(channel, ctx)[0]


def _first_window(published: float | None) -> SettlementModel:
    overrides = {"behaviour.points_applicants": STRATEGY}
    if published is not None:
        overrides["cities.capital.rules[0].channels.points.rounds.published_cutoff"] = {
            "points": published,
            "round": "2017-10",
            "source": "test",
        }
    return _steps(_model(overrides, months=6), 5)  # to the end of the window (2018-05)


def test_a_higher_published_cutoff_lowers_applications_of_low_scorers():
    low, high, unknown = _first_window(30.0), _first_window(60.0), _first_window(None)
    applied = [np.flatnonzero(m.pop.applied_channel == POINTS) for m in (low, high, unknown)]
    # Common random numbers: the same uniforms, a factor that falls as the cut-off rises.
    assert set(applied[1]) < set(applied[0]) <= set(applied[2])
    low_scorers = [rows[_scores(m, rows) < 30.0] for m, rows in zip((low, high), applied[:2], strict=True)]
    assert len(low_scorers[1]) < 0.2 * len(low_scorers[0])
    # Those at or above the higher cut-off apply as when it was unknown (their chance is above the sure chance).
    at_or_above = applied[2][_scores(unknown, applied[2]) >= 60.0 + 1e-9]
    assert len(at_or_above) > 5
    assert set(at_or_above) <= set(applied[1])


@pytest.fixture(scope="module")
def strategic():
    published = {"points": 20.0, "round": "2017-10", "source": "test: a low cut-off, so that many try at first"}
    return _model(
        {
            "behaviour.points_applicants": STRATEGY,
            "cities.capital.rules[0].channels.points.rounds.published_cutoff": published,
        }
    ).run()


def test_the_pool_shrinks_when_cutoffs_are_out_of_reach(strategic, windowed):
    rounds = strategic.rounds.set_index("month")
    applicants = rounds["applicants"]
    assert applicants["2019-10"] < 0.5 * applicants["2018-10"]
    assert rounds.loc["2019-10", "expected_cutoff"] == rounds.loc["2018-10", "cutoff"]
    assert rounds.loc["2018-10", "expected_cutoff"] == 20.0
    # Eligibility did not shrink: the applicants chose not to apply.
    eligible = strategic.monthly.set_index("month")["eligible_points"]
    assert eligible["2019-05"] >= 0.9 * eligible["2018-05"]
    # Without the strategy the pool does not shrink that way (same seed).
    plain = windowed.rounds.set_index("month")["applicants"]
    assert plain["2019-10"] > 0.8 * plain["2018-10"]


def test_near_the_cutoff_keep_trying_far_below_stop(strategic):
    rounds = strategic.rounds.set_index("month")
    bands = [f"applicants_{band}" for band in ("below_10", "below_5_10", "below_0_5", "at_or_above")]
    first, second = rounds.loc["2018-10", bands], rounds.loc["2019-10", bands]
    assert first.sum() == rounds.loc["2018-10", "applicants"]
    assert second.sum() == rounds.loc["2019-10", "applicants"]
    # Far below the published cut-off nobody applies in the second round; near it some do.
    assert second["applicants_below_10"] == 0
    assert second["applicants_below_0_5"] + second["applicants_at_or_above"] > 0


def test_a_person_near_the_cutoff_applies_again_each_year(strategic):
    model = _model(
        {
            "behaviour.points_applicants": STRATEGY,
            "cities.capital.rules[0].channels.points.rounds.published_cutoff": {
                "points": 20.0,
                "round": "2017-10",
                "source": "test",
            },
        },
        months=24,
        agents=12_000,
    )
    _steps(model, 5)
    first = np.flatnonzero(model.pop.applied_channel == POINTS)
    _steps(model, 12)  # through the 2018 round to the end of the 2019 window
    cutoff = model.published[0][0]
    stayed = first[model.pop.status[first] == MIGRANT]
    scores = _scores(model, stayed)
    near = stayed[np.abs(scores - cutoff) <= 3]
    far = stayed[scores < cutoff - 10]
    again = model.pop.applied_channel == POINTS
    assert len(near) >= 10 and len(far) > 100
    # A window's take-up at intention and a sure chance is about a third here (two months at the
    # fixture's application rate); near the cut-off about a fifth apply again, far below none.
    assert again[near].mean() > 0.1
    assert again[far].mean() == 0


def test_a_declared_bar_keeps_the_rejected_out_of_the_next_round():
    bar = {"after": "not_admitted", "rounds": 1, "source": "test"}
    model = _model({"cities.capital.rules[0].channels.points.rounds.reapply_bars": [bar]}, months=36)
    _steps(model, 10)  # through the 2018 round
    rejected = np.flatnonzero(model.bar_rounds[: model.pop.size] == 1)
    assert len(rejected) > 100
    _steps(model, 10)  # through the 2019 round, to 2020-08
    pop = model.pop
    applied_2019 = (pop.applied_month >= 12 * 2019 + 3) & (pop.applied_month <= 12 * 2019 + 4)
    assert not applied_2019[rejected].any()
    assert applied_2019.sum() > 100
    _steps(model, 9)  # the 2020 window: the bar has passed
    applied_2020 = (pop.applied_month >= 12 * 2020 + 3) & (pop.applied_month <= 12 * 2020 + 4)
    assert applied_2020[rejected].sum() > 10


def test_without_a_quota_applicants_expect_the_threshold():
    rounds = "cities.capital.rules[0].channels.points.rounds"
    result = _model(
        {
            "behaviour.points_applicants": STRATEGY,
            f"{rounds}.quota_persons": None,
            f"{rounds}.threshold": 45,
        },
        months=24,
    ).run()
    table = result.rounds.set_index("month")
    assert (table["expected_cutoff"] == 45).all()
    assert (table["cutoff"] >= 45).all()
    assert table.loc["2018-10", "applicants_below_10"] < table.loc["2018-10", "applicants_at_or_above"]


def test_describe_names_the_window_the_bars_and_the_published_cutoff():
    from sim.describe import describe

    rounds = "cities.capital.rules[0].channels.points.rounds"
    scenario = load_scenario(
        ROUNDS,
        {
            f"{rounds}.reapply_bars": [{"after": "not_admitted", "rounds": 2, "source": "test"}],
            f"{rounds}.published_cutoff": {"points": 90.75, "round": "2017-10", "source": "test"},
        },
    )
    text = describe(scenario, "en")
    assert "applications open 04-16 to 06-14" in text
    assert "not admitted: no application for the next 2 rounds" in text
    assert "cut-off published for 2017-10: 90.75" in text
    assert "04-16至06-14受理申报" in describe(scenario, "zh")

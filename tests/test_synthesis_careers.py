"""Careers in the synthetic population: years in the city by age, contribution careers, city blocks.

The marginals a population declares are reproduced within sampling error (four standard errors,
over several seeds); the joint structure holds for every person; a city's population block
changes only the keys it declares.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.months import parse_month
from sim.population import FORMAL, HEAD, MIGRANT, SPOUSE
from sim.scenario import load_scenario
from sim.scenario.schema import parse_age_band
from sim.synthesis import career_kinds, synthesize, years_in_city_months
from tests.conftest import SCENARIOS

BASE = (SCENARIOS / "base" / "china-migrants.yaml").as_posix()

CAREERS = """
  careers:
    arrival_age_min: 16
    years_in_city:
      bands: ["0-1", "2-4", "5-9", "10-19", "20+"]
      by_age_band:
        "16-30": [0.40, 0.35, 0.20, 0.05, 0.00]
        "31-60": [0.15, 0.20, 0.25, 0.28, 0.12]
    contributions:
      steady: {share: 0.22, formal_spell_months_mean: 180, gap_months_mean: 12}
      intermittent: {share: 0.30, formal_spell_months_mean: 24, gap_months_mean: 60}
      never: {share: 0.48, formal_spell_months_mean: 1}
"""


def _write(tmp_path: Path, body: str, name: str = "careers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"id: careers-test\ntitle: {{zh: 测试, en: test}}\nextends: {BASE}\nsource: test\n{body}")
    return path


@pytest.fixture
def careers_scenario(tmp_path: Path):
    return load_scenario(_write(tmp_path, "start: 2017-01\npopulation:" + CAREERS))


def _workers(pop) -> np.ndarray:
    return (pop.status == MIGRANT) & ((pop.role == HEAD) | (pop.role == SPOUSE))


def test_years_in_city_reproduce_each_row_over_seeds(careers_scenario) -> None:
    careers = careers_scenario.population.careers
    bands = np.array([parse_age_band(b) for b in careers.years_in_city.bands]) * 12
    for age, shares in ((40, careers.years_in_city.by_age_band["31-60"]), (29, [0.40, 0.35, 0.20, 0.05, 0.0])):
        n = 40_000
        counts = np.zeros(len(bands))
        for seed in range(3):
            months = years_in_city_months(np.random.default_rng(seed), careers, np.full(n, age))
            counts += np.histogram(months, bins=[*bands[:, 0], bands[-1, 1]])[0]
        observed = counts / counts.sum()
        # At 29 the '10-19' band is cut at 13 years (arrival at 16) but keeps its share.
        expected = np.array(shares)
        se = np.sqrt(expected * (1 - expected) / counts.sum())
        assert np.all(np.abs(observed - expected) <= 4 * se + 1e-12), (age, observed, expected)


def test_a_band_beyond_the_age_at_arrival_is_dropped_and_the_row_renormalised(careers_scenario) -> None:
    careers = careers_scenario.population.careers
    # At 24, arriving at 16 or later allows at most 8 years: '10-19' and '20+' are impossible,
    # '5-9' is cut at 8 years but keeps its share.
    months = years_in_city_months(np.random.default_rng(1), careers, np.full(60_000, 24))
    assert months.max() <= (24 - 16) * 12
    share_5_to_9 = np.mean(months >= 60)
    expected = 0.20 / (0.40 + 0.35 + 0.20)
    assert share_5_to_9 == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / 60_000))
    assert np.all(years_in_city_months(np.random.default_rng(1), careers, np.full(10, 16)) == 0)


def test_careers_keep_both_the_kinds_shares_and_the_employment_shares(careers_scenario) -> None:
    spec = careers_scenario.population
    rng = np.random.default_rng(5)
    n = 200_000
    formal = spec.employment_shares["formal"]
    employment = np.where(rng.random(n) < formal, FORMAL, 0).astype(np.int8)
    kinds = career_kinds(rng, spec, employment, np.ones(n, bool))
    declared = np.array([kind.share for kind in spec.careers.contributions.values()])
    coverage = np.array([kind.coverage for kind in spec.careers.contributions.values()])
    observed = np.bincount(kinds, minlength=len(declared) + 1)[1:] / n
    # The kinds' shares come back exactly when the mean coverage equals the formal share.
    expected = (
        formal * declared * coverage / (declared * coverage).sum()
        + (1 - formal) * declared * (1 - coverage) / (declared * (1 - coverage)).sum()
    )
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(observed - expected) <= 4 * se)
    assert np.abs(expected - declared).max() < 0.03
    never = list(spec.careers.contributions).index("never") + 1
    assert not np.any((kinds == never) & (employment == FORMAL))


def test_joint_structure_of_every_initial_worker(careers_scenario) -> None:
    start = careers_scenario.start
    for seed in range(2):
        pop = synthesize(careers_scenario, 20_000, seed).population
        workers = _workers(pop)
        lived = start - pop.city_since[workers].astype(np.int64)
        arrival_age_months = pop.city_since[workers].astype(np.int64) - pop.birth_month[workers]
        assert arrival_age_months.min() >= 16 * 12
        assert np.all(pop.social_insurance.lifetime[workers] <= lived)
        assert np.all(pop.employed_months[workers] <= lived)
        assert np.all(pop.social_insurance.lifetime[workers] <= pop.employed_months[workers])
        # Long careers: some initial workers have over 20 years in the city and over 10 years insured.
        assert np.mean(lived >= 240) > 0.02
        assert np.mean(pop.social_insurance.lifetime[workers] >= 120) > 0.01


def test_employment_shares_still_hold_with_careers(careers_scenario) -> None:
    formal = []
    for seed in range(3):
        pop = synthesize(careers_scenario, 20_000, seed).population
        age = (careers_scenario.start - pop.birth_month) // 12
        working = _workers(pop) & (age >= 16) & (age < 60)
        formal.append(np.mean(pop.employment[working] == FORMAL))
    expected = careers_scenario.population.employment_shares["formal"]
    assert np.mean(formal) == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / 3 / 12_000))


def test_histories_reach_back_into_the_1990s_where_a_rule_reads_them(tmp_path: Path) -> None:
    rules = """cities:
  example:
    rules:
      - from: 2018-01-01
        channels:
          points:
            items:
              insured: {kind: rate, of: social_insurance_months, per: year, points: 1, counted_from: 2000-01}
            rounds: {months_of_year: [6], quota_persons: 100}
"""
    scenario = load_scenario(_write(tmp_path, "start: 2017-01\npopulation:" + CAREERS + rules))
    pop = synthesize(scenario, 20_000, 3).population
    (column,) = [i for i, s in enumerate(pop.counters.specs) if s.counted_from == parse_month("2000-01")]
    workers = _workers(pop)
    since_2000 = pop.counters.values[workers, column].astype(np.int64)
    lifetime = pop.social_insurance.lifetime[workers].astype(np.int64)
    before_2000 = lifetime - since_2000
    lived_before_2000 = np.maximum(parse_month("2000-01") - pop.city_since[workers].astype(np.int64), 0)
    assert np.all(before_2000 >= 0)
    assert np.all(before_2000 <= lived_before_2000)
    assert np.any(before_2000 > 0), "no contribution month before 2000: the history stops short"


def test_a_city_block_overrides_only_what_it_declares(tmp_path: Path) -> None:
    body = """cities:
  example: null
  own:
    name: {zh: 甲, en: Own}
    migrants: 500000
    rules: [{from: 2018-01-01, channels: {open: {routes: {anyone: {}}}}}]
    population:
      male_share: 0.9
      sources: {male_share: "test figure"}
  shared:
    name: {zh: 乙, en: Shared}
    migrants: 500000
    rules: [{from: 2018-01-01, channels: {open: {routes: {anyone: {}}}}}]
"""
    scenario = load_scenario(_write(tmp_path, body))
    own, shared = scenario.population_of("own"), scenario.population_of("shared")
    assert shared == scenario.population
    assert own.male_share == 0.9
    for key in type(own).model_fields:
        if key not in ("male_share", "sources"):
            assert getattr(own, key) == getattr(scenario.population, key), key
    assert own.sources["male_share"] == "test figure"
    assert own.sources["education_shares"] == scenario.population.sources["education_shares"]
    pop = synthesize(scenario, 20_000, 0).population
    heads = (pop.status == MIGRANT) & (pop.role == HEAD)
    male = {city: np.mean(pop.is_male[heads & (pop.city == i)]) for i, city in enumerate(scenario.cities)}
    assert male["own"] == pytest.approx(0.9, abs=0.02)
    assert male["shared"] == pytest.approx(scenario.population.male_share, abs=0.02)


def test_an_empty_city_block_synthesises_as_before(tmp_path: Path) -> None:
    plain = load_scenario(_write(tmp_path, "months: 6\n", "plain.yaml"))
    body = "months: 6\ncities:\n  example:\n    population: {}\n"
    blocked = load_scenario(_write(tmp_path, body, "blocked.yaml"))
    a, b = synthesize(plain, 3_000, 4).population, synthesize(blocked, 3_000, 4).population
    for name in ("birth_month", "city_since", "education", "employment", "is_male"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.social_insurance.lo, b.social_insurance.lo)
    assert np.array_equal(a.social_insurance.lifetime, b.social_insurance.lifetime)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("steady: {share: 0.22,", "steady: {share: 0.40,"),
        ('"31-60": [0.15', '"41-60": [0.15'),
        ('bands: ["0-1", "2-4"', 'bands: ["0-1", "3-4"'),
        ('"16-30": [0.40, 0.35, 0.20, 0.05, 0.00]', '"16-30": [0.40, 0.35, 0.20, 0.05]'),
        ("arrival_age_min: 16", "arrival_age_min: 18"),
    ],
)
def test_inconsistent_careers_are_refused_with_the_key(tmp_path: Path, change: str, fragment: str) -> None:
    body = "population:" + CAREERS.replace(change, fragment)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, body))
    assert "population.careers" in str(err.value)


def test_a_city_block_that_breaks_the_scenario_careers_is_refused(tmp_path: Path) -> None:
    body = (
        "population:"
        + CAREERS
        + "cities:\n  example:\n    population:\n"
        + "      employment_shares: {formal: 0.6, informal: 0.3, unemployed: 0.1}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, body))
    message = str(err.value)
    assert "city 'example'" in message and "employment_shares.formal is 0.600" in message


def test_the_beijing_block_changes_only_what_it_declares() -> None:
    national = load_scenario(BASE).population
    beijing = load_scenario(SCENARIOS / "base" / "beijing-migrants.yaml").population
    changed = {key for key in type(beijing).model_fields if getattr(beijing, key) != getattr(national, key)}
    assert changed == {"male_share", "careers", "sources", "assumptions"}
    assert set(national.sources) <= set(beijing.sources)


def test_the_ningbo_population_is_a_variant_of_the_reform() -> None:
    local, reform = load_scenario("ningbo-2019-reform-local-population"), load_scenario("ningbo-2019-reform")
    assert local.population_of("ningbo").careers is not None
    assert reform.population_of("ningbo").careers is None
    assert local.cities["ningbo"].rules == reform.cities["ningbo"].rules
    assert local.population == reform.population

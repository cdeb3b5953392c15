"""The settlement model: Mesa is the shell (clock, data collection), numpy the engine.

A month, in order (DESIGN §4; applications read the history of completed months, so the
month's own contributions are recorded after its applications):

1. ``take_rules``: the rule sets in force this month, per city (transitions applied).
2. ``demography``: arrivals take their slots; a little mortality.
   ``inform``: migrants who do not know the rules in force may learn them (``awareness``).
3. ``assess_and_apply``: eligibility by channel for each city's migrants; eligible persons
   apply with a probability from their settlement intention.
4. ``admit``: ordinary channels approve after their processing delay; points rounds rank
   their pool and admit up to the quota. Dependants settle with the settler.
5. ``work_and_contribute``: employment transitions; social insurance, tax, back-payment.
6. ``reside``: residence permits, home purchases, community changes.
7. ``migrate``: returns home and moves between cities.
8. ``collect``: indicators for the month.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence

import mesa
import numpy as np
import pandas as pd
from tqdm import tqdm

from sim import __version__, phases, provenance
from sim._loops import release_free_memory
from sim.behaviour import (
    application_probability,
    expected_cutoff,
    round_entry_multiplier,
    service_cost,
    transition_table,
)
from sim.monthly import MONTHLY_COLUMNS, SERVICE_COLUMNS, SERVICE_INDEX, MonthCounts, monthly_frame
from sim.months import month_label, parse_month
from sim.movers import Movers
from sim.person import PROVINCE_INDEX
from sim.population import (
    ABSENT,
    COLLEGE,
    EDUCATION_LEVELS,
    FORMAL,
    INACTIVE,
    LEFT,
    MIGRANT,
    MINOR_AGE,
    MONTH_DTYPE,
    NO_CHANNEL,
    NO_MONTH,
    RENT,
    SETTLED,
    Population,
)
from sim.results import RunResult
from sim.rules.admission import decide_round
from sim.rules.channels import channel_eligible
from sim.rules.context import Households, RuleContext
from sim.rules.counters import CounterPlan, clear_city
from sim.rules.kernel import Program, compile_period, counts_from_a_date, verdict_bits
from sim.rules.points import item_points, score
from sim.rules.service import (
    WORKING_DAYS_PER_MONTH,
    after_approval_working_days,
    delay_months,
    effective_service,
    is_far,
    needs_home_trip,
    permit_expired,
    processing_days,
    trips,
)
from sim.scenario.schema import CHANNELS, Channel, PointsChannel, Rounds, Scenario, Service
from sim.scenario.timeline import RulePeriod, count_from_start, resolve_timeline, rules_in_force
from sim.streams import Streams, unbiased_round
from sim.synthesis import WORKING_AGE_MIN, Synthesis, synthesize

CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}
POINTS = CHANNEL_INDEX["points"]
LOWEST_BIT = np.array([(value & -value).bit_length() - 1 if value else 0 for value in range(256)], np.int8)
"""Index of the lowest set bit of each byte value: the first channel, in CHANNELS order, of a byte of verdicts."""
SCORE_BANDS = ("below_10", "below_5_10", "below_0_5", "at_or_above")
"""Applicants by their score against the cut-off they expected (``expected_cutoff``): more than 10
points below, 5 to 10 below, less than 5 below, at or above (points)."""
SCORE_BAND_EDGES = np.array([-10.0, -5.0, 0.0])
ROUND_COLUMNS = [
    "scenario",
    "seed",
    "city",
    "month",
    "applicants",
    "quota",
    "admitted",
    "cutoff",
    "tied_at_cutoff",
    "admitted_over_quota",
    "mean_points",
    "expected_cutoff",
    *(f"applicants_{band}" for band in SCORE_BANDS),
]


class SettlementModel(mesa.Model):
    """Migrants in cities under dated settlement rules, one step per month.

    Build one with :meth:`from_scenario`; run it with :meth:`run`.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    synthesis : Synthesis
        The run's population (initial migrants and future arrivals).
    seed : int
        The run's seed (common random numbers: draws depend on seed, decision and month only).
    months : int, optional
        Months to simulate; the scenario's ``months`` by default.
    cities : sequence of str, optional
        The cities this model holds, when it is one part of a run split by city (:mod:`sim.split`):
        the rows of other cities are marked ``ABSENT`` and passed over, households moving to
        another part's city leave in :attr:`departures`, and the tables cover these cities only.
        Every city by default.
    """

    def __init__(
        self,
        scenario: Scenario,
        synthesis: Synthesis,
        *,
        seed: int,
        months: int | None = None,
        cities: Sequence[str] | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = seed
        self.months = months or scenario.months
        self.streams = Streams(seed)
        self.population = synthesis.population
        if np.any(np.diff(self.population.arrival_month) < 0):
            raise ValueError("slots must be ordered by arrival month (see sim.synthesis)")
        if np.any(np.diff(self.population.household) < 0):
            # The compiled phases split their rows between two threads at a household boundary.
            raise ValueError("a household's slots must be consecutive, households in order (see sim.synthesis)")
        self.pop = self.population
        self.scale = synthesis.scale
        self.n_households = synthesis.n_households
        self.regions = synthesis.regions
        self.region_store = synthesis.region_store
        self.counter_plan = CounterPlan.of(self.population.counters.specs, scenario)
        self.city_ids = list(scenario.cities)
        self.timelines = [resolve_timeline(city.rules) for city in scenario.cities.values()]
        self.holds = np.ones(len(self.city_ids), bool)
        """Whether this model holds each city (all but in a part of a split run)."""
        if cities is not None:
            self.holds[:] = np.isin(self.city_ids, list(cities))
            self.population.status[~self.holds[self.population.city]] = ABSENT
        self.departures: Movers | None = None
        """This month's movers to cities this model does not hold (see :mod:`sim.movers`)."""
        self.month = scenario.start
        self.periods: list[RulePeriod | None] = [None] * len(self.city_ids)
        self.grandfather_until = np.full(self.population.size, NO_MONTH, MONTH_DTYPE)
        self.grandfather_channel = np.full(self.population.size, NO_CHANNEL, np.int8)
        self.initial_agents = int((self.population.status == MIGRANT).sum())
        behaviour = scenario.behaviour
        self.retirement_age = np.where(
            self.population.is_male, behaviour.retirement_age_male, behaviour.retirement_age_female
        ).astype(np.int16)
        self._month_stats = MonthCounts(len(self.city_ids))
        self._monthly: list[pd.DataFrame] = []
        """The monthly table's rows, one frame per month (see :mod:`sim.monthly`)."""
        self.city_province = [
            None if city.province is None else PROVINCE_INDEX[city.province] for city in scenario.cities.values()
        ]
        self.still_eligible = np.zeros(self.population.size, bool)
        """Whether a pending applicant still qualifies for the channel applied to (this month)."""
        self.eligible_channel = np.full(self.population.size, NO_CHANNEL, np.int8)
        """The channel each migrant qualifies for first this month under the rules in force (NO_CHANNEL: none)."""
        self.known_period = np.full(self.population.size, -1, np.int16)
        self.unaware_possible = False
        """Whether someone may not know their city's rules in force (only a rule change makes it so)."""
        """Index in their city's timeline of the rule set each person knows (-1: none)."""
        self._programs: dict[tuple[int, int, int | None], Program] = {}
        # Per-slot state of the optional mechanisms is allocated only when the scenario declares them.
        self.has_bars = any(_declares_bars(period) for timeline in self.timelines for period in timeline)
        self.has_pipeline = behaviour.pipeline is not None or any(
            _declares_pipeline(period) for timeline in self.timelines for period in timeline
        )
        self.has_announcements = any(p.rules.announced is not None for t in self.timelines for p in t)
        size = self.population.size
        self.bar_rounds = _slots(size, np.int8, 0, self.has_bars)
        """Points rounds of their city each person may not apply to yet (a declared reapply bar)."""
        self.approved = _slots(size, bool, False, self.has_pipeline)
        """Whether a pending application is approved and in the pipeline (permit, deregistration, registration)."""
        self.approval_day = _slots(size, np.float32, 0.0, self.has_pipeline)
        """Working day of its month (0..22) an application is approved on."""
        self.knows_next = _slots(size, bool, False, self.has_announcements)
        """Whether a person knows the rule set announced for their city, before it takes effect."""
        self.ready_until = _slots(size, MONTH_DTYPE, NO_MONTH, self.has_announcements)
        """Month until which a person who knew the rules in advance applies readier (``preparation``)."""
        self.published: list[tuple[float, int | None] | None] = [None] * len(self.city_ids)
        """Each city's last published cut-off in the run and that round's quota (persons)."""
        self.announcing: list[int | None] = [None] * len(self.city_ids)
        """Per city, the index of the rule set announced and not yet in effect (None: none)."""
        self.announcements = [
            {p.index: parse_month(p.rules.announced) for p in timeline if p.rules.announced is not None}
            for timeline in self.timelines
        ]
        """Per city, the month each announced rule set (by index) was published."""
        self.seen_periods: list[dict[int, RulePeriod]] = [{} for _ in self.city_ids]
        """The rule periods each city has had so far, by index (what a person may still know)."""
        self.datacollector = mesa.DataCollector(tables={"rounds": ROUND_COLUMNS})

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, *, agents: int | None = None, seed: int = 0, months: int | None = None
    ) -> SettlementModel:
        """Synthesise the population of ``scenario`` and return a model ready to run."""
        return cls(scenario, synthesize(scenario, agents or scenario.agents, seed), seed=seed, months=months)

    # ------------------------------------------------------------------------------ the month

    def step(self) -> None:
        """Simulate one month."""
        self.advance()
        self.close_month()

    def advance(self) -> None:
        """The month's phases up to the moves; movers to cities held elsewhere wait in :attr:`departures`.

        Each phase reads and writes only the rows of the cities this model holds, and the moves
        are the only exchange between cities: the boundary at which a run split by city passes
        movers between its parts (:mod:`sim.split`) before :meth:`close_month`.
        """
        self._month_stats = MonthCounts(len(self.city_ids))
        # Slots are ordered by arrival, so the persons who have arrived are a prefix of the
        # arrays: every phase works on views of that prefix and draws that many uniforms
        # (a prefix of the full-length draw, so common random numbers are kept).
        arrived = int(np.searchsorted(self.population.arrival_month, self.month, side="right"))
        self.pop = self.population.prefix(arrived)
        self.region_store.materialize(self.pop)
        self.take_rules()
        self.demography()
        self.inform()
        self.assess_and_apply()
        self.admit()
        self.work_and_contribute()
        self.reside()
        self.migrate()

    def close_month(self) -> None:
        """Collect the month's indicators (movers from other parts received) and turn the clock."""
        self.collect()
        self.month += 1

    def run(self, *, progress: bool = False) -> RunResult:
        """Run every month and return the results."""
        started = time.perf_counter()
        months = range(self.months)
        for _ in tqdm(months, desc=self.scenario.id, unit="month", disable=not progress, leave=False):
            self.step()
        return self.result(time.perf_counter() - started)

    def take_rules(self) -> None:
        """Switch each city to the rule set in force this month, applying its transition."""
        residents: list[np.ndarray] | None = None  # each city's migrants, grouped once if a city needs them
        for index, timeline in enumerate(self.timelines):
            period = rules_in_force(timeline, self.month)
            previous = self.periods[index]
            if period is not None and (previous is None or period.index != previous.index):
                if residents is None:
                    residents = phases.migrants_by_city(self.pop, len(self.city_ids))
                # A rule set in force at the start that follows another keeps its transition too;
                # the scenario cannot start inside a grandfathering (see sim.scenario.schema).
                transition = period.rules.transition
                if transition.mode == "prospective" and period.index > 0:
                    period = RulePeriod(
                        period.start_month, count_from_start(period.rules, period.start_month), period.index
                    )
                if transition.mode == "grandfather" and period.index > 0 and self.month == period.start_month:
                    before = previous if previous is not None else timeline[period.index - 1]
                    self._grandfather(residents[index], before, transition.grandfather_months)
                self.periods[index] = period
                self.seen_periods[index][period.index] = period
                if self.month != self.scenario.start:
                    self._announce(index, residents[index], period)
                    self._take_effect(residents[index], period)
            residents = self._publish_announced(index, timeline, residents)
        if self.month == self.scenario.start:
            # Everyone, arrivals to come included, knows the rules in force at the start.
            self.known_period[:] = self._current_periods()[self.population.city]

    def _publish_announced(
        self, city: int, timeline: list[RulePeriod], residents: list[np.ndarray] | None
    ) -> list[np.ndarray] | None:
        """Open the announcement of the city's next rule set when its day has come (``RuleSet.announced``).

        From then until it takes effect the city's migrants may learn of it: its ``publicity``
        reaches its share on the announcement day, the rest hear at the ``awareness`` rates.
        Returns the migrants grouped by city (grouped here if they were not yet).
        """
        current = self.periods[city]
        following = 0 if current is None else current.index + 1
        announced = self.announcements[city].get(following)
        if announced is None or not announced <= self.month < timeline[following].start_month:
            self.announcing[city] = None
            return residents
        if self.announcing[city] is None:
            if residents is None:
                residents = phases.migrants_by_city(self.pop, len(self.city_ids))
            self.announcing[city] = following
            self.unaware_possible = True
            publicity = timeline[following].rules.publicity
            if publicity is not None and publicity.informed_share > 0:
                rows = residents[city]
                reached = rows[self.streams.uniform_at("publicity", self.month, rows) < publicity.informed_share]
                self.knows_next[reached] = True
        return residents

    def _take_effect(self, residents: np.ndarray, period: RulePeriod) -> None:
        """Those of a city's ``residents`` who learned of ``period`` before it took effect know it now."""
        if not self.has_announcements:
            return
        ahead = residents[self.knows_next[residents]]
        self.knows_next[residents] = False
        if not len(ahead):
            return
        self.known_period[ahead] = period.index
        preparation = self.scenario.behaviour.preparation
        if preparation is not None:
            self.ready_until[ahead] = self.month + preparation.ready_months

    def demography(self) -> None:
        """Activate this month's arrivals; remove those who die."""
        pop = self.pop
        arriving = np.flatnonzero((pop.status == INACTIVE) & (pop.arrival_month == self.month))
        pop.status[arriving] = MIGRANT
        self.known_period[arriving] = self._current_periods()[pop.city[arriving]]
        self._count_rows("arrived", arriving)
        rate = self.scenario.behaviour.annual_mortality_rate / 12
        self._leave(phases.dying(pop, self.streams, self.month, rate), "died")

    def inform(self) -> None:
        """Migrants who do not know their city's rules in force learn them at the awareness rates."""
        pop = self.pop
        if not self.unaware_possible:
            return
        announcing = [index for index, following in enumerate(self.announcing) if following is not None]
        if announcing:
            hearing = (pop.status == MIGRANT) & ~self.knows_next[: pop.size] & np.isin(pop.city, announcing)
            self.knows_next[self._learning(np.flatnonzero(hearing), "awareness_announced")] = True
        current = self._current_periods()
        unaware = np.flatnonzero((pop.status == MIGRANT) & (self.known_period[: pop.size] != current[pop.city]))
        if not len(unaware):
            self.unaware_possible = bool(announcing)
            return
        unaware = self._learning(unaware, "awareness")
        self.known_period[unaware] = current[pop.city[unaware]]

    def _learning(self, rows: np.ndarray, stream: str) -> np.ndarray:
        """Those of ``rows`` who learn this month, at the ``awareness`` rates (a draw from ``stream``)."""
        awareness = self.scenario.behaviour.awareness
        college_rate = awareness.college_or_above_rate
        college_rate = awareness.monthly_rate if college_rate is None else college_rate
        if awareness.monthly_rate < 1 or college_rate < 1:
            rate = np.where(self.pop.education[rows] >= COLLEGE, college_rate, awareness.monthly_rate)
            rows = rows[self.streams.uniform_at(stream, self.month, rows) < rate]
        return rows

    def assess_and_apply(self) -> None:
        """Evaluate eligibility per city and channel; eligible persons apply with their intention."""
        pop = self.pop
        u = self.streams.uniform("apply", self.month, pop.size)
        households = Households(pop, self.month)
        self.still_eligible[: pop.size] = False
        self.eligible_channel[: pop.size] = NO_CHANNEL
        by_city = phases.migrants_by_city(pop, len(self.city_ids))
        for index, period in enumerate(self.periods):
            rows = by_city[index]
            if period is None or not len(rows):
                continue
            program = self._program(index, period)
            eligible, gap_only = verdict_bits(program, pop, rows, self.month, households)
            choice = phases.choose(
                pop,
                rows,
                eligible,
                self._known_eligibility(index, period, rows, eligible, households),
                gap_only,
                program.first_channel,
                self.grandfather_until,
                self.grandfather_channel,
                self.month,
                self.eligible_channel,
                self.still_eligible,
            )
            stats = self._month_stats[index]
            stats.eligible_by_channel += choice.eligible_by_channel
            stats.eligible_any += choice.eligible_any
            stats.blocked_only_by_gap += choice.blocked_only_by_gap
            stats.eligible_unaware += choice.eligible_unaware
            stats.eligible_not_applied += choice.eligible_not_applied
            candidates, channel = choice.candidates, choice.channels
            if not len(candidates):
                continue
            intention = self.scenario.behaviour.intention
            spouses, minors = households.spouses, households.minors
            logit = phases.intention_logit(pop, candidates, self.month, intention, spouses, minors)
            chance = application_probability(logit, intention)
            services = self._services(period)
            if services:
                chance, trip_counts, home_trips = self._service_cost(
                    index, candidates, channel, chance, services, households
                )
            chance = self._readiness(candidates, chance)
            points = channel == POINTS
            if points.any():
                chance[points] = self._points_chance(index, period, candidates[points], chance[points], households)
            chosen = u[candidates] < chance
            self._apply(candidates[chosen], channel[chosen], period)
            stats.eligible_not_applied -= int(chosen.sum())
            stats.applied_by_channel += np.bincount(channel[chosen], minlength=len(CHANNELS))
            if services:
                stats.service["trips"] += trip_counts[chosen].sum()
                stats.service["home_trips"] += home_trips[chosen].sum()

    def _readiness(self, rows: np.ndarray, chance: np.ndarray) -> np.ndarray:
        """``chance`` raised for persons with their papers ready for new rules (``behaviour.preparation``)."""
        preparation = self.scenario.behaviour.preparation
        if preparation is None:
            return chance
        ready = self.ready_until[rows] > self.month
        return np.where(ready, np.minimum(chance * preparation.ready_multiplier, 1.0), chance)

    def _points_chance(
        self, city: int, period: RulePeriod, rows: np.ndarray, chance: np.ndarray, households: Households
    ) -> np.ndarray:
        """The application probability of ``rows``, eligible for the city's points round, this month.

        Zero outside the round's application window and for persons barred from reapplying; times
        :func:`sim.behaviour.round_entry_multiplier` of their score when applicants weigh it
        against a known cut-off (``behaviour.points_applicants``).
        """
        channel = period.rules.channels.points
        rounds = channel.rounds if channel is not None else None
        if rounds is None:
            return chance
        if rounds.window is not None and self.month % 12 + 1 not in rounds.window.months_of_year():
            return np.zeros_like(chance)
        chance = np.where(self.bar_rounds[rows] > 0, 0.0, chance)
        spec = self.scenario.behaviour.points_applicants
        cutoff = self._expected_cutoff(city, rounds)
        if spec is None or cutoff is None:
            return chance
        ctx = RuleContext(self.pop, self.month, self.regions, rows=rows, households=households)
        total, _ = score(channel, ctx)
        return chance * round_entry_multiplier(total, cutoff, spec)

    def _expected_cutoff(self, city: int, rounds: Rounds) -> float | None:
        """The cut-off the city's applicants expect at its next round (None: none published yet).

        Without a quota the threshold is the cut-off, and the rules publish it; with one, the
        expected cut-off is never below the threshold.
        """
        if rounds.quota_persons is None and rounds.threshold is not None:
            return rounds.threshold
        published = self.published[city]
        if published is None and rounds.published_cutoff is not None:
            published = (rounds.published_cutoff.points, rounds.published_cutoff.quota_persons)
        if published is None:
            return None
        points, quota_then = published
        expected = expected_cutoff(points, quota_then, rounds.quota_persons, self.scenario.behaviour.points_applicants)
        return expected if rounds.threshold is None else max(expected, rounds.threshold)

    def admit(self) -> None:
        """Approve due applications; hold points rounds in their months."""
        pop = self.pop
        # Without a capacity every application is decided in its decision month; applications held
        # back by a capacity stay due (decision month passed) until decided.
        due = (pop.status == MIGRANT) & (pop.decision_month != NO_MONTH) & (pop.decision_month <= self.month)
        due &= (pop.applied_channel != POINTS) & (pop.applied_channel != NO_CHANNEL)
        rows = np.flatnonzero(due)
        approved = self.approved[rows]
        self._settle(rows[approved], pop.applied_channel[rows[approved]])
        rows = rows[~approved]
        rows = rows[pop.status[rows] == MIGRANT]  # not those who just settled as a settler's dependants
        rows = self._serve_due(rows)
        rows = self._into_pipeline(rows)
        self._settle(rows, pop.applied_channel[rows])
        month_of_year = self.month % 12 + 1
        pools: list[np.ndarray] | None = None  # each city's points applicants, grouped once for every round
        for city_index, period in enumerate(self.periods):
            points = period.rules.channels.points if period else None
            if (
                self.holds[city_index]
                and points is not None
                and points.in_effect
                and points.rounds
                and month_of_year in points.rounds.months_of_year
            ):
                if pools is None:
                    pools = self._points_pools()
                self._points_round(city_index, points, pools[city_index])

    def _into_pipeline(self, rows: np.ndarray) -> np.ndarray:
        """Approve ``rows``; return those who settle this month, the others registering later.

        Under a service with a pipeline (:meth:`sim.scenario.schema.Service.has_pipeline`, or a
        trip home when ``behaviour.pipeline`` is declared and the transfer is not online) an
        approved applicant settles once the permit to move has been taken home, the origin has
        deregistered them and the city has registered them
        (:func:`sim.rules.service.after_approval_working_days`, counted from the approval day); a
        permit that expires before the trip home lapses the application.
        """
        pop, trip = self.pop, self.scenario.behaviour.pipeline
        if not len(rows):
            return rows
        now = np.ones(len(rows), bool)
        for city, period in enumerate(self.periods):
            if period is None:
                continue
            for index, (_, service) in self._services(period).items():
                home_trip = trip is not None and needs_home_trip(service)
                if index == POINTS or not (service.has_pipeline() or home_trip):
                    continue
                these = np.flatnonzero((pop.city[rows] == city) & (pop.applied_channel[rows] == index))
                if not len(these):
                    continue
                approved = rows[these]
                trip_days = np.zeros(len(these))
                if home_trip:
                    far = is_far(
                        pop.origin_province[approved],
                        self.city_province[city],
                        self.scenario.behaviour.service_cost.near_province_distance,
                    )
                    mean = trip.home_trip_working_days_mean * np.where(far, trip.far_multiplier, 1.0)
                    u = self.streams.uniform_at("home_trip", self.month, approved).astype(np.float64)
                    trip_days = -mean * np.log1p(-u)
                expired = permit_expired(service, trip_days)
                self._lapse(approved[expired])
                pop.applied_channel[approved[expired]] = NO_CHANNEL
                pop.decision_month[approved[expired]] = NO_MONTH
                days = after_approval_working_days(service, trip_days)
                delay = delay_months(days, self.approval_day[approved] / WORKING_DAYS_PER_MONTH)
                later = ~expired & (delay > 0)
                pop.decision_month[approved[later]] = self.month + delay[later]
                self.approved[approved[later]] = True
                now[these[expired | later]] = False
        return rows[now]

    def _points_pools(self) -> list[np.ndarray]:
        """Each city's applicants to its points round, in row order.

        A round settles persons of its own city only, so pools grouped before the first round of
        the month stay each city's pool.
        """
        pop = self.pop
        pool = np.flatnonzero((pop.status == MIGRANT) & (pop.applied_channel == POINTS))
        pool = pool[np.argsort(pop.city[pool], kind="stable")]
        bounds = np.searchsorted(pop.city[pool], np.arange(len(self.city_ids) + 1))
        return [pool[bounds[c] : bounds[c + 1]] for c in range(len(self.city_ids))]

    def work_and_contribute(self) -> None:
        """Employment transitions, then this month's social insurance, tax and back-payment."""
        pop, behaviour = self.pop, self.scenario.behaviour
        to_formal, to_informal, to_unemployed = transition_table(behaviour.employment, self.month)
        to_informal = to_formal + to_informal
        thresholds = np.stack([to_formal, to_informal, to_informal + to_unemployed])
        windows = np.array(
            [p.rules.back_payment.window_months if p and p.rules.back_payment.allowed else 0 for p in self.periods]
        )
        phases.work_and_contribute(
            pop,
            self.month,
            self.retirement_age[: pop.size],
            WORKING_AGE_MIN,
            self.streams,
            thresholds,
            self.region_store,
            behaviour.back_payment_rate,
            windows,
            self.counter_plan,
        )

    def reside(self) -> None:
        """Residence permits, home purchases and moves within the city."""
        pop, behaviour = self.pop, self.scenario.behaviour
        permit_after = np.array([p.rules.residence_permit.after_months if p else 10**6 for p in self.periods])
        phases.reside(
            pop,
            self.month,
            permit_after,
            self.streams,
            behaviour.permit_take_up_rate,
            behaviour.home_purchase_rate,
            behaviour.community_change_rate,
            self.n_households,
        )

    def migrate(self) -> None:
        """Households return home or move to another city (city ledgers stay; regions' and back-paid go along)."""
        pop, behaviour = self.pop, self.scenario.behaviour
        returning = phases.returning_home(
            pop,
            self.streams,
            self.month,
            behaviour.return_home_rate,
            behaviour.unemployed_return_multiplier,
            self.n_households,
        )
        self._leave(np.flatnonzero(returning), "left")
        if len(self.city_ids) < 2:
            return
        rows, cities = phases.moving_city(
            pop,
            self.streams,
            self.month,
            behaviour.move_city_rate,
            len(self.city_ids),
            self.n_households,
        )
        here = self.holds[cities]
        self.departures = self._depart(rows[~here], cities[~here]) if not here.all() else None
        self._arrive(rows[here], cities[here])

    def receive(self, movers: Movers) -> None:
        """Take in ``movers`` from another part of a split run: their rows, then their arrival."""
        self.population.put(movers.rows, movers.persons)
        self.region_store.put(movers.rows, movers.regions)
        self.population.put(movers.relatives, movers.relatives_rows)
        self.grandfather_until[movers.rows] = movers.grandfather_until
        self.grandfather_channel[movers.rows] = movers.grandfather_channel
        self._arrive(movers.rows, movers.cities)

    def _depart(self, rows: np.ndarray, cities: np.ndarray) -> Movers:
        """Movers to cities held elsewhere, with their households' settled members; their rows become ABSENT."""
        pop = self.pop
        households = np.unique(pop.household[rows])
        first = np.searchsorted(pop.household, households, side="left")
        size = np.searchsorted(pop.household, households, side="right") - first
        # The households' rows (consecutive): each household's first row, counted up through its size.
        members = np.repeat(first - np.cumsum(size) + size, size) + np.arange(size.sum())
        relatives = members[pop.status[members] == SETTLED]
        movers = Movers(
            rows,
            cities,
            pop.take(rows),
            self.region_store.take(rows),
            self.grandfather_until[rows],
            self.grandfather_channel[rows],
            relatives,
            pop.take(relatives),
        )
        pop.status[rows] = ABSENT
        return movers

    def _arrive(self, rows: np.ndarray, cities: np.ndarray) -> None:
        """``rows`` start the next month in ``cities``: the city's ledgers and counters start afresh."""
        pop = self.pop
        self.region_store.moving(pop, rows)
        pop.city[rows] = cities
        pop.city_since[rows] = self.month + 1
        pop.community_since[rows] = self.month + 1
        pop.permit_month[rows] = NO_MONTH
        self.known_period[rows] = self._current_periods()[pop.city[rows]]
        if self.has_announcements:
            self.knows_next[rows] = False
        if self.has_bars:
            self.bar_rounds[rows] = 0
        pop.tenure[rows] = RENT
        pop.employed_months[rows] = 0
        self._lapse(rows[pop.applied_channel[rows] != NO_CHANNEL])
        pop.applied_channel[rows] = NO_CHANNEL
        pop.decision_month[rows] = NO_MONTH
        # Back-paid months stay with the person, as the regions' histories do: a rule recognising
        # the old city's region counts them as back-paid.
        for ledger in (pop.social_insurance, pop.tax):
            ledger.clear(rows)
        self.region_store.materialize(pop, rows)
        clear_city(pop, rows)

    def collect(self) -> None:
        """Record this month's indicators per city (in real persons), every city at once."""
        counts = phases.city_counts(self.pop, len(self.city_ids))
        self._monthly.append(
            monthly_frame(
                self._month_stats,
                np.flatnonzero(self.holds),
                self.city_ids,
                counts,
                self.scale,
                self.scenario.id,
                self.seed,
                month_label(self.month),
            )
        )

    # ---------------------------------------------------------------------------- internals

    def _services(self, period: RulePeriod) -> dict[int, tuple[Channel, Service]]:
        """Channel index → (channel, effective service) for the channels in force that declare one."""
        found = {}
        for name, channel in period.channels():
            service = effective_service(period.rules, channel)
            if service is not None:
                found[CHANNEL_INDEX[name]] = (channel, service)
        return found

    def _service_cost(
        self,
        city_index: int,
        rows: np.ndarray,
        channels: np.ndarray,
        chance: np.ndarray,
        services: dict[int, tuple[Channel, Service]],
        households: Households,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The application probability times ``exp(-cost)``, with each candidate's trips and trip home."""
        pop, costs = self.pop, self.scenario.behaviour.service_cost
        multiplier = np.ones(len(rows))
        trip_counts = np.zeros(len(rows), np.int16)
        home = np.zeros(len(rows), bool)
        for index, (_, service) in services.items():
            these = channels == index
            if not these.any():
                continue
            chosen = rows[these]
            counts = trips(service, self.streams.uniform_at("papers", self.month, chosen) < costs.missing_papers_share)
            far = is_far(pop.origin_province[chosen], self.city_province[city_index], costs.near_province_distance)
            children = households.minors[pop.household[chosen]] > 0
            cost = service_cost(service, costs, counts, far, children, pop.employment[chosen] == FORMAL)
            multiplier[these] = np.exp(-cost)
            trip_counts[these] = counts
            home[these] = needs_home_trip(service)
        return chance * multiplier, trip_counts, home

    def _serve_due(self, rows: np.ndarray) -> np.ndarray:
        """Of the due applications ``rows``, those decided this month under the channels' services.

        Under a declared service an application lapses when the person no longer qualifies for the
        channel, and a channel's capacity decides the earliest applications first (FIFO by
        application month, then slot); the rest wait for the next month.
        """
        pop = self.pop
        if not len(rows):
            return rows
        keep = np.ones(len(rows), bool)
        capacity_u = None
        for city, period in enumerate(self.periods):
            if period is None:
                continue
            stats = self._month_stats[city]
            for index, (_, service) in self._services(period).items():
                if index == POINTS:
                    continue
                these = np.flatnonzero((pop.city[rows] == city) & (pop.applied_channel[rows] == index))
                if not len(these):
                    continue
                qualifies = self.still_eligible[rows[these]]
                keep[these[~qualifies]] = False
                lapsing = rows[these[~qualifies]]
                self._lapse(lapsing)
                pop.applied_channel[lapsing] = NO_CHANNEL
                pop.decision_month[lapsing] = NO_MONTH
                these = these[qualifies]
                if service.capacity_per_month is None or not len(these):
                    continue
                if capacity_u is None:
                    size = len(self.city_ids) * len(CHANNELS)
                    capacity_u = self.streams.uniform("service_capacity", self.month, size)
                capacity = unbiased_round(
                    service.capacity_per_month / self.scale, float(capacity_u[city * len(CHANNELS) + index])
                )
                order = np.lexsort((rows[these], pop.applied_month[rows[these]]))
                waiting = these[order[capacity:]]
                keep[waiting] = False
                stats.queue_by_channel[index] += len(waiting)
        return rows[keep]

    def _lapse(self, rows: np.ndarray) -> None:
        """Count pending applications that lapse (the caller clears them)."""
        if len(rows):
            self._month_stats.service[:, SERVICE_INDEX["lapsed"]] += np.bincount(
                self.pop.city[rows], minlength=len(self.city_ids)
            )

    def _current_periods(self) -> np.ndarray:
        """Index of each city's rule period in force (-1: none yet)."""
        return np.array([-1 if p is None else p.index for p in self.periods], np.int16)

    def _announce(self, city: int, residents: np.ndarray, period: RulePeriod) -> None:
        """Who of a city's ``residents`` learns a new rule period on its date: those the publicity reaches.

        A rule set announced before its date had its publicity then (:meth:`_publish_announced`).
        """
        self.unaware_possible = True
        publicity = period.rules.publicity
        if publicity is None or publicity.informed_share == 0:
            return
        if self.announcements[city].get(period.index, self.month) < self.month:
            return
        reached = residents[self.streams.uniform_at("publicity", self.month, residents) < publicity.informed_share]
        self.known_period[reached] = period.index

    def _program(self, city: int, period: RulePeriod) -> Program:
        """``period`` compiled for this month: compiled once while it does not depend on the month."""
        key = (city, period.index, self.month if counts_from_a_date(period) else None)
        if key not in self._programs:
            self._programs = {k: v for k, v in self._programs.items() if k[2] is None}
            self._programs[key] = compile_period(period, self.month, self.regions, self.population.counters.specs)
        return self._programs[key]

    def _known_eligibility(
        self, city: int, period: RulePeriod, rows: np.ndarray, eligible: np.ndarray, households: Households
    ) -> np.ndarray:
        """``eligible`` (one bit per channel, per row), restricted for persons who do not know ``period``.

        Such a person applies only through a channel that the rules they know admit them to as well;
        a person who knows no rules (the city had none when they learned) applies nowhere. Returns
        ``eligible`` itself when everyone knows the rules in force.
        """
        if not self.unaware_possible:
            return eligible
        known_index = self.known_period[rows]
        unaware = np.flatnonzero(known_index != period.index)
        if not len(unaware):
            return eligible
        known = eligible.copy()
        for index in np.unique(known_index[unaware]):
            these = unaware[known_index[unaware] == index]
            old = self.seen_periods[city].get(int(index))
            if old is None:
                known[these] = 0
                continue
            program = compile_period(old, self.month, self.regions, self.population.counters.specs)
            known[these] &= verdict_bits(program, self.pop, rows[these], self.month, households)[0]
        return known

    def _apply(self, rows: np.ndarray, channels: np.ndarray, period: RulePeriod) -> None:
        pop = self.pop
        pop.applied_month[rows] = self.month
        pop.applied_channel[rows] = channels
        self.still_eligible[rows] = True  # they qualify this month: they just applied
        delay = np.zeros(len(rows), np.int32)
        for name, channel in period.channels():
            these = channels == CHANNEL_INDEX[name]
            service = effective_service(period.rules, channel)
            if service is None or not these.any():
                delay[these] = channel.processing_months
                continue
            green = self.streams.uniform_at("green_channel", self.month, rows[these]) < service.green_channel_share
            day_u = self.streams.uniform_at("service_day", self.month, rows[these])
            days = processing_days(service, channel, green)
            delay[these] = delay_months(days, day_u)
            if self.has_pipeline:
                self.approval_day[rows[these]] = np.mod(day_u * WORKING_DAYS_PER_MONTH + days, WORKING_DAYS_PER_MONTH)
        pop.decision_month[rows] = np.where(channels == POINTS, NO_MONTH, self.month + delay)
        if self.has_pipeline:
            self.approved[rows] = False
        self._count_rows("applied", rows)

    def _settle(self, rows: np.ndarray, channels: np.ndarray) -> None:
        """Settle ``rows`` through ``channels`` (one per row); their dependants in the city follow."""
        pop = self.pop
        if not len(rows):
            return
        channels = np.asarray(channels, np.int8)
        waits = np.where(pop.applied_month[rows] >= 0, self.month - pop.applied_month[rows], 0)
        for city in np.unique(pop.city[rows]):
            these = pop.city[rows] == city
            self._month_stats[city].waits.append((channels[these], waits[these]))
        pop.status[rows] = SETTLED
        pop.settled_month[rows] = self.month
        pop.settled_channel[rows] = channels
        pop.applied_channel[rows] = NO_CHANNEL
        pop.decision_month[rows] = NO_MONTH
        cities = pop.city[rows]
        by_city_channel = np.bincount(cities * len(CHANNELS) + channels, minlength=len(self.city_ids) * len(CHANNELS))
        spouse_follows = np.zeros(len(rows), bool)
        minors_follow = np.zeros(len(rows), bool)
        for key in np.flatnonzero(by_city_channel):
            city, channel_index = divmod(int(key), len(CHANNELS))
            stats = self._month_stats[city]
            stats.counts["settled"] += by_city_channel[key]
            stats.settled_by_channel[channel_index] += by_city_channel[key]
            period = self.periods[city]
            channel = getattr(period.rules.channels, CHANNELS[channel_index]) if period else None
            follows = channel.dependants if channel is not None else ("spouse", "minor_children")
            these = (cities == city) & (channels == channel_index)
            spouse_follows[these] = "spouse" in follows
            minors_follow[these] = "minor_children" in follows
        household = pop.household
        spouse_household = np.zeros(self.n_households, bool)
        spouse_household[household[rows[spouse_follows]]] = True
        minors_household = np.zeros(self.n_households, bool)
        minors_household[household[rows[minors_follow]]] = True
        channel_of_household = np.full(self.n_households, NO_CHANNEL, np.int8)
        channel_of_household[household[rows]] = channels
        dependants = phases.dependants(pop, self.month, rows, spouse_household, minors_household)
        pop.status[dependants] = SETTLED
        pop.settled_month[dependants] = self.month
        pop.settled_channel[dependants] = channel_of_household[household[dependants]]
        pop.is_dependant[dependants] = True
        pop.applied_channel[dependants] = NO_CHANNEL
        pop.decision_month[dependants] = NO_MONTH
        self._count_rows("dependants_settled", dependants)

    def _points_round(self, city_index: int, channel: PointsChannel, pool: np.ndarray) -> None:
        """Rank the city's ``pool`` of applicants and admit up to the quota (DESIGN §4a, rounds).

        With an application window the round decides the applications of the window that closed
        last; everyone else of the pool, and everyone not admitted, leaves it (the pool is rebuilt
        each round). Declared reapply bars start; the cut-off is published for the next round.
        """
        pop = self.pop
        rounds = channel.rounds
        quota_u = float(self.streams.uniform("quota", self.month, len(self.city_ids))[city_index])
        quota = None if rounds.quota_persons is None else unbiased_round(rounds.quota_persons / self.scale, quota_u)
        expected = self._expected_cutoff(city_index, rounds)
        row = {
            "scenario": self.scenario.id,
            "seed": self.seed,
            "city": self.city_ids[city_index],
            "month": month_label(self.month),
            "expected_cutoff": float("nan") if expected is None else expected,
        }
        if rounds.window is not None:
            in_window = self._in_last_window(pop.applied_month[pool], rounds)
            self._lapse(pool[~in_window])
            pop.applied_channel[pool[~in_window]] = NO_CHANNEL
            pool = pool[in_window]
        self._count_down_bars(city_index, rounds)
        not_qualified = pool[:0]
        if len(pool):
            households = Households(pop, self.month)
            ctx = RuleContext(pop, self.month, self.regions, rows=pool, households=households)
            meets = channel_eligible(channel, ctx) if channel.routes else ctx.age_years >= MINOR_AGE
            not_qualified = pool[~meets]
            self._lapse(not_qualified)
            pop.applied_channel[not_qualified] = NO_CHANNEL
            pool = pool[meets]
            ctx = RuleContext(pop, self.month, self.regions, rows=pool, households=households)
        not_admitted = pool[:0]
        if len(pool):
            total, _ = score(channel, ctx)
            tie = None
            if rounds.tie == "break_by_item" and rounds.tie_break_item:
                tie = item_points(channel.items[rounds.tie_break_item], ctx, channel.items)
            outcome = decide_round(total, quota, rounds.threshold, tie)
            self._settle(pool[outcome.admitted], np.full(outcome.admitted.sum(), POINTS))
            not_admitted = pool[~outcome.admitted]
            row |= {
                "applicants": len(pool) * self.scale,
                "admitted": outcome.admitted.sum() * self.scale,
                "cutoff": outcome.cutoff,
                "tied_at_cutoff": outcome.tied_at_cutoff * self.scale,
                "admitted_over_quota": outcome.over_quota_ties * self.scale,
                "mean_points": float(total.mean()),
            }
            row |= self._score_bands(total, expected)
            if np.isfinite(outcome.cutoff):
                self.published[city_index] = (outcome.cutoff, rounds.quota_persons)
        else:
            row |= {
                "applicants": 0.0,
                "admitted": 0.0,
                "cutoff": float("nan"),
                "tied_at_cutoff": 0.0,
                "admitted_over_quota": 0.0,
                "mean_points": float("nan"),
            }
            row |= self._score_bands(np.zeros(0), expected)
        if rounds.window is not None:
            pop.applied_channel[not_admitted] = NO_CHANNEL
        for bar in rounds.reapply_bars:
            barred = not_admitted if bar.after == "not_admitted" else not_qualified
            self.bar_rounds[barred] = np.maximum(self.bar_rounds[barred], bar.rounds)
            pop.applied_channel[barred] = NO_CHANNEL
        row["quota"] = float("nan") if quota is None else quota * self.scale
        self.datacollector.add_table_row("rounds", row)

    def _in_last_window(self, applied_month: np.ndarray, rounds: Rounds) -> np.ndarray:
        """Whether each application month lies in the application window that closed last (this month or before)."""
        window = rounds.window.months_of_year()
        closes = self.month - (self.month % 12 + 1 - window[-1]) % 12
        return (applied_month >= closes - (len(window) - 1)) & (applied_month <= closes)

    def _count_down_bars(self, city: int, rounds: Rounds) -> None:
        """One round of the city's reapply bars has passed (bars declared now or earlier)."""
        if not rounds.reapply_bars and not self.bar_rounds.any():
            return
        pop = self.pop
        barred = np.flatnonzero((self.bar_rounds[: pop.size] > 0) & (pop.city == city))
        self.bar_rounds[barred] -= 1

    def _score_bands(self, total: np.ndarray, expected: float | None) -> dict[str, float]:
        """Applicants by score against the cut-off they expected, in persons (NaN when none was known)."""
        if expected is None:
            return {f"applicants_{band}": float("nan") for band in SCORE_BANDS}
        counts = np.bincount(
            np.searchsorted(SCORE_BAND_EDGES, total - expected, side="right"), minlength=len(SCORE_BANDS)
        )
        return {f"applicants_{band}": counts[i] * self.scale for i, band in enumerate(SCORE_BANDS)}

    def _grandfather(self, rows: np.ndarray, previous: RulePeriod, months: int) -> None:
        """Keep the channels ``rows`` (the city's migrants) qualified for under ``previous`` open for ``months``."""
        pop = self.pop
        if not len(rows):
            return
        program = compile_period(previous, self.month, self.regions, self.population.counters.specs)
        old, _ = verdict_bits(program, pop, rows, self.month, Households(pop, self.month))
        old &= np.uint8(0xFF ^ (1 << POINTS))
        keep = old != 0
        self.grandfather_until[rows[keep]] = self.month + months
        self.grandfather_channel[rows[keep]] = LOWEST_BIT[old[keep]]

    def _leave(self, rows: np.ndarray, counter: str) -> None:
        pop = self.pop
        self._lapse(rows[pop.applied_channel[rows] != NO_CHANNEL])
        pop.status[rows] = LEFT
        pop.left_month[rows] = self.month
        pop.applied_channel[rows] = NO_CHANNEL
        self._count_rows(counter, rows)
        if counter == "died":
            self._count_rows("left", rows)

    def _count_rows(self, name: str, rows: np.ndarray) -> None:
        self._month_stats.add(name, self.pop.city[rows])

    # ------------------------------------------------------------------------------ results

    def result(self, seconds: float = 0.0) -> RunResult:
        """Tables and manifest of the months run so far."""
        release_free_memory()  # the months' scratch space, before the tables take their own
        return RunResult(
            monthly=self._monthly_table(),
            rounds=self.datacollector.get_table_dataframe("rounds"),
            settlers=self._settlers(),
            manifest=self._manifest(seconds),
        )

    def _monthly_table(self) -> pd.DataFrame:
        if not self._monthly:
            return pd.DataFrame(columns=MONTHLY_COLUMNS + SERVICE_COLUMNS)
        return pd.concat(self._monthly, ignore_index=True)

    def _settlers(self, pop: Population | None = None) -> pd.DataFrame:
        """One row per settled agent of ``pop`` (this model's population by default; a split run's parts combined)."""
        pop = self.population if pop is None else pop
        rows = np.flatnonzero(pop.status == SETTLED)
        settled = pop.settled_month[rows]
        # Month codes from the first month with a settler on, its unused months dropped: no sort of
        # the whole column (np.unique), which would double the table's peak on a large run.
        first = int(settled.min()) if len(rows) else 0
        last = int(settled.max()) if len(rows) else -1
        month = _labelled(settled - first, [month_label(m) for m in range(first, last + 1)])
        return pd.DataFrame(
            {
                "scenario": _labelled(np.zeros(len(rows), np.int8), [self.scenario.id]),
                "seed": self.seed,
                "city": _labelled(pop.city[rows], self.city_ids),
                "month": month.remove_unused_categories(),
                "channel": _labelled(pop.settled_channel[rows], CHANNELS),
                "is_dependant": pop.is_dependant[rows],
                # Month differences fit int16 (MONTH_DTYPE) as the months themselves do.
                "age": (settled - pop.birth_month[rows]) // 12,
                "is_male": pop.is_male[rows],
                "education": _labelled(pop.education[rows], EDUCATION_LEVELS),
                "social_insurance_months": pop.social_insurance.lifetime[rows],
                "months_in_city": settled - pop.city_since[rows],
                "wait_months": np.where(pop.applied_month[rows] >= 0, settled - pop.applied_month[rows], 0).astype(
                    MONTH_DTYPE
                ),
                "persons": self.scale,
            },
            copy=False,  # the columns are fresh arrays: copying them would double the table's peak
        )

    def _manifest(self, seconds: float) -> dict[str, object]:
        resolved = self.scenario.model_dump(mode="json", by_alias=True)
        digest = hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()
        return {
            "scenario_id": self.scenario.id,
            "scenario_sha256": digest,
            "scenario": resolved,
            "seed": self.seed,
            "package_version": __version__,
            **provenance.stamp(),
            "mesa_version": mesa.__version__,
            "numpy_version": np.__version__,
            "start": month_label(self.scenario.start),
            "months": self.months,
            "agents": self.initial_agents,
            "slots": self.population.size,
            "scale_persons_per_agent": self.scale,
            "run_seconds": round(seconds, 3),
        }


def _slots(size: int, dtype: type, fill: object, needed: bool) -> np.ndarray:
    """One value per slot, or, when the mechanism is not declared, a read-only view of ``fill`` that takes no memory."""
    if needed:
        return np.full(size, fill, dtype)
    return np.broadcast_to(np.array(fill, dtype), (size,))


def _declares_bars(period: RulePeriod) -> bool:
    points = period.rules.channels.points
    return points is not None and points.rounds is not None and bool(points.rounds.reapply_bars)


def _declares_pipeline(period: RulePeriod) -> bool:
    for _, channel in period.channels():
        service = effective_service(period.rules, channel)
        if service is not None and service.has_pipeline():
            return True
    return False


def _labelled(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """``labels[codes]`` as a categorical whose categories are in sorted order.

    One small code per row instead of a string per row keeps the settlers table of a large run
    small; sorted categories make sorting and grouping by the column order rows as the strings would.
    """
    order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), np.int32)
    rank[order] = np.arange(len(labels), dtype=np.int32)
    dtype = np.int8 if len(labels) <= np.iinfo(np.int8).max else np.int32
    return pd.Categorical.from_codes(rank.astype(dtype)[codes], [labels[i] for i in order])

"""A plain-Mesa reference implementation of the settlement model's month, for benchmarking.

One ``mesa.Agent`` per person, one plain ``Household`` object per household, and a
``mesa.Model`` that runs the engine's phases in the engine's order with ``AgentSet.do`` /
``AgentSet.shuffle_do``:

1. rules in force per city (with grandfathering), 2. arrivals and mortality,
3. eligibility by channel and application draw, 4. ordinary decisions and the points round,
5. employment transition, social-insurance / tax / regional ledgers and back payment,
6. residence permits, home purchase, community change, 7. returns home and moves between
cities, 8. per-city indicators.

Rule conditions are the scenario's own (the same resolved :class:`RulePeriod` objects the
engine uses), compiled once per rule period into Python closures and evaluated per agent.
Contribution ledgers are Python ``int`` bit masks (bit 0 = the month just ended, 128 months
kept), so "continuous N" and "M within W" are a mask and ``int.bit_count`` per agent; counts
over a longer span are the engine's exact counters (:mod:`sim.rules.counters`), one ``int``
per counter and agent, kept as the agent's months are closed.

It is meant to be a fair, reasonably optimised Mesa model, not a strawman: settled persons
and leavers are removed from the model's ``AgentSet`` (the engine keeps stepping their
rows); random numbers are drawn only when a decision is actually taken (the engine draws
one per slot per decision); household aggregates are computed from the household's member
list. The population is the engine's own synthetic population (``sim.synthesis``) at the
same size, converted to agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.behaviour import transition_table
from sim.ledger import CounterSpec
from sim.model import MONTHLY_COLUMNS, ROUND_COLUMNS
from sim.months import month_label
from sim.population import (
    CHILD,
    COLLEGE,
    EDUCATION_INDEX,
    FORMAL,
    HEAD,
    INACTIVE,
    INFORMAL,
    LEFT,
    MIGRANT,
    MINOR_AGE,
    NO_CHANNEL,
    NO_MONTH,
    OWN,
    PARENT,
    RENT,
    SETTLED,
    SKILL_INDEX,
    SPOUSE,
    UNEMPLOYED,
)
from sim.rules.channels import JOIN_ROLES
from sim.rules.counters import CounterPlan
from sim.rules.counting import needs_total
from sim.scenario.schema import (
    CHANNELS,
    EDUCATION_LEVELS,
    SKILL_LEVELS,
    BracketsItem,
    Conditions,
    CountRule,
    FlagItem,
    PointsChannel,
    RateItem,
    Scenario,
    TableItem,
)
from sim.scenario.timeline import RulePeriod, count_from_start, resolve_timeline, rules_in_force
from sim.streams import unbiased_round
from sim.synthesis import WORKING_AGE_MIN, synthesize

HISTORY = 128
FULL = (1 << HISTORY) - 1
CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}
POINTS = CHANNEL_INDEX["points"]
OVER_45 = 45
YEARS_IN_CITY_CAP = 10
PER_UNIT = {"year": 1 / 12, "month": 1.0, "count": 1.0}
PRESENT = (MIGRANT, SETTLED)


def window(months: int) -> int:
    """Bit mask of the last ``months`` months (0..128)."""
    return (1 << max(0, min(months, HISTORY))) - 1


# ------------------------------------------------------------------------------ compiled rules


def history(person: Person, kind: str, regions: tuple[int, ...], t: int, filled: bool) -> tuple[int, int]:
    """``(paid bits, back-paid bits)`` as a rule sees them."""
    if filled:
        return window(max(t - person.city_since, 0)), 0
    if kind == "tax":
        return person.tax, 0
    bits = person.si
    for region in regions:
        bits |= person.region_bits[region]
    return bits, person.back


def total(person: Person, spec: CounterSpec) -> int:
    """An exact count over any span: a ledger's lifetime count or the agent's counter."""
    if not spec.is_lifetime():
        return person.counts[spec]
    if not spec.city:
        return person.region_life[spec.regions[0]]
    return person.si_life if spec.kind == "social_insurance" else person.tax_life


def compile_count(rule: CountRule, kind: str, region_index: dict[str, int]):
    """A closure ``(person, t, filled) -> bool`` for a counting rule."""
    regions = tuple(region_index[r] for r in rule.recognised_in) if kind == "social_insurance" else ()
    months, cap, cumulative_window = rule.months, rule.back_paid_max, rule.window
    counted_from = rule.counted_from
    need_mask = (1 << months) - 1

    if rule.count not in ("continuous", "cumulative"):
        raise UnsupportedKindError("count", rule.count)
    if rule.count == "continuous":

        def continuous(p: Person, t: int, filled: bool) -> bool:
            countable = HISTORY if counted_from is None else max(0, t - counted_from)
            if months > countable:
                return False
            bits, back = history(p, kind, regions, t, filled)
            return (bits & need_mask) == need_mask and (back & need_mask).bit_count() <= cap

        return continuous

    spec = CounterSpec(kind, True, tuple(sorted(regions)), counted_from, False)

    def cumulative(p: Person, t: int, filled: bool) -> bool:
        countable = HISTORY if counted_from is None else max(0, t - counted_from)
        if needs_total(rule, t):
            if filled:
                lived = max(t - p.city_since, 0)
                return (lived if counted_from is None else min(lived, countable)) >= months
            return total(p, spec) >= months
        bits, _ = history(p, kind, regions, t, filled)
        return (bits & window(min(cumulative_window or HISTORY, countable))).bit_count() >= months

    return cumulative


class UnsupportedKindError(ValueError):
    """A rule uses a kind (condition, count, points quantity, flag, item) this implementation does not have.

    The reference checks the engine by implementing every kind again: a kind it lacks must stop
    the comparison, never pass silently.
    """

    def __init__(self, what: str, name: object) -> None:
        super().__init__(f"the Mesa reference has no {what} {name!r}: implement it here before comparing")


def _condition_checks(region_index: dict[str, int]):
    """Builders ``value -> (person, t, filled) -> bool`` for each route condition, by key."""

    def at_least_age(years):
        return lambda p, t, f: (t - p.birth_month) // 12 >= years

    def at_most_age(years):
        return lambda p, t, f: (t - p.birth_month) // 12 <= years

    def joins(relative):
        roles = JOIN_ROLES[relative]
        return lambda p, t, f: p.role in roles and p.household.has_settled_adult()

    def education(level):
        index = EDUCATION_INDEX[level]
        return lambda p, t, f: p.education >= index

    def skill(level):
        index = SKILL_INDEX[level]
        return lambda p, t, f: p.skill >= index

    def graduated(years):
        within = round(years * 12)
        return lambda p, t, f: p.graduated_month != NO_MONTH and 0 <= t - p.graduated_month <= within

    def residence(need):
        return lambda p, t, f: max(t - p.city_since, 0) >= need

    def employment(need):
        return lambda p, t, f: p.employed_months >= need

    def community(need):
        return lambda p, t, f: max(t - p.community_since, 0) >= need

    def permit(need):
        return lambda p, t, f: p.permit_month != NO_MONTH and t - p.permit_month >= need

    def tenure(value):
        code = RENT if value == "rent" else OWN
        return lambda p, t, f: p.tenure == code

    def commercial(owns):
        return lambda p, t, f: p.owns_commercial == owns

    def area(need):
        return lambda p, t, f: p.household.area_per_capita(t) >= need

    def sanctions(most):
        return lambda p, t, f: p.sanctions <= most

    return {
        "joins": joins,
        "education_min": education,
        "skill_min": skill,
        "graduated_within_years": graduated,
        "age_min": at_least_age,
        "age_max": at_most_age,
        "social_insurance": lambda rule: compile_count(rule, "social_insurance", region_index),
        "tax": lambda rule: compile_count(rule, "tax", region_index),
        "residence_months_min": residence,
        "employment_months_min": employment,
        "community_months_min": community,
        "residence_permit_months_min": permit,
        "tenure": tenure,
        "owns_commercial_property": commercial,
        "floor_area_per_capita_m2_min": area,
        "sanctions_max": sanctions,
    }


def compile_route(c: Conditions, region_index: dict[str, int]):
    """A closure ``(person, t, filled) -> bool``: all of a route's conditions hold.

    Raises
    ------
    UnsupportedKindError
        If the route has a condition this implementation does not evaluate.
    """
    builders = _condition_checks(region_index)
    checks = []
    if c.joins is None:
        checks.append(lambda p, t, f: (t - p.birth_month) // 12 >= MINOR_AGE)
    for name in type(c).model_fields:
        value = getattr(c, name)
        if name == "source" or value is None:
            continue
        if name not in builders:
            raise UnsupportedKindError("route condition", name)
        checks.append(builders[name](value))

    def route(p: Person, t: int, filled: bool) -> bool:
        for check in checks:  # noqa: SIM110 (a plain loop is faster than all() over a generator)
            if not check(p, t, filled):
                return False
        return True

    return route


def compile_item(item, region_index: dict[str, int]):
    """A closure ``(person, t) -> points`` for one points item."""
    if isinstance(item, RateItem):
        quantity = compile_quantity(item.of, item, region_index)
        factor = PER_UNIT[item.per] * item.points
        cap = item.cap
        if cap is None:
            return lambda p, t: quantity(p, t) * factor

        def capped(p: Person, t: int) -> float:
            raw = quantity(p, t) * factor
            return math.copysign(min(abs(raw), cap), raw) if raw else 0.0

        return capped
    if isinstance(item, BracketsItem):
        quantity = compile_quantity(item.of, None, region_index)
        bounds = [b.below if b.below is not None else math.inf for b in item.brackets]
        values = [b.points for b in item.brackets]

        def brackets(p: Person, t: int) -> float:
            value = quantity(p, t)
            for bound, points in zip(bounds, values, strict=True):
                if value < bound:
                    return points
            return 0.0

        return brackets
    if isinstance(item, FlagItem):
        points = item.points
        flags = {
            "rents_home": lambda p: p.tenure == RENT,
            "owns_home": lambda p: p.tenure == OWN,
            "shortage_industry": lambda p: p.shortage_industry,
            "owns_commercial_property": lambda p: p.owns_commercial,
            "has_spouse": lambda p: p.role in (HEAD, SPOUSE) and p.household.has_spouse_present(),
        }
        if item.of not in flags:
            raise UnsupportedKindError("points flag", item.of)
        test = flags[item.of]
        return lambda p, t: points if test(p) else 0.0
    if isinstance(item, TableItem) and item.of == "education":
        table = [item.values.get(level, 0.0) for level in EDUCATION_LEVELS]
        return lambda p, t: table[p.education]
    if isinstance(item, TableItem) and item.of == "skill":
        table = [item.values.get(level, 0.0) for level in SKILL_LEVELS]
        return lambda p, t: table[p.skill]
    kind = getattr(item, "kind", type(item).__name__)
    raise UnsupportedKindError("points item", f"{kind} of {getattr(item, 'of', '?')}")


def compile_quantity(name: str, item: RateItem | None, region_index: dict[str, int]):
    """A closure ``(person, t) -> value`` in the units items count it in."""
    if name in ("social_insurance_months", "tax_months"):
        kind = "social_insurance" if name == "social_insurance_months" else "tax"
        regions = tuple(region_index[r] for r in item.recognised_in) if item and kind == "social_insurance" else ()
        counted_from = item.counted_from if item else None
        excluding_study = bool(item and item.excluding_study)

        counted = CounterSpec(kind, True, tuple(sorted(regions)), counted_from, False)
        studied = CounterSpec(kind, True, tuple(sorted(regions)), counted_from, True)

        def paid(p: Person, t: int) -> float:
            if counted_from is None or t - counted_from > HISTORY:
                return float(total(p, counted) - (total(p, studied) if excluding_study else 0))
            bits, _ = history(p, kind, regions, t, False)
            bits &= window(max(0, t - counted_from))
            months = bits.bit_count()
            if excluding_study:
                since = HISTORY if p.graduated_month == NO_MONTH else t - p.graduated_month
                months -= (bits & ~window(since)).bit_count()
            return float(months)

        return paid
    quantities = {
        "residence_months": lambda p, t: float(max(t - p.city_since, 0)),
        "employment_months": lambda p, t: float(p.employed_months),
        "residence_permit_months": lambda p, t: 0.0 if p.permit_month == NO_MONTH else float(t - p.permit_month),
        "community_months": lambda p, t: float(max(t - p.community_since, 0)),
        "honours": lambda p, t: float(p.honours),
        "sanctions": lambda p, t: float(p.sanctions),
        "age_years": lambda p, t: float((t - p.birth_month) // 12),
    }
    if name not in quantities:
        raise UnsupportedKindError("points quantity", name)
    return quantities[name]


class CompiledPeriod:
    """A resolved rule period with each channel's routes compiled to closures."""

    def __init__(self, period: RulePeriod, region_index: dict[str, int]) -> None:
        self.period = period
        self.index = period.index
        self.channels = []
        for name, channel in period.channels():
            if isinstance(channel, PointsChannel) and not channel.routes:
                routes = [lambda p, t, f: (t - p.birth_month) // 12 >= MINOR_AGE]
            else:
                routes = [compile_route(c, region_index) for c in channel.routes.values()]
            self.channels.append((CHANNEL_INDEX[name], channel, routes))
        points = period.rules.channels.points
        self.points = points if points is not None and points.in_effect else None
        self.points_routes = next((r for i, _, r in self.channels if i == POINTS), [])
        self.items = {}
        if self.points is not None:
            self.items = {name: compile_item(item, region_index) for name, item in self.points.items.items()}
        self.processing = {index: channel.processing_months for index, channel, _ in self.channels}
        back = period.rules.back_payment
        self.back_window = back.window_months if back.allowed else 0
        self.permit_after = period.rules.residence_permit.after_months

    def eligible(self, p: Person, t: int, filled: bool = False) -> list[bool]:
        """Eligibility by channel index (points: preconditions met)."""
        out = [False] * len(CHANNELS)
        for index, _, routes in self.channels:
            for route in routes:
                if route(p, t, filled):
                    out[index] = True
                    break
        return out

    def score(self, p: Person, t: int) -> float:
        """Total points of ``p`` under the scheme."""
        return sum(item(p, t) for item in self.items.values())


# --------------------------------------------------------------------------------- the agents


class Household:
    """The members of one household (agents, whatever their status) and its dwelling."""

    __slots__ = ("_area_month", "_area_value", "floor_area", "members")

    def __init__(self, floor_area: float) -> None:
        self.members: list[Person] = []
        self.floor_area = floor_area
        self._area_month = NO_MONTH
        self._area_value = 0.0

    def present(self) -> int:
        """Members living in the city (migrants and settled)."""
        return sum(1 for m in self.members if m.status in PRESENT)

    def area_per_capita(self, t: int) -> float:
        """Floor area per member in the city (cached for the month: the assess phase cannot change it)."""
        if self._area_month != t:
            self._area_value = self.floor_area / max(self.present(), 1)
            self._area_month = t
        return self._area_value

    def has_settled_adult(self) -> bool:
        """A settled head or spouse, whom family routes join."""
        return any(m.status == SETTLED and m.role in (HEAD, SPOUSE) for m in self.members)

    def has_spouse_present(self) -> bool:
        """A spouse of the household lives in the city (migrant or settled)."""
        return any(m.role == SPOUSE and m.status in PRESENT for m in self.members)


class Person(mesa.Agent):
    """One person: attributes, three ledgers as Python int bit masks, and the month's phases."""

    def __init__(self, model: MesaSettlement, household: Household, values: dict) -> None:
        super().__init__(model)
        self.household = household
        household.members.append(self)
        self.__dict__.update(values)
        self.status = MIGRANT
        self.applied_channel = NO_CHANNEL
        self.decision_month = NO_MONTH
        self.applied_month = NO_MONTH
        self.grandfather_until = NO_MONTH
        self.grandfather_channel = NO_CHANNEL

    # -------------------------------------------------------------------------- phases

    def demography(self) -> None:
        """Mortality."""
        model = self.model
        if self.status == MIGRANT and model.random.random() < model.monthly_mortality:
            model.leave(self, "died")

    def assess(self) -> None:
        """Eligibility by channel; apply with the settlement intention's probability."""
        if self.status != MIGRANT:
            return
        model = self.model
        compiled = model.compiled[self.city]
        if compiled is None:
            return
        t = model.month
        stats = model.stats[self.city]
        eligible = compiled.eligible(self, t)
        by_channel = stats.eligible_by_channel
        for index, ok in enumerate(eligible):
            if ok:
                by_channel[index] += 1
        if self.grandfather_until > t and self.grandfather_channel >= 0:
            eligible[self.grandfather_channel] = True
        channel = NO_CHANNEL
        for index, ok in enumerate(eligible):
            if ok and index != POINTS:
                channel = index
                break
        if channel == NO_CHANNEL and eligible[POINTS]:
            channel = POINTS
        if channel == NO_CHANNEL:
            if any(compiled.eligible(self, t, filled=True)):
                stats.blocked_only_by_gap += 1
            return
        stats.eligible_any += 1
        if self.applied_channel != NO_CHANNEL:
            return
        if model.random.random() < self.application_probability(t):
            self.applied_month = t
            self.applied_channel = channel
            self.decision_month = NO_MONTH if channel == POINTS else t + compiled.processing[channel]
            stats.counts["applied"] += 1
        else:
            stats.eligible_not_applied += 1

    def application_probability(self, t: int) -> float:
        """``application_rate × sigmoid(intention logit)``."""
        intention = self.model.scenario.behaviour.intention
        members = self.household.members
        partner = self.role in (HEAD, SPOUSE) and self.household.has_spouse_present()
        children = any(
            m.role == CHILD and m.status in PRESENT and (t - m.birth_month) // 12 < MINOR_AGE for m in members
        )
        age = (t - self.birth_month) // 12
        years = min(max(t - self.city_since, 0) / 12.0, YEARS_IN_CITY_CAP)
        logit = (
            intention.intercept
            + intention.age_40_plus * (age >= 40)
            + intention.college_or_above * (self.education >= COLLEGE)
            + intention.has_spouse_in_city * partner
            + intention.has_children_in_city * children
            + intention.has_land * self.has_land
            + intention.years_in_city * years
        )
        return intention.application_rate / (1.0 + math.exp(-logit))

    def decide(self) -> None:
        """An ordinary application whose processing ends this month is approved."""
        model = self.model
        if (
            self.status == MIGRANT
            and self.decision_month == model.month
            and self.applied_channel not in (NO_CHANNEL, POINTS)
        ):
            compiled = model.compiled[self.city]
            channel = getattr(compiled.period.rules.channels, CHANNELS[self.applied_channel]) if compiled else None
            model.settle(self, self.applied_channel, channel)

    def work(self) -> None:
        """Employment transition, this month's ledgers and back payment."""
        if self.status != MIGRANT:
            return
        model = self.model
        t = model.month
        age = (t - self.birth_month) // 12
        retirement = model.retirement_male if self.is_male else model.retirement_female
        working = self.role != PARENT and WORKING_AGE_MIN <= age < retirement
        if working:
            self.employment = model.transition(self.employment, self.education, age, model.random.random())
        else:
            self.employment = UNEMPLOYED
        paid = working and self.employment == FORMAL
        employed = working and self.employment != UNEMPLOYED
        self.si = ((self.si << 1) | paid) & FULL
        self.si_life += paid
        self.back = (self.back << 1) & FULL
        taxed = employed and self.has_business
        self.tax = ((self.tax << 1) | taxed) & FULL
        self.tax_life += taxed
        self.employed_months += employed
        counters = model.counters
        for spec, tax, first, study, cities in counters:
            if t < first or (study and (self.graduated_month == NO_MONTH or t >= self.graduated_month)):
                continue
            if tax:
                self.counts[spec] += taxed
            elif cities[self.city]:
                self.counts[spec] += paid
        regions = model.city_regions[self.city]
        bits, life = self.region_bits, self.region_life
        for region in range(len(bits)):
            inside = paid and region in regions
            bits[region] = ((bits[region] << 1) | inside) & FULL
            life[region] += inside
        if not paid:
            return
        compiled = model.compiled[self.city]
        back_window = compiled.back_window if compiled else 0
        if back_window and model.random.random() < model.back_payment_rate:
            span = min(back_window, t + 1 - self.city_since)
            gap = window(span) & ~self.si
            if gap:
                for spec, tax, first, study, cities in counters:
                    if not tax and cities[self.city]:
                        # Bit j is month t - j: from the counter's date on, before graduation if study.
                        self.counts[spec] += sum(
                            1
                            for j in range(span)
                            if gap >> j & 1
                            and t - j >= first
                            and (not study or (self.graduated_month != NO_MONTH and t - j < self.graduated_month))
                        )
                self.si |= gap
                self.si_life += gap.bit_count()
                self.back |= gap
                for region in regions:
                    new = gap & ~bits[region]
                    bits[region] |= new
                    life[region] += new.bit_count()

    def reside(self) -> None:
        """Residence permit; the head decides home purchase and community change for the household."""
        if self.status != MIGRANT:
            return
        model = self.model
        t = model.month
        random = model.random.random
        if (
            self.permit_month == NO_MONTH
            and t - self.city_since >= model.permit_after[self.city]
            and random() < model.permit_take_up
        ):
            self.permit_month = t
        if self.role == HEAD and self.tenure == RENT:
            members = [m for m in self.household.members if m.status == MIGRANT]
            if random() < model.home_purchase_rate:
                for member in members:
                    member.tenure = OWN
            if random() < model.community_change_rate:
                for member in members:
                    member.community_since = t

    def migrate(self) -> None:
        """The head takes the household home, or to another city."""
        if self.status != MIGRANT or self.role != HEAD:
            return
        model = self.model
        behaviour = model.scenario.behaviour
        rate = behaviour.return_home_rate * (
            behaviour.unemployed_return_multiplier if self.employment == UNEMPLOYED else 1.0
        )
        members = [m for m in self.household.members if m.status == MIGRANT]
        if model.random.random() < rate:
            for member in members:
                model.leave(member, "left")
            return
        n = len(model.city_ids)
        if n >= 2 and model.random.random() < behaviour.move_city_rate:
            target = (self.city + 1 + int(model.random.random() * (n - 1))) % n
            for member in members:
                member.move_to(target, model.month + 1)

    def move_to(self, city: int, since: int) -> None:
        """A move to another city: local histories are lost; the regions' and the back-paid months stay."""
        self.city = city
        self.city_since = since
        self.community_since = since
        self.permit_month = NO_MONTH
        self.tenure = RENT
        self.employed_months = 0
        self.applied_channel = NO_CHANNEL
        self.decision_month = NO_MONTH
        self.si = self.si_life = self.tax = self.tax_life = 0
        for spec in self.counts:
            if spec.city:
                self.counts[spec] = total(self, spec.without_city()) if spec.regions else 0


# ---------------------------------------------------------------------------------- the model


@dataclass
class CityMonth:
    """Counts for one city in one month."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("arrived", "left", "died", "applied", "settled", "dependants_settled"), 0
        )
    )
    settled_by_channel: list[int] = field(default_factory=lambda: [0] * len(CHANNELS))
    eligible_by_channel: list[int] = field(default_factory=lambda: [0] * len(CHANNELS))
    eligible_any: int = 0
    eligible_not_applied: int = 0
    blocked_only_by_gap: int = 0
    waits: list[int] = field(default_factory=list)


class MesaSettlement(mesa.Model):
    """The reference model: the engine's month, person by person."""

    def __init__(self, scenario: Scenario, *, agents: int, seed: int) -> None:
        super().__init__(seed=seed)
        self.scenario = scenario
        synthesis = synthesize(scenario, agents, seed)
        self.scale = synthesis.scale
        self.city_ids = list(scenario.cities)
        self.region_index = synthesis.regions
        specs = synthesis.population.counters.specs
        plan = CounterPlan.of(specs, scenario)
        self.counters = [
            (spec, bool(plan.tax[c]), int(plan.first[c]), bool(plan.study[c]), plan.cities[c].tolist())
            for c, spec in enumerate(specs)
        ]
        """Per counter: its spec, whether it counts tax, its first month, study only, and which cities count."""
        self.city_regions = [
            tuple(i for i, members in enumerate(scenario.regions.values()) if city in members) for city in self.city_ids
        ]
        self.timelines = [resolve_timeline(city.rules) for city in scenario.cities.values()]
        self.compiled: list[CompiledPeriod | None] = [None] * len(self.city_ids)
        behaviour = scenario.behaviour
        self.monthly_mortality = behaviour.annual_mortality_rate / 12
        self.retirement_male = behaviour.retirement_age_male
        self.retirement_female = behaviour.retirement_age_female
        self.back_payment_rate = behaviour.back_payment_rate
        self.permit_take_up = behaviour.permit_take_up_rate
        self.home_purchase_rate = behaviour.home_purchase_rate
        self.community_change_rate = behaviour.community_change_rate
        self.permit_after = [10**6] * len(self.city_ids)
        self.month = scenario.start
        self.settled_total = [0] * len(self.city_ids)
        self.stats = [CityMonth() for _ in self.city_ids]
        self.seed = seed
        self.datacollector = mesa.DataCollector(tables={"monthly": MONTHLY_COLUMNS, "rounds": ROUND_COLUMNS})
        everyone = np.arange(synthesis.population.size)
        # Each region's ledger for every person, exactly (the engine keeps only what its rules read).
        self.region_ledgers = [
            synthesis.region_store.ledger(synthesis.population, r, everyone) for r in range(len(scenario.regions))
        ]
        self._build(synthesis.population, synthesis.n_households)

    def _build(self, pop, n_households: int) -> None:
        """Turn the synthetic population into households and agents (arrivals wait for their month)."""
        self.households = [None] * n_households
        self.arrivals: dict[int, list[int]] = {}
        self._rows = pop
        for row in range(pop.size):
            if pop.status[row] == INACTIVE:
                self.arrivals.setdefault(int(pop.arrival_month[row]), []).append(row)
            elif pop.status[row] == MIGRANT:
                self._create(row)

    def _create(self, row: int) -> Person:
        pop = self._rows
        h = int(pop.household[row])
        if self.households[h] is None:
            self.households[h] = Household(float(pop.floor_area_m2[row]))
        regions = self.region_ledgers
        values = {
            "row": row,
            "city": int(pop.city[row]),
            "role": int(pop.role[row]),
            "birth_month": int(pop.birth_month[row]),
            "is_male": bool(pop.is_male[row]),
            "education": int(pop.education[row]),
            "skill": int(pop.skill[row]),
            "graduated_month": int(pop.graduated_month[row]),
            "has_land": bool(pop.has_land[row]),
            "employment": int(pop.employment[row]),
            "has_business": bool(pop.has_business[row]),
            "city_since": int(pop.city_since[row]),
            "permit_month": int(pop.permit_month[row]),
            "community_since": int(pop.community_since[row]),
            "tenure": int(pop.tenure[row]),
            "owns_commercial": bool(pop.owns_commercial[row]),
            "honours": int(pop.honours[row]),
            "sanctions": int(pop.sanctions[row]),
            "shortage_industry": bool(pop.shortage_industry[row]),
            "employed_months": int(pop.employed_months[row]),
            "si": int(pop.social_insurance.lo[row]) | int(pop.social_insurance.hi[row]) << 64,
            "si_life": int(pop.social_insurance.lifetime[row]),
            "back": int(pop.back_paid.lo[row]) | int(pop.back_paid.hi[row]) << 64,
            "tax": int(pop.tax.lo[row]) | int(pop.tax.hi[row]) << 64,
            "tax_life": int(pop.tax.lifetime[row]),
            "region_bits": [int(r.lo[row]) | int(r.hi[row]) << 64 for r in regions],
            "region_life": [int(r.lifetime[row]) for r in regions],
            "counts": {spec: int(pop.counters.values[row, c]) for c, spec in enumerate(pop.counters.specs)},
        }
        return Person(self, self.households[h], values)

    # ------------------------------------------------------------------------------ month

    def step(self) -> None:
        """One month, phase by phase, as the engine runs it."""
        self.stats = [CityMonth() for _ in self.city_ids]
        self.take_rules()
        to_formal, to_informal, to_unemployed = transition_table(self.scenario.behaviour.employment, self.month)
        self.thresholds = [
            (f, f + i, f + i + n)
            for f, i, n in zip(to_formal.tolist(), to_informal.tolist(), to_unemployed.tolist(), strict=True)
        ]
        for row in self.arrivals.pop(self.month, ()):
            person = self._create(row)
            self.stats[person.city].counts["arrived"] += 1
        self.agents.do("demography")
        self.agents.shuffle_do("assess")
        self.agents.do("decide")
        self.points_rounds()
        self.agents.do("work")
        self.agents.do("reside")
        self.agents.do("migrate")
        self.collect()
        self.month += 1

    def take_rules(self) -> None:
        """Switch each city's compiled rules when a new rule set governs; grandfather if asked."""
        for index, timeline in enumerate(self.timelines):
            period = rules_in_force(timeline, self.month)
            previous = self.compiled[index]
            if period is None or (previous is not None and previous.index == period.index):
                continue
            transition = period.rules.transition
            if transition.mode == "prospective" and period.index > 0:
                period = RulePeriod(
                    period.start_month, count_from_start(period.rules, period.start_month), period.index
                )
            if transition.mode == "grandfather" and period.index > 0 and self.month == period.start_month:
                before = previous or CompiledPeriod(self.timelines[index][period.index - 1], self.region_index)
                until = self.month + transition.grandfather_months
                for person in self.agents:
                    if person.status == MIGRANT and person.city == index:
                        old = before.eligible(person, self.month)
                        old[POINTS] = False
                        if any(old):
                            person.grandfather_until = until
                            person.grandfather_channel = old.index(True)
            self.compiled[index] = CompiledPeriod(period, self.region_index)
            self.permit_after[index] = period.rules.residence_permit.after_months

    def transition(self, state: int, education: int, age: int, u: float) -> int:
        """Next employment state (the engine's rates, multipliers and shocks, tabulated for the month)."""
        kind = state * 4 + (education >= COLLEGE) * 2 + (age >= OVER_45)
        first, second, third = self.thresholds[kind]
        if u < first:
            return FORMAL
        if u < second:
            return INFORMAL
        if u < third:
            return UNEMPLOYED
        return state

    def settle(self, person: Person, channel_index: int, channel) -> None:
        """Settle ``person`` and the dependants the channel lets follow."""
        t = self.month
        stats = self.stats[person.city]
        self._mark_settled(person, channel_index)
        stats.counts["settled"] += 1
        stats.settled_by_channel[channel_index] += 1
        stats.waits.append(t - person.city_since)
        follows = channel.dependants if channel is not None else ("spouse", "minor_children")
        spouse, minors = "spouse" in follows, "minor_children" in follows
        for member in person.household.members:
            if member.status != MIGRANT:
                continue
            if (spouse and member.role in (HEAD, SPOUSE)) or (
                minors and member.role == CHILD and (t - member.birth_month) // 12 < MINOR_AGE
            ):
                self._mark_settled(member, channel_index)
                member.is_dependant = True
                self.stats[member.city].counts["dependants_settled"] += 1

    def _mark_settled(self, person: Person, channel_index: int) -> None:
        person.status = SETTLED
        person.settled_month = self.month
        person.settled_channel = channel_index
        person.applied_channel = NO_CHANNEL
        person.decision_month = NO_MONTH
        self.settled_total[person.city] += 1
        person.remove()  # a settled person no longer steps; the household keeps them for family routes

    def leave(self, person: Person, counter: str) -> None:
        """A person leaves the model (returns home or dies)."""
        person.status = LEFT
        person.left_month = self.month
        person.applied_channel = NO_CHANNEL
        counts = self.stats[person.city].counts
        counts[counter] += 1
        if counter == "died":
            counts["left"] += 1
        person.remove()

    def points_rounds(self) -> None:
        """Each city with a points round this month ranks its pool and admits up to the quota."""
        month_of_year = self.month % 12 + 1
        t = self.month
        for city, compiled in enumerate(self.compiled):
            points = compiled.points if compiled else None
            if points is None or not points.rounds or month_of_year not in points.rounds.months_of_year:
                continue
            rounds = points.rounds
            quota_u = self.random.random()
            quota = None if rounds.quota_persons is None else unbiased_round(rounds.quota_persons / self.scale, quota_u)
            pool = self.agents.select(
                lambda a, city=city: a.status == MIGRANT and a.city == city and a.applied_channel == POINTS
            )
            applicants = []
            for person in pool:
                if any(route(person, t, False) for route in compiled.points_routes):
                    applicants.append(person)
                else:
                    person.applied_channel = NO_CHANNEL
            tie_item = compiled.items.get(rounds.tie_break_item) if rounds.tie == "break_by_item" else None
            scored = [(compiled.score(p, t), tie_item(p, t) if tie_item else 0.0, p) for p in applicants]
            threshold = rounds.threshold
            passing = [s for s in scored if threshold is None or s[0] >= threshold - 1e-9]
            if quota is not None and len(passing) > quota:
                if quota <= 0:
                    passing = []
                else:
                    passing.sort(key=lambda s: (s[0], s[1]), reverse=True)
                    last = passing[quota - 1][:2]
                    passing = [s for s in passing if s[:2] >= last]
            for _, _, person in passing:
                if person.status == MIGRANT:  # a spouse admitted above may already have followed
                    self.settle(person, POINTS, points)
            self.datacollector.add_table_row(
                "rounds",
                {
                    "scenario": self.scenario.id,
                    "seed": self.seed,
                    "city": self.city_ids[city],
                    "month": month_label(t),
                    "applicants": len(applicants) * self.scale,
                    "admitted": len(passing) * self.scale,
                    "quota": quota,
                },
                ignore_missing=True,
            )

    def collect(self) -> None:
        """Per-city indicators for the month (real persons)."""
        n = len(self.city_ids)
        migrants, formal, pool = [0] * n, [0] * n, [0] * n
        for person in self.agents:
            if person.status == MIGRANT:
                migrants[person.city] += 1
                formal[person.city] += person.employment == FORMAL
                pool[person.city] += person.applied_channel == POINTS
        w = self.scale
        for index, city in enumerate(self.city_ids):
            stats = self.stats[index]
            row = {
                "scenario": self.scenario.id,
                "seed": self.seed,
                "city": city,
                "month": month_label(self.month),
                "migrants": migrants[index] * w,
                "settled_total": self.settled_total[index] * w,
                **{k: v * w for k, v in stats.counts.items()},
                **{f"settled_{c}": stats.settled_by_channel[i] * w for i, c in enumerate(CHANNELS)},
                "eligible_any": stats.eligible_any * w,
                **{f"eligible_{c}": stats.eligible_by_channel[i] * w for i, c in enumerate(CHANNELS)},
                "eligible_not_applied": stats.eligible_not_applied * w,
                # The reference models the base scenario's immediate awareness: nobody is unaware.
                "eligible_unaware": 0.0,
                "blocked_only_by_gap": stats.blocked_only_by_gap * w,
                "points_pool": pool[index] * w,
                "formal_share": formal[index] / migrants[index] if migrants[index] else 0.0,
                "mean_wait_months": sum(stats.waits) / len(stats.waits) if stats.waits else float("nan"),
            }
            self.datacollector.add_table_row("monthly", row)

"""Every entry of the vocabulary has every part; the compiled kernel agrees with each condition's reference.

The test enumerates :data:`sim.rules.condition_kinds.CONDITION_KINDS` and the points quantities
and flags of :mod:`sim.rules.item_quantities`: an entry added later is covered without editing
this file. Values are drawn from the kind's own schema (its annotation and
bounds) and from what persons of the population have (so that thresholds fall on values someone
has exactly); a kind whose value type this file cannot draw fails here, by name.
"""

from __future__ import annotations

import functools
import typing
from types import SimpleNamespace

import annotated_types
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.describe import I18N_DIR, LANGS, Labels
from sim.errors import UnknownKindError
from sim.ledger import Counters, CounterSpec
from sim.population import MIGRANT
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.context import RuleContext
from sim.rules.counters import item_specs
from sim.rules.item_quantities import BRACKETS_ONLY, ITEM_FLAGS, ITEM_QUANTITIES, ItemFlag, ItemQuantity
from sim.rules.kernel import compile_period
from sim.rules.points import flag, item_points, quantity
from sim.rules.vocabulary import Check, Compare, ConditionKind, Count, Joins, Widget, kind_of
from sim.scenario import load_scenario
from sim.scenario.schema import (
    BracketsItem,
    Channel,
    Conditions,
    CountRule,
    FlagItem,
    FlagQuantity,
    RateItem,
    RateQuantity,
)
from sim.scenario.timeline import RulePeriod
from tests.conftest import FIXTURES
from tests.rules.test_kernel import PERIOD, SYNTHESIS, T, assert_kernel_equals_arrays, count_rules, scramble

KINDS = list(CONDITION_KINDS.values())
IDS = list(CONDITION_KINDS)
VALUE_TYPES = {CountRule: count_rules(regions=True)}
"""Strategies for value types that are models; a kind of a new such type adds its strategy here."""


@functools.cache
def population(seed: int):
    return scramble(seed)


def _bounds(kind: ConditionKind) -> tuple[float | None, float | None, bool]:
    """Lowest and highest value the field admits, and whether the lowest is excluded (``gt``)."""
    low = high = None
    exclusive = False
    for rule in kind.field.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        elif isinstance(rule, annotated_types.Gt):
            low, exclusive = rule.gt, True
        elif isinstance(rule, annotated_types.Le):
            high = rule.le
    return low, high, exclusive


def schema_values(kind: ConditionKind) -> st.SearchStrategy[object]:
    """Values of the kind's own type and bounds, as a scenario could write them."""
    annotation = kind.annotation
    if typing.get_origin(annotation) is typing.Annotated:  # a type with a validator, e.g. Education's alias
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is bool:
        return st.booleans()
    low, high, exclusive = _bounds(kind)
    if annotation is int:
        return st.integers(int(low) + exclusive, int(high))
    if annotation is float:
        # Twelfths and halves (months, half-metres) as well as any float in bounds.
        twelfths = st.integers(1, int(high) * 12).map(lambda n: n / 12)
        return twelfths | st.floats(low, high, exclude_min=exclusive, allow_nan=False)
    if annotation in VALUE_TYPES:
        return VALUE_TYPES[annotation]
    raise AssertionError(f"no strategy for the value type {annotation!r} of condition kind {kind.name!r}")


def is_valid(kind: ConditionKind, value: object) -> bool:
    try:
        Conditions(**{kind.name: value})
    except ValidationError:
        return False
    return True


@st.composite
def kind_values(draw: st.DrawFn, kind: ConditionKind, ctx: RuleContext) -> object:
    """A value of ``kind``: from its schema, or one a person has (a threshold met exactly)."""
    value = draw(schema_values(kind))
    assume(is_valid(kind, value))
    have = kind.reference(ctx, value, False).have
    if have is not None and kind.annotation in (int, float) and draw(st.booleans()):
        candidate = kind.annotation(draw(st.sampled_from(np.unique(have)[:500].tolist())))
        if is_valid(kind, candidate):
            value = candidate
    return value


def valid_values(kind: ConditionKind) -> st.SearchStrategy[object]:
    return schema_values(kind).filter(lambda value: is_valid(kind, value))


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_kind_has_every_part(kind: ConditionKind, data: st.DataObject) -> None:
    field = Conditions.model_fields[kind.name]
    assert field.annotation == (kind.annotation | None) and field.default is None
    assert field.description, f"{kind.name}: the field's description says what it is and its units"
    assert isinstance(kind.widget, Widget)
    assert callable(kind.reference) and callable(kind.words) and callable(kind.value_words)
    assert isinstance(kind.compiled, Compare | Count | Joins)
    assert kind_of(CONDITION_KINDS, kind.name) is kind
    ctx = RuleContext(population(0), T, SYNTHESIS.regions)
    value = data.draw(valid_values(kind), label=kind.name)
    check = kind.reference(ctx, value, False)
    assert isinstance(check, Check) and check.ok.dtype == bool and check.ok.shape == (ctx.pop.size,)
    assert check.condition == kind.name or check.condition == f"joins_settled_{value}"
    program = compile_period(_period({kind.name: value}), T, SYNTHESIS.regions, ctx.pop.counters.specs)
    assert len(program.conditions) >= 1


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_kind_has_words_in_both_languages(kind: ConditionKind, lang: str, data: st.DataObject) -> None:
    """The key's label and every template its words use exist in ``ui/i18n/<lang>.yaml``."""
    labels = yaml.safe_load((I18N_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert kind.name in labels["fields"], f"fields.{kind.name} missing from {lang}.yaml"
    missing: list[str] = []

    class Strict(Labels):
        def get(self, section: str, key: str) -> str:
            if key not in self.data.get(section, {}):
                missing.append(f"{section}.{key}")
            return super().get(section, key)

        def key(self, dotted: str) -> str:
            text = super().key(dotted)
            if text == dotted:
                missing.append(dotted)
            return text

    value = data.draw(valid_values(kind), label=kind.name)
    # Values are worded as a check states them (a counting rule needs its months).
    need = kind.reference(RuleContext(population(0), T, SYNTHESIS.regions), value, False).need
    shown = value if need is None else need
    for words in (kind.words(value, Strict(lang, labels)), kind.value_words(shown, Strict(lang, labels))):
        assert isinstance(words, str) and words.strip()
    assert not missing, f"{kind.name}: templates missing from {lang}.yaml: {sorted(set(missing))}"


def _period(route: dict[str, object]) -> RulePeriod:
    channels = PERIOD.rules.channels.model_copy(
        update={name: None for name in type(PERIOD.rules.channels).model_fields} | {"talent": _channel(route)}
    )
    return RulePeriod(PERIOD.start_month, PERIOD.rules.model_copy(update={"channels": channels}), 0)


def _channel(route: dict[str, object]) -> Channel:
    return Channel(routes={"only": Conditions(**route)})


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), seed=st.integers(0, 3), month=st.integers(T - 24, T + 24), other=st.sampled_from(IDS))
def test_kernel_agrees_with_the_reference(kind: ConditionKind, data: st.DataObject, seed: int, month: int, other: str):
    """On random persons, for random values of the kind (alone, and with one other condition)."""
    pop = population(seed)
    ctx = RuleContext(pop, month, SYNTHESIS.regions, rows=np.flatnonzero(pop.status == MIGRANT))
    route = {kind.name: data.draw(kind_values(kind, ctx), label=kind.name)}
    if other != kind.name and data.draw(st.booleans(), label="with another"):
        route[other] = data.draw(kind_values(CONDITION_KINDS[other], ctx), label=other)
        assume(is_valid_route(route))
    assert_kernel_equals_arrays(_period(route), pop, month, SYNTHESIS.regions)


def is_valid_route(route: dict[str, object]) -> bool:
    try:
        Conditions(**route)
    except ValidationError:
        return False
    return True


def test_an_unknown_kind_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownKindError, match=r"unknown condition 'age_maximum'.*'age_max'"):
        kind_of(CONDITION_KINDS, "age_maximum")
    ctx = RuleContext(population(0), T, SYNTHESIS.regions)
    with pytest.raises(UnknownKindError, match="unknown quantity 'height_cm'"):
        ctx.quantity("height_cm")


def test_an_unknown_count_mode_is_an_error_not_cumulative() -> None:
    """A count that is neither continuous nor cumulative is never read as cumulative."""
    from sim.rules.counting import count_ok, needs_total
    from sim.rules.kernel import _compile_count

    rule = CountRule.model_construct(count="rolling", months=12, window=None, back_paid_max=0, recognised_in=())
    rule = rule.model_copy(update={"counted_from": None})
    ctx = RuleContext(population(0), T, SYNTHESIS.regions)
    with pytest.raises(UnknownKindError, match="unknown count 'rolling'"):
        needs_total(rule, T)
    with pytest.raises(UnknownKindError, match="unknown count 'rolling'"):
        count_ok(rule, ctx.history("social_insurance"), T)
    with pytest.raises(UnknownKindError, match="unknown count 'rolling'"):
        _compile_count(0, rule, T, {}, (), lambda *a, **k: None)
    with pytest.raises(ValidationError, match="continuous"):
        CountRule(count="rolling", months=12)


# ------------------------------------------------------------------------------------ points items

QUANTITIES = list(ITEM_QUANTITIES.values())
FLAGS = list(ITEM_FLAGS.values())


NEEDS = {"group": "outer", "threshold_cny": 100_000.0, "last_years": 3, "attribute": "patents"}
"""A value of each rate-item field a quantity may need (``ItemQuantity.needs``)."""


def _item_for(quantity: ItemQuantity) -> RateItem | BracketsItem:
    if quantity.per:
        needs = {name: NEEDS[name] for name in quantity.needs}
        return RateItem(kind="rate", of=quantity.name, points=2, per=quantity.per[-1], cap=20, **needs)
    return BracketsItem(kind="brackets", of=quantity.name, brackets=({"below": 30, "points": 5}, {"points": 1}))


def _carrying(pop, item: RateItem | BracketsItem):
    """``pop`` with what the item reads beyond the fixture: its counters, income tax years and attribute.

    Counts are random within the months lived in the city; the test checks parts and shapes, the
    counts themselves are checked in tests/histories.
    """
    rng = np.random.default_rng(0)
    pop = pop.prefix(pop.size)
    specs = item_specs(item, SYNTHESIS.regions) if isinstance(item, RateItem) else set()
    missing = tuple(sorted(specs - set(pop.counters.specs), key=CounterSpec.sort_key))
    lived = np.maximum(T - pop.city_since.astype(np.int64), 0)
    extra = np.stack([rng.integers(0, lived + 1) for _ in missing], axis=1) if missing else np.zeros((pop.size, 0))
    pop.counters = Counters(pop.counters.specs + missing, np.hstack([pop.counters.values, extra]).astype(np.int16))
    pop.income_tax_cny = rng.choice([0.0, 50_000.0, 150_000.0], size=(pop.size, 4)).astype(np.float32)
    pop.attributes = rng.integers(0, 3, (pop.size, 1)).astype(np.float32)
    pop.attribute_names = ("patents",)
    return pop


@pytest.mark.parametrize("quantity", QUANTITIES, ids=list(ITEM_QUANTITIES))
def test_every_points_quantity_has_every_part(quantity: ItemQuantity) -> None:
    assert quantity.name in typing.get_args(RateQuantity) or quantity.name in BRACKETS_ONLY
    assert (quantity.name in typing.get_args(RateQuantity)) == bool(quantity.per)
    assert set(quantity.per) <= {"month", "year", "count"}
    item = _item_for(quantity)
    ctx = RuleContext(_carrying(population(0), item), T, SYNTHESIS.regions)
    values = quantity.reference(ctx, item if isinstance(item, RateItem) else None)
    assert np.asarray(values).shape == (ctx.pop.size,) and np.isfinite(np.asarray(values, np.float64)).all()
    points = item_points(item, ctx)
    assert points.shape == (ctx.pop.size,) and np.isfinite(points).all()
    for lang in LANGS:
        labels = yaml.safe_load((I18N_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert quantity.name in labels["quantities"], f"quantities.{quantity.name} missing from {lang}.yaml"
        assert quantity.words(Labels(lang, labels)) == labels["quantities"][quantity.name]


@pytest.mark.parametrize("flag", FLAGS, ids=list(ITEM_FLAGS))
def test_every_points_flag_has_every_part(flag: ItemFlag) -> None:
    assert flag.name in typing.get_args(FlagQuantity)
    ctx = RuleContext(population(0), T, SYNTHESIS.regions)
    held = np.asarray(flag.reference(ctx))
    assert held.shape == (ctx.pop.size,) and held.dtype == bool
    points = item_points(FlagItem(kind="flag", of=flag.name, points=3), ctx)
    np.testing.assert_array_equal(points, np.where(held, 3.0, 0.0))
    for lang in LANGS:
        labels = yaml.safe_load((I18N_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert flag.name in labels["flags"], f"flags.{flag.name} missing from {lang}.yaml"
        assert flag.words(Labels(lang, labels)) == labels["flags"][flag.name]


def test_the_schema_offers_exactly_the_registered_quantities_and_flags() -> None:
    assert set(typing.get_args(RateQuantity)) | set(BRACKETS_ONLY) == set(ITEM_QUANTITIES)
    assert set(typing.get_args(FlagQuantity)) == set(ITEM_FLAGS)


def test_an_unknown_points_quantity_flag_or_item_kind_is_an_error_naming_it() -> None:
    ctx = RuleContext(population(0), T, SYNTHESIS.regions)
    with pytest.raises(UnknownKindError, match="unknown points quantity 'patents'"):
        quantity("patents", ctx, None)
    with pytest.raises(UnknownKindError, match="unknown points flag 'owns_car'"):
        flag("owns_car", ctx)
    with pytest.raises(UnknownKindError, match="unknown points item kind 'lottery'"):
        item_points(SimpleNamespace(kind="lottery", of="owns_home", points=1), ctx)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_the_rule_editor_offers_each_kind_as_its_entry_says(kind: ConditionKind, data: st.DataObject) -> None:
    from ui.rules import editables

    value = data.draw(valid_values(kind), label=kind.name)
    route = Conditions(**{kind.name: value}).model_dump(mode="json", exclude_none=True)
    scenario = load_scenario(
        FIXTURES / "two-cities-points.yaml",
        overrides={"cities.beta.rules[1].channels.talent": {"routes": {"edited": route}}},
    )
    offered = {e.field: e for e in editables(scenario) if e.city == "beta" and e.route == "edited"}
    expected = {Widget.COUNT_RULE: "count_rule", Widget.WHOLE_NUMBER: "number", Widget.NUMBER: "number"}
    if kind.widget is Widget.NOT_OFFERED:
        assert kind.name not in offered
    else:
        assert offered[kind.name].kind == expected[kind.widget]

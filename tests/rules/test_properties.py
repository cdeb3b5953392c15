"""Hypothesis properties of the rules (DESIGN §4a and §8).

- cumulative M-in-W with M = N and W ≥ N admits everyone continuous N admits;
- the vectorised counting rules equal a slow month-by-month reference;
- points never fall as contribution months rise;
- a round never admits below the threshold, nor beyond the quota except applicants tied at
  the cut-off.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import HISTORY_MONTHS, CounterSpec
from sim.rules.admission import decide_round
from sim.rules.counters import item_specs, spec_of
from sim.rules.counting import History, evaluate_count
from sim.rules.points import item_points, score
from sim.scenario.schema import CountRule, PointsChannel, RateItem, Rounds, TableItem
from tests.builders import T, ago_label, context, histories, population

FAST = settings(max_examples=100, deadline=None)

OLDEST = 300
"""Histories reach far past the 128 months kept as bits, to exercise the exact counters."""


@st.composite
def paid_months(draw: st.DrawFn) -> frozenset[int]:
    """Months ago that were paid: a recent unbroken run or alternating paid/unpaid runs, plus a
    few single-month flips (gaps in a run, stray paid months)."""
    paid: set[int] = set()
    if draw(st.booleans()):
        paid.update(range(1, draw(st.integers(0, OLDEST)) + 1))
    else:
        runs = draw(st.lists(st.tuples(st.booleans(), st.integers(1, 48)), max_size=10))
        start = 1
        for is_paid, length in runs:
            if is_paid:
                paid.update(range(start, start + length))
            start += length
    flips = draw(st.sets(st.integers(1, OLDEST), max_size=4))
    return frozenset(k for k in paid ^ flips if k <= OLDEST)


back_paid_months = st.frozensets(st.integers(1, 130), max_size=4)
person_histories = st.lists(st.tuples(paid_months(), back_paid_months), min_size=1, max_size=8)
counted_from_ago = st.none() | st.integers(-3, 150) | st.integers(150, OLDEST + 10)
rule_months = st.integers(1, 12) | st.integers(1, HISTORY_MONTHS)


# ------------------------------------------------------------------------ counting


def history_for(rule: CountRule, rows) -> History:
    """The histories of ``rows`` as ``rule`` reads them, with the exact counters it needs."""
    spec = spec_of("social_insurance", (), rule.counted_from, False, {})
    pop = population(*({"paid_ago": paid, "back_paid_ago": back} for paid, back in rows), specs=[spec])
    return context(pop).history_for("social_insurance", rule)


@FAST
@given(
    rows=person_histories,
    n=rule_months,
    extra_window=st.none() | st.integers(0, HISTORY_MONTHS),
    back_paid_max=st.integers(0, 3),
    counted_from=counted_from_ago,
)
def test_cumulative_admits_everyone_continuous_admits(rows, n, extra_window, back_paid_max, counted_from):
    window = None if extra_window is None else min(n + extra_window, HISTORY_MONTHS)
    since = None if counted_from is None else ago_label(counted_from)
    continuous = CountRule(count="continuous", months=n, back_paid_max=back_paid_max, counted_from=since)
    cumulative = CountRule(count="cumulative", months=n, window=window, counted_from=since)
    admitted_continuous = evaluate_count(continuous, history_for(continuous, rows), T).ok
    admitted_cumulative = evaluate_count(cumulative, history_for(cumulative, rows), T).ok
    assert not np.any(admitted_continuous & ~admitted_cumulative)


@FAST
@given(rows=person_histories, n=rule_months)
def test_cumulative_n_in_n_is_continuous_n_with_back_payment_unlimited(rows, n):
    continuous = CountRule(count="continuous", months=n, back_paid_max=n)
    cumulative = CountRule(count="cumulative", months=n, window=n)
    hist = histories(rows)
    np.testing.assert_array_equal(evaluate_count(continuous, hist, T).ok, evaluate_count(cumulative, hist, T).ok)


def reference_count(rule: CountRule, paid: frozenset[int], back: frozenset[int], month: int):
    """Month-by-month reading of DESIGN §4a; returns (ok, have, gap_months_ago, back_paid_in_window)."""
    paid = paid | back  # a back-paid month is a paid month
    # Month t-k counts unless it lies before D, i.e. unless t-k < D.
    limit = OLDEST + 1 if rule.counted_from is None else month - rule.counted_from

    def counts(k: int) -> bool:
        return k <= limit

    if rule.count == "continuous":
        run = 0
        for k in range(1, rule.months + 1):
            if k not in paid or not counts(k):
                break
            run += 1
        gap = 0 if run == rule.months else run + 1  # the latest month that breaks the run
        back_in_window = sum(1 for k in range(1, rule.months + 1) if k in back and counts(k))
        ok = run == rule.months and back_in_window <= rule.back_paid_max
        return ok, run, gap, back_in_window
    candidates = range(1, (rule.window or OLDEST) + 1)
    have = sum(1 for k in candidates if k in paid and counts(k))
    return have >= rule.months, have, 0, 0


@st.composite
def count_rules(draw: st.DrawFn) -> CountRule:
    since = draw(counted_from_ago)
    counted_from = None if since is None else ago_label(since)
    if draw(st.booleans()):
        return CountRule(
            count="continuous",
            months=draw(rule_months),
            back_paid_max=draw(st.integers(0, 4)),
            counted_from=counted_from,
        )
    window = draw(st.none() | st.integers(1, HISTORY_MONTHS))
    months = draw(st.integers(1, window or OLDEST + 10))
    return CountRule(count="cumulative", months=months, window=window, counted_from=counted_from)


@FAST
@given(rule=count_rules(), rows=person_histories)
def test_vectorised_count_equals_scalar_reference(rule, rows):
    result = evaluate_count(rule, history_for(rule, rows), T)
    for row, (paid, back) in enumerate(rows):
        ok, have, gap, back_in_window = reference_count(rule, frozenset(paid), frozenset(back), T)
        assert bool(result.ok[row]) == ok
        assert int(result.have[row]) == have
        assert int(result.gap_months_ago[row]) == gap
        assert int(result.back_paid_in_window[row]) == back_in_window
    assert result.need == rule.months


# -------------------------------------------------------------------------- points


@st.composite
def social_insurance_rates(draw: st.DrawFn) -> RateItem:
    since = draw(counted_from_ago)
    return RateItem(
        kind="rate",
        of="social_insurance_months",
        points=draw(st.floats(0.01, 10, allow_nan=False)),
        per=draw(st.sampled_from(["month", "year"])),
        cap=draw(st.none() | st.floats(0.5, 100, allow_nan=False)),
        counted_from=None if since is None else ago_label(since),
        excluding_study=draw(st.booleans()),
    )


@FAST
@given(
    item=social_insurance_rates(),
    paid=paid_months(),
    added=st.integers(1, OLDEST),
    graduated_ago=st.none() | st.integers(-12, 200),
)
def test_points_never_fall_as_contribution_months_rise(item, paid, added, graduated_ago):
    graduated = -1 if graduated_ago is None else T - graduated_ago
    before = {"paid_ago": paid, "graduated_month": graduated, "education": "college"}
    after = {**before, "paid_ago": paid | {added}}
    scheme = PointsChannel(
        items={"social_insurance": item, "education": TableItem(kind="table", of="education", values={"college": 10})},
        rounds=Rounds(quota_persons=1),
    )
    specs = sorted(item_specs(item, {}), key=CounterSpec.sort_key)
    ctx = context(population(before, after, specs=specs))
    points = item_points(item, ctx)
    assert points[1] >= points[0] - 1e-9
    assert points[0] >= 0
    assert not np.any(np.isnan(points))
    total, _ = score(scheme, ctx)
    assert total[1] >= total[0] - 1e-9


# -------------------------------------------------------------------------- rounds


@st.composite
def rounds(draw: st.DrawFn):
    # Half-point scores from a small range, so that ties are common.
    n = draw(st.integers(0, 30))
    scores = np.array(draw(st.lists(st.integers(0, 8), min_size=n, max_size=n)), float) / 2
    # Quotas below or around the number of applicants, so that they often bind.
    quota = draw(st.none() | st.integers(0, n + 2) | st.integers(1, max(1, n // 2)))
    threshold = draw(st.none() | st.integers(0, 8).map(lambda x: x / 2))
    tie_break = draw(st.none() | st.lists(st.integers(0, 3), min_size=len(scores), max_size=len(scores)))
    order = draw(st.permutations(range(len(scores))))
    return scores, quota, threshold, None if tie_break is None else np.array(tie_break, float), np.array(order, int)


@FAST
@given(case=rounds())
def test_round_respects_quota_threshold_and_ties(case):
    scores, quota, threshold, tie_break, _ = case
    o = decide_round(scores, quota, threshold, tie_break)
    admitted = o.admitted
    eligible = np.ones(len(scores), bool) if threshold is None else scores >= threshold
    assert admitted.dtype == bool
    assert admitted.shape == scores.shape
    # Never below the threshold.
    assert not np.any(admitted & ~eligible)
    n_admitted = int(admitted.sum())
    if not admitted.any():
        assert np.isnan(o.cutoff)
        assert quota == 0 or not eligible.any()
        return
    assert o.cutoff == scores[admitted].min()
    tied = int((scores == o.cutoff).sum())
    assert o.tied_at_cutoff == tied
    if quota is None:
        # Without a quota everyone at or above the threshold.
        np.testing.assert_array_equal(admitted, eligible)
        return
    # Over the quota only by applicants tied at the cut-off (at least one of the tied
    # fills the last place within the quota).
    assert n_admitted - quota <= max(tied - 1, 0)
    assert o.over_quota_ties == max(0, n_admitted - quota)
    if tie_break is not None:
        # With a tie-break item, only applicants tied on the score *and* the item go over.
        at_cutoff = admitted & (scores == o.cutoff)
        tied_on_both = int((at_cutoff & (tie_break == tie_break[at_cutoff].min())).sum())
        assert n_admitted - quota <= max(tied_on_both - 1, 0)
    # The quota is filled when there are enough eligible applicants.
    assert n_admitted >= min(quota, int(eligible.sum()))
    # Nobody eligible is passed over for a lower score ...
    rejected = eligible & ~admitted
    if rejected.any():
        assert scores[rejected].max() <= o.cutoff
        at_cutoff = rejected & (scores == o.cutoff)
        if at_cutoff.any():
            # ... and a tied applicant is refused only when the tie-break item ranks them lower.
            assert tie_break is not None
            assert tie_break[at_cutoff].max() < tie_break[admitted & (scores == o.cutoff)].min()


@FAST
@given(case=rounds())
def test_round_does_not_depend_on_applicant_order(case):
    scores, quota, threshold, tie_break, order = case
    o = decide_round(scores, quota, threshold, tie_break)
    permuted = decide_round(scores[order], quota, threshold, None if tie_break is None else tie_break[order])
    np.testing.assert_array_equal(permuted.admitted, o.admitted[order])
    assert (permuted.tied_at_cutoff, permuted.over_quota_ties) == (o.tied_at_cutoff, o.over_quota_ties)

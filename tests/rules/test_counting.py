"""Hand-computed cases for the social-insurance counting rules (DESIGN §4a).

The three pairs are the ones Ningbo's 2019 reform swapped (seed 000):

    “申请之日以前连续3年”调整为“4年内累计缴纳36个月”;
    “申请之日以前连续2年”调整为“3年内累计缴纳24个月”;
    “申请之日以前连续6个月”调整为“1年内累计缴纳6个月”。

Every history lists the months *ago* that were paid (1 = the month just ended, ``t-1``).
For a continuous rule the expected triple is ``(ok, have, gap_months_ago)``, where ``have``
is the unbroken run from ``t-1`` backwards (capped at N) and the gap is the latest unpaid
month; for a cumulative rule it is ``(ok, have)``, ``have`` being the paid months among
``t-W … t-1``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.months import month_index
from sim.rules.counters import spec_of
from sim.rules.counting import CountResult, evaluate_count
from sim.scenario.schema import CountRule
from tests.builders import T, ago_label, context, histories, history, months, population

CONTINUOUS_36 = CountRule(count="continuous", months=36)
CUMULATIVE_36_IN_48 = CountRule(count="cumulative", months=36, window=48)
CONTINUOUS_24 = CountRule(count="continuous", months=24)
CUMULATIVE_24_IN_36 = CountRule(count="cumulative", months=24, window=36)
CONTINUOUS_6 = CountRule(count="continuous", months=6)
CUMULATIVE_6_IN_12 = CountRule(count="cumulative", months=6, window=12)


def count(rule: CountRule, paid_ago, back_paid_ago=(), month: int = T) -> CountResult:
    return evaluate_count(rule, history(paid_ago, back_paid_ago), month)


def assert_continuous(result: CountResult, ok: bool, have: int, gap: int) -> None:
    assert (bool(result.ok[0]), int(result.have[0]), int(result.gap_months_ago[0])) == (ok, have, gap)


def assert_cumulative(result: CountResult, ok: bool, have: int) -> None:
    assert (bool(result.ok[0]), int(result.have[0])) == (ok, have)
    assert int(result.gap_months_ago[0]) == 0  # cumulative rules have no "latest gap"


# --------------------------------------------------------------- 连续3年 vs 4年内累计36个月


@pytest.mark.parametrize(
    ("paid", "continuous", "cumulative"),
    [
        # 48 of 48 paid: run of 48, capped at N = 36; window holds 48.
        pytest.param(months(1, 48), (True, 36, 0), (True, 48), id="all-48-paid"),
        # Exactly t-36 … t-1: both rules met with nothing to spare.
        pytest.param(months(1, 36), (True, 36, 0), (True, 36), id="exactly-last-36"),
        # Gap at t-1 (the month just ended): run 0, latest gap 1; window 48-1 = 47.
        pytest.param(months(2, 48), (False, 0, 1), (True, 47), id="gap-at-t-1"),
        # Gap at t-36, the oldest month of the continuous window: run t-1…t-35 = 35.
        pytest.param(months(1, 48) - {36}, (False, 35, 36), (True, 47), id="gap-at-t-36"),
        # Gap at t-37, just outside N: the last 36 are unbroken.
        pytest.param(months(1, 48) - {37}, (True, 36, 0), (True, 47), id="gap-at-t-37-outside-N"),
        # A single month missing in the middle: run 17, gap 18.
        pytest.param(months(1, 48) - {18}, (False, 17, 18), (True, 47), id="gap-at-t-18-middle"),
        # Two gaps: the reason reported is the latest one (t-5), run 4.
        pytest.param(months(1, 48) - {5, 20}, (False, 4, 5), (True, 46), id="two-gaps-latest-reported"),
        # 36 paid months ending exactly at t-W = t-48: cumulative counts all 36.
        pytest.param(months(13, 48), (False, 0, 1), (True, 36), id="36-paid-oldest-at-t-W"),
        # Same 36 shifted one month older (t-14 … t-49): t-49 = t-W-1 falls outside → 35.
        pytest.param(months(14, 49), (False, 0, 1), (False, 35), id="36-paid-oldest-at-t-W-1"),
        # 35 recent + one at t-48: 36 in the window; the continuous run stops at t-36.
        pytest.param(months(1, 35) | {48}, (False, 35, 36), (True, 36), id="35-recent-plus-t-W"),
        # 35 recent + one at t-49: just outside the window → 35.
        pytest.param(months(1, 35) | {49}, (False, 35, 36), (False, 35), id="35-recent-plus-t-W-1"),
        # A 12-month lapse (t-13 … t-24) the reform forgives: 12 + 24 = 36 in 48.
        pytest.param(months(1, 12) | months(25, 48), (False, 12, 13), (True, 36), id="lapse-12-forgiven"),
        # A 13-month lapse (t-13 … t-25): 12 + 23 = 35 in 48, one short.
        pytest.param(months(1, 12) | months(26, 48), (False, 12, 13), (False, 35), id="lapse-13-one-short"),
        # Five years paid long ago (t-49 … t-108), nothing since: nothing in the window.
        pytest.param(months(49, 108), (False, 0, 1), (False, 0), id="old-history-only"),
        pytest.param(frozenset(), (False, 0, 1), (False, 0), id="never-paid"),
    ],
)
def test_ningbo_3_years_continuous_vs_36_in_48(paid, continuous, cumulative):
    assert_continuous(count(CONTINUOUS_36, paid), *continuous)
    assert_cumulative(count(CUMULATIVE_36_IN_48, paid), *cumulative)


# --------------------------------------------------------------- 连续2年 vs 3年内累计24个月


@pytest.mark.parametrize(
    ("paid", "continuous", "cumulative"),
    [
        pytest.param(months(1, 36), (True, 24, 0), (True, 36), id="all-36-paid"),
        pytest.param(months(1, 24), (True, 24, 0), (True, 24), id="exactly-last-24"),
        # Gap at t-1: run 0; 35 of 36 in the window.
        pytest.param(months(2, 36), (False, 0, 1), (True, 35), id="gap-at-t-1"),
        # Gap at t-24 (= t-N): run 23.
        pytest.param(months(1, 36) - {24}, (False, 23, 24), (True, 35), id="gap-at-t-24"),
        # Gap at t-25 (= t-N-1): outside the continuous window.
        pytest.param(months(1, 36) - {25}, (True, 24, 0), (True, 35), id="gap-at-t-25-outside-N"),
        pytest.param(months(1, 36) - {12}, (False, 11, 12), (True, 35), id="gap-at-t-12-middle"),
        # 24 paid ending at t-W = t-36.
        pytest.param(months(13, 36), (False, 0, 1), (True, 24), id="24-paid-oldest-at-t-W"),
        # 24 paid ending at t-W-1 = t-37: 23 in the window.
        pytest.param(months(14, 37), (False, 0, 1), (False, 23), id="24-paid-oldest-at-t-W-1"),
        pytest.param(months(1, 23) | {36}, (False, 23, 24), (True, 24), id="23-recent-plus-t-W"),
        pytest.param(months(1, 23) | {37}, (False, 23, 24), (False, 23), id="23-recent-plus-t-W-1"),
        # A 12-month lapse t-7 … t-18: 6 + 18 = 24 in 36.
        pytest.param(months(1, 6) | months(19, 36), (False, 6, 7), (True, 24), id="lapse-12-forgiven"),
        # Every other month for 48 months: 18 of the last 36 (t-1, t-3, … t-35).
        pytest.param(frozenset(range(1, 49, 2)), (False, 1, 2), (False, 18), id="alternate-months"),
    ],
)
def test_ningbo_2_years_continuous_vs_24_in_36(paid, continuous, cumulative):
    assert_continuous(count(CONTINUOUS_24, paid), *continuous)
    assert_cumulative(count(CUMULATIVE_24_IN_36, paid), *cumulative)


# ------------------------------------------------------------ 连续6个月 vs 1年内累计6个月


@pytest.mark.parametrize(
    ("paid", "continuous", "cumulative"),
    [
        pytest.param(months(1, 6), (True, 6, 0), (True, 6), id="exactly-last-6"),
        pytest.param(months(1, 12), (True, 6, 0), (True, 12), id="all-12-paid"),
        pytest.param(months(2, 12), (False, 0, 1), (True, 11), id="gap-at-t-1"),
        pytest.param(months(1, 12) - {6}, (False, 5, 6), (True, 11), id="gap-at-t-6"),
        pytest.param(months(1, 12) - {7}, (True, 6, 0), (True, 11), id="gap-at-t-7-outside-N"),
        pytest.param(months(1, 12) - {3}, (False, 2, 3), (True, 11), id="gap-at-t-3-middle"),
        # Six paid months t-7 … t-12, none in the last half year.
        pytest.param(months(7, 12), (False, 0, 1), (True, 6), id="6-paid-oldest-at-t-W"),
        pytest.param(months(8, 13), (False, 0, 1), (False, 5), id="6-paid-oldest-at-t-W-1"),
        pytest.param(months(1, 5) | {12}, (False, 5, 6), (True, 6), id="5-recent-plus-t-W"),
        pytest.param(months(1, 5) | {13}, (False, 5, 6), (False, 5), id="5-recent-plus-t-W-1"),
        # Odd months t-1, t-3, … t-11: run 1, latest gap t-2; 6 in 12.
        pytest.param(frozenset({1, 3, 5, 7, 9, 11}), (False, 1, 2), (True, 6), id="odd-months"),
        # Even months t-2 … t-12: run 0; 6 in 12.
        pytest.param(frozenset({2, 4, 6, 8, 10, 12}), (False, 0, 1), (True, 6), id="even-months"),
        pytest.param(frozenset(), (False, 0, 1), (False, 0), id="never-paid"),
    ],
)
def test_ningbo_6_months_continuous_vs_6_in_12(paid, continuous, cumulative):
    assert_continuous(count(CONTINUOUS_6, paid), *continuous)
    assert_cumulative(count(CUMULATIVE_6_IN_12, paid), *cumulative)


def test_need_is_the_rules_months():
    assert count(CONTINUOUS_36, months(1, 36)).need == 36
    assert count(CUMULATIVE_24_IN_36, months(1, 36)).need == 24


def test_rows_are_evaluated_independently():
    # Three persons in one call give the same answers as one at a time.
    combined = histories([(months(1, 36), ()), (months(2, 48), ()), (months(1, 12) | months(25, 48), ())])
    continuous = evaluate_count(CONTINUOUS_36, combined, T)
    cumulative = evaluate_count(CUMULATIVE_36_IN_48, combined, T)
    assert continuous.ok.tolist() == [True, False, False]
    assert continuous.have.tolist() == [36, 0, 12]
    assert continuous.gap_months_ago.tolist() == [0, 1, 13]
    assert cumulative.ok.tolist() == [True, True, True]
    assert cumulative.have.tolist() == [36, 47, 36]


# ------------------------------------------------------------------------- back payment (补缴)


@pytest.mark.parametrize(
    ("paid", "back_paid", "cap", "expected"),
    [
        # expected = (ok, have, gap_months_ago, back_paid_in_window); continuous 6.
        # One back-paid month at t-3 with no back payment tolerated: run intact but refused.
        pytest.param(months(1, 12), {3}, 0, (False, 6, 0, 1), id="1-back-paid-cap-0"),
        pytest.param(months(1, 12), {3}, 1, (True, 6, 0, 1), id="1-back-paid-cap-1"),
        pytest.param(months(1, 12), {3, 4}, 2, (True, 6, 0, 2), id="2-back-paid-cap-2"),
        # Three back-paid months among the six, cap 2: over the cap.
        pytest.param(months(1, 12), {3, 4, 5}, 2, (False, 6, 0, 3), id="3-back-paid-cap-2"),
        # Back-paid at t-6, the oldest month of the window, counts against the cap ...
        pytest.param(months(1, 12), {6}, 0, (False, 6, 0, 1), id="back-paid-at-t-6-in-window"),
        # ... at t-7 it lies outside the six months and does not.
        pytest.param(months(1, 12), {7}, 0, (True, 6, 0, 0), id="back-paid-at-t-7-outside"),
        pytest.param(months(1, 12), {7, 8, 9}, 0, (True, 6, 0, 0), id="back-paid-beyond-window"),
        # The back-paid months (given as back_paid only) fill the gap t-2 … t-3 of a run.
        pytest.param(months(1, 12) - {2, 3}, {2, 3}, 2, (True, 6, 0, 2), id="back-payment-fills-gap"),
        # An unpaid lapse at t-2 breaks the run however short; a back-paid t-4 is still
        # counted in the window but the gap is the reason reported.
        pytest.param(months(1, 12) - {2}, {4}, 3, (False, 1, 2, 1), id="unpaid-gap-not-rescued"),
    ],
)
def test_continuous_back_paid_cap(paid, back_paid, cap, expected):
    result = count(CountRule(count="continuous", months=6, back_paid_max=cap), paid, back_paid)
    assert (
        bool(result.ok[0]),
        int(result.have[0]),
        int(result.gap_months_ago[0]),
        int(result.back_paid_in_window[0]),
    ) == expected


def test_cumulative_counts_back_paid_months_as_paid():
    # 4 paid + 2 back-paid months within 12: 6 in 12 (cumulative rules have no cap).
    result = count(CUMULATIVE_6_IN_12, {1, 2, 5, 9}, back_paid_ago={3, 4})
    assert_cumulative(result, True, 6)


# ----------------------------------------------------------------------- counted from D


@pytest.mark.parametrize(
    ("counted_from_ago", "paid", "expected"),
    [
        # continuous 6; D = t - counted_from_ago, so months t-1 … t-(counted_from_ago) count.
        # Only 4 months since D: run cut at 4, the disqualifying month is t-5 (before D).
        pytest.param(4, months(1, 24), (False, 4, 5), id="D-at-t-4-all-paid"),
        # Exactly 6 months since D.
        pytest.param(6, months(1, 24), (True, 6, 0), id="D-at-t-6"),
        pytest.param(7, months(1, 24), (True, 6, 0), id="D-at-t-7"),
        # A real gap after D is still the reason reported: t-2.
        pytest.param(4, months(1, 24) - {2}, (False, 1, 2), id="D-at-t-4-gap-at-t-2"),
        # D = t: nothing counts yet.
        pytest.param(0, months(1, 24), (False, 0, 1), id="D-at-t"),
        # D in the future (rule announced before it counts): nothing counts.
        pytest.param(-3, months(1, 24), (False, 0, 1), id="D-after-t"),
    ],
)
def test_continuous_counted_from(counted_from_ago, paid, expected):
    rule = CountRule(count="continuous", months=6, counted_from=ago_label(counted_from_ago))
    assert_continuous(count(rule, paid), *expected)


@pytest.mark.parametrize(
    ("rule", "paid", "expected"),
    [
        # 6 in 12 from D = t-5: only t-1 … t-5 count → 5.
        pytest.param(
            CountRule(count="cumulative", months=6, window=12, counted_from=ago_label(5)),
            months(1, 24),
            (False, 5),
            id="6-in-12-D-at-t-5",
        ),
        pytest.param(
            CountRule(count="cumulative", months=6, window=12, counted_from=ago_label(6)),
            months(1, 24),
            (True, 6),
            id="6-in-12-D-at-t-6",
        ),
        # D older than the window: the window (12) binds.
        pytest.param(
            CountRule(count="cumulative", months=6, window=12, counted_from=ago_label(20)),
            months(1, 24),
            (True, 12),
            id="6-in-12-D-before-window",
        ),
        # 36 in 48 from D = t-40: t-1 … t-40 paid except t-13 … t-24 → 40 - 12 = 28.
        pytest.param(
            CountRule(count="cumulative", months=36, window=48, counted_from=ago_label(40)),
            months(1, 12) | months(25, 60),
            (False, 28),
            id="36-in-48-D-at-t-40",
        ),
        # Whole history (no window) from D = t-30: 30 of the 60 paid months count.
        pytest.param(
            CountRule(count="cumulative", months=30, counted_from=ago_label(30)),
            months(1, 60),
            (True, 30),
            id="whole-history-D-at-t-30",
        ),
        pytest.param(
            CountRule(count="cumulative", months=31, counted_from=ago_label(30)),
            months(1, 60),
            (False, 30),
            id="whole-history-D-at-t-30-needs-31",
        ),
    ],
)
def test_cumulative_counted_from(rule, paid, expected):
    assert_cumulative(count(rule, paid), *expected)


def test_counted_from_as_a_scenario_date():
    # The schema parses dates: a rule counted from 2019-01 read in 2019-10 sees 9 months.
    rule = CountRule.model_validate({"count": "cumulative", "months": 9, "counted_from": "2019-01"})
    assert_cumulative(count(rule, months(1, 60)), True, 9)


# ------------------------------------------------------------------ whole recorded history


@pytest.mark.parametrize(
    ("paid", "need", "expected"),
    [
        pytest.param(months(1, 60), 60, (True, 60), id="60-recent"),
        pytest.param(months(1, 59), 60, (False, 59), id="59-recent"),
        # Older than the 128 bits: the lifetime counter still knows them. 1 … 150 → 150.
        pytest.param(months(1, 150), 150, (True, 150), id="150-beyond-bits"),
        # 20 recent + 41 at t-100 … t-140 (29 inside the bits, 12 older): 61.
        pytest.param(months(1, 20) | months(100, 140), 61, (True, 61), id="split-across-128"),
        pytest.param(months(1, 20) | months(100, 140), 62, (False, 61), id="split-across-128-short"),
    ],
)
def test_cumulative_whole_history(paid, need, expected):
    assert_cumulative(count(CountRule(count="cumulative", months=need), paid), *expected)


def test_counted_from_beyond_the_bits_ignores_months_before_d():
    # D = t-140; paid t-1 … t-150: 140 months since D count, the 10 before D do not.
    rule = CountRule(count="cumulative", months=141, counted_from=ago_label(140))
    pop = population({"paid_ago": months(1, 150)}, specs=[spec_of("social_insurance", (), T - 140, False, {})])
    assert_cumulative(evaluate_count(rule, context(pop).history_for("social_insurance", rule), T), False, 140)


def test_issue_example_200_months_counted_from_2005_01():
    # Paid every month 2000-01 … 2019-09, checked 2019-10: 177 months from 2005-01 on, not 237.
    rule = CountRule(count="cumulative", months=200, counted_from="2005-01")
    since = month_index(2005, 1)
    paid_ago = range(1, T - month_index(2000, 1) + 1)
    pop = population({"paid_ago": paid_ago}, specs=[spec_of("social_insurance", (), since, False, {})])
    assert_cumulative(evaluate_count(rule, context(pop).history_for("social_insurance", rule), T), False, 177)


def test_window_of_128_reads_all_bits_but_nothing_older():
    # window 128: t-1 … t-128 paid and also t-129 … t-140 → only 128 count.
    rule = CountRule(count="cumulative", months=128, window=128)
    assert_cumulative(count(rule, months(1, 140)), True, 128)
    assert_cumulative(count(rule, months(2, 140)), False, 127)


@pytest.mark.parametrize(
    ("n", "paid", "expected"),
    [
        # Runs that cross the 64-bit word boundary (t-64 is bit 63 of lo, t-65 bit 0 of hi).
        pytest.param(64, months(1, 64), (True, 64, 0), id="64-exactly-one-word"),
        pytest.param(65, months(1, 64), (False, 64, 65), id="65-gap-at-first-hi-bit"),
        pytest.param(100, months(1, 120) - {64}, (False, 63, 64), id="gap-at-last-lo-bit"),
        pytest.param(100, months(1, 120) - {65}, (False, 64, 65), id="gap-at-first-hi-bit"),
        pytest.param(100, months(1, 120) - {100}, (False, 99, 100), id="gap-at-t-100"),
        pytest.param(128, months(1, 128), (True, 128, 0), id="128-all-bits"),
        pytest.param(128, months(1, 128) - {128}, (False, 127, 128), id="128-gap-at-oldest-bit"),
    ],
)
def test_continuous_across_word_boundary(n, paid, expected):
    assert_continuous(count(CountRule(count="continuous", months=n), paid), *expected)


# ------------------------------------------------------- recognised regions (累计互认)


def region_result(rule: CountRule, city_paid, region_paid, recognised=("delta",)) -> CountResult:
    rule = rule.model_copy(update={"recognised_in": recognised})
    spec = spec_of("social_insurance", recognised, rule.counted_from, False, {"delta": 0})
    pop = population({"paid_ago": city_paid, "region_paid_ago": [region_paid]}, n_regions=1, specs=[spec])
    ctx = context(pop, regions={"delta": 0})
    return evaluate_count(rule, ctx.history_for("social_insurance", rule), T)


def test_region_months_complete_a_continuous_run():
    # 20 months here (t-1 … t-20) after 16 in another city of the region (t-21 … t-36).
    rule = CountRule(count="continuous", months=36, recognised_in=("delta",))
    assert_continuous(region_result(rule, months(1, 20), months(21, 36)), True, 36, 0)
    # Without recognition the run is the 20 local months; t-21 is the gap.
    assert_continuous(region_result(rule, months(1, 20), months(21, 36), recognised=()), False, 20, 21)


def test_month_paid_in_two_places_counts_once():
    # t-1 … t-30 paid both here and elsewhere in the region (OR of bits): 30, not 60.
    rule = CountRule(count="cumulative", months=36, window=48)
    assert_cumulative(region_result(rule, months(1, 30), months(1, 30)), False, 30)
    # Overlap t-11 … t-30 and region-only t-31 … t-40: 30 + 10 = 40 distinct months.
    assert_cumulative(region_result(rule, months(1, 30), months(11, 40)), True, 40)


def test_month_paid_in_two_places_counts_once_in_whole_history():
    rule = CountRule(count="cumulative", months=31)
    assert_cumulative(region_result(rule, months(1, 30), months(1, 30)), False, 30)
    # Disjoint: 30 here + 10 elsewhere → 40 distinct months.
    assert_cumulative(region_result(rule, months(1, 30), months(31, 40)), True, 40)


def test_back_paid_ledger_reaches_the_rule_through_the_context():
    pop = population({"paid_ago": months(1, 12), "back_paid_ago": {2, 3}})
    hist = context(pop).history("social_insurance")
    result = evaluate_count(CountRule(count="continuous", months=6, back_paid_max=1), hist, T)
    assert int(result.back_paid_in_window[0]) == 2
    assert not result.ok[0]


def test_tax_history_has_no_back_payment():
    pop = population({"tax_paid_ago": months(1, 36), "paid_ago": ()})
    hist = context(pop).history("tax")
    assert_continuous(evaluate_count(CountRule(count="continuous", months=36), hist, T), True, 36, 0)
    assert np.all(hist.back_lo == 0)


def test_filled_context_counts_every_month_lived_in_the_city():
    # In the city for 40 months, never paid: the "filled" view answers as if all were paid.
    pop = population({"city_since": T - 40})
    rule = CountRule(count="continuous", months=36)
    assert_continuous(evaluate_count(rule, context(pop).history("social_insurance"), T), False, 0, 1)
    filled = context(pop, filled=True)
    assert_continuous(evaluate_count(rule, filled.history("social_insurance"), T), True, 36, 0)
    lifetime = CountRule(count="cumulative", months=40)
    assert_cumulative(evaluate_count(lifetime, filled.history_for("social_insurance", lifetime), T), True, 40)

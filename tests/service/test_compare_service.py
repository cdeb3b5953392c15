"""Ningbo 2019 with and without the service measures, through ``sim compare`` (tiny sizes).

The effect of service is told from the effect of eligibility rules by a 2 × 2 comparison with
common random numbers: baseline = old rules and old service (the 2019 reform pushed beyond the
run), service-only, rules-only, both. The headline carries applications, trips and waits next to
eligible person-months: service-only moves the first, rules-only moves eligibility.
"""

from __future__ import annotations

from sim.cli import main
from sim.experiment.compare import Variant, compare

BEFORE = "ningbo-2019-service-before"
AFTER = "ningbo-2019-service"
NO_REFORM = {"cities.ningbo.rules[1].from": "2030-01-01"}


def _value(headline, indicator):
    row = headline[(headline["indicator"] == indicator) & (headline["breakdown"] == "total")]
    return row.iloc[0] if len(row) else None


def test_three_way_comparison_separates_service_from_rules():
    comparison = compare(
        [
            Variant(BEFORE, NO_REFORM, label="baseline"),
            Variant(AFTER, NO_REFORM, label="service_only"),
            Variant(BEFORE, label="rules_only"),
            Variant(AFTER, label="both"),
        ],
        seeds=2,
        agents=800,
        months=30,
        backend="serial",
        progress=False,
    )
    service = comparison.headline("service_only")
    rules = comparison.headline("rules_only")
    for table in (service, rules):
        assert {"applied", "trips", "eligible_person_months"} <= set(table["indicator"])
    # Service alone: more applications, far fewer trips, shorter waits.
    assert _value(service, "applied")["difference"] > 0
    assert _value(service, "trips")["difference"] < 0
    assert _value(service, "wait_months")["difference"] < 0
    # Rules alone: many more eligible person-months; service alone changes eligibility only
    # through those who settle sooner (fewer remain eligible), a much smaller and negative effect.
    rules_eligible = _value(rules, "eligible_person_months")["difference"]
    service_eligible = _value(service, "eligible_person_months")["difference"]
    assert rules_eligible > 0
    assert service_eligible <= 0
    assert abs(service_eligible) < rules_eligible


def test_sim_compare_cli_runs_the_service_presets(tmp_path, capsys):
    code = main(
        [
            "compare",
            BEFORE,
            AFTER,
            "--seeds",
            "2",
            "--agents",
            "500",
            "--months",
            "24",
            "--backend",
            "serial",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code in (0, None)
    out = capsys.readouterr().out
    assert "applications made" in out or "applied" in out

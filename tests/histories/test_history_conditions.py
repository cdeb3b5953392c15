"""Route conditions over the person data, hand-computed from the rule texts."""

from __future__ import annotations

from sim.rules.channels import evaluate_route
from sim.scenario.schema import Conditions
from tests.builders import age_birth_month, context, population


def test_under_the_statutory_retirement_age_of_each_sex():
    # Beijing 积分落户: below the statutory retirement age, which differs by sex (men 60, women 50
    # for workers): age_max_male 59, age_max_female 49.
    rule = Conditions(age_max_male=59, age_max_female=49)
    persons = [
        {"is_male": True, "birth_month": age_birth_month(59)},
        {"is_male": True, "birth_month": age_birth_month(60)},
        {"is_male": False, "birth_month": age_birth_month(49)},
        {"is_male": False, "birth_month": age_birth_month(50)},
        {"is_male": True, "birth_month": age_birth_month(55)},  # over the women's limit, under the men's
    ]
    result = evaluate_route("beijing", rule, context(population(*persons)))
    assert result.ok.tolist() == [True, False, True, False, True]
    by_condition = {check.condition: check for check in result.checks}
    assert by_condition["age_max_male"].have.tolist() == [59, 60, -1, -1, 55]
    assert by_condition["age_max_female"].ok.tolist() == [True, True, True, False, True]

"""ui.state: settings ⇄ URL query parameters."""

from ui.state import DEFAULTS, Settings, from_query, to_query


def test_settings_round_trip_through_the_query():
    edits = {"cities.ningbo.rules[1].channels.talent.processing_months": 2}
    settings = Settings(
        lang="en",
        baseline="ningbo-2018-baseline",
        variants=("ningbo-2019-reform", "ningbo-2019-counting-only"),
        edits=({}, edits),
        agents=5000,
        seeds=4,
        months=36,
        city="ningbo",
        ran=True,
        person="type:steady_renter",
    )
    query = to_query(settings)
    assert query["v"] == ["ningbo-2019-reform", "ningbo-2019-counting-only"] and "e1" not in query and "e2" in query
    assert from_query(query) == settings


def test_defaults_are_left_out_of_the_link():
    query = to_query(Settings())
    assert set(query) == {"lang", "b", "v"}
    assert from_query({}) == Settings()
    assert Settings().agents == DEFAULTS["agents"]


def test_bad_parameters_fall_back_and_are_reported():
    settings = from_query(
        {"lang": "fr", "b": "no-such-scenario", "agents": "lots", "seeds": "99", "v": ["x"], "e1": "{not json"}
    )
    assert settings.lang == "zh" and settings.baseline == "ningbo-2018-baseline"
    assert settings.agents == DEFAULTS["agents"] and settings.seeds == 20
    assert set(settings.problems) == {"lang=fr", "b=no-such-scenario", "agents=lots", "seeds=99", "v=x"}

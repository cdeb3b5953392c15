"""Policy explorer: a scenario told in words, and what a variant changes.

``describe`` renders a scenario as Markdown — title, sources, every city's rule timeline
channel by channel with its routes as sentences, points items and rounds, and every
assumption with the key path that overrides it — in Chinese or English. ``diff`` lists, city
by city and date by date, what differs between two scenarios. ``markdown_to_html`` turns
either into a small self-contained HTML page without extra dependencies.

Labels and sentence templates come from ``ui/i18n/<lang>.yaml`` (keys are the schema's
names, so the dashboard reuses them); this module does not import streamlit.
"""

from __future__ import annotations

import functools
import html
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.atomic import atomic_write_text
from sim.documents import cite
from sim.errors import SimError
from sim.months import month_label
from sim.rules.condition_kinds import CONDITION_KINDS, count_rule_words, plain_number
from sim.rules.vocabulary import in_order
from sim.scenario.deprecations import deprecation_notes
from sim.scenario.loader import load_scenario
from sim.scenario.schema import (
    CHANNELS,
    Assumption,
    Bilingual,
    BracketsItem,
    Channel,
    Conditions,
    CountRule,
    FlagItem,
    PointsChannel,
    RateItem,
    Rounds,
    RuleSet,
    Scenario,
    TableItem,
    text_in,
)
from sim.scenario.timeline import RulePeriod, resolve_timeline, rules_in_force

LANGS = ("zh", "en")
I18N_DIR = Path(__file__).resolve().parents[1] / "ui" / "i18n"
"""Where the label files live (``zh.yaml``, ``en.yaml``)."""


# ------------------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Labels:
    """The labels and sentence templates of one language."""

    lang: str
    data: dict[str, Any]

    def get(self, section: str, key: str) -> str:
        """The label of ``key`` in ``section``; the key itself when there is none."""
        return str(self.data.get(section, {}).get(key, key))

    def key(self, dotted: str) -> str:
        """The label at a dotted key path (``app.explain.yes``); the path itself when there is none."""
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return dotted
            node = node[part]
        return str(node)

    def phrase(self, name: str, **values: object) -> str:
        """Fill the template ``phrases.name`` with ``values``."""
        return self.get("phrases", name).format(**values)

    def join(self, parts: Iterable[str]) -> str:
        """Join a list the way the language does (``、`` or ``, ``)."""
        return self.phrase("list_separator").join(parts)


@functools.cache
def labels(lang: str) -> Labels:
    """Load the labels of ``lang`` ('zh' or 'en') from ``ui/i18n``.

    Raises
    ------
    SimError
        If the language is not one of :data:`LANGS` or its file cannot be read.
    """
    if lang not in LANGS:
        raise SimError(f"language '{lang}' is not available; choose one of {', '.join(LANGS)}")
    path = I18N_DIR / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SimError(f"{path}: cannot read the labels of '{lang}' ({err})") from err
    return Labels(lang, data)


# ------------------------------------------------------------------------------ small renderers


def _lv(lab: Labels, label: str, value: str = "") -> str:
    """``label: value`` with the language's colon (``value`` empty: a list's lead-in)."""
    return lab.phrase("label_value", label=label, value=value).rstrip()


def _persons(value: float) -> str:
    return f"{round(value):,}"


def _sources(source: str | tuple[str, ...]) -> list[str]:
    if not source:
        return []
    return [source] if isinstance(source, str) else list(source)


def count_rule(rule: CountRule, lab: Labels) -> str:
    """A counting rule as a phrase: "36 consecutive months before application", ..."""
    return count_rule_words(rule, lab)


def conditions(route: Conditions, lab: Labels) -> list[str]:
    """Each condition of a route as "label: value", in the words of its kind's entry."""
    return [
        lab.phrase("label_value", label=lab.get("fields", kind.name), value=kind.words(value, lab))
        for kind in in_order(CONDITION_KINDS, counts_last=False)
        if (value := getattr(route, kind.name)) is not None
    ]


def route_sentence(route: Conditions, lab: Labels) -> str:
    """A route's conditions as one sentence, e.g. "社保：申请前连续36个月缴纳"."""
    parts = conditions(route, lab)
    return lab.phrase("condition_separator").join(parts) if parts else lab.phrase("no_conditions")


def channel_terms(channel: Channel, lab: Labels) -> str:
    """Processing time, dependants and household of a channel, as one line."""
    parts = []
    if not channel.in_effect:
        parts.append(lab.phrase("not_in_effect"))
    if channel.processing_months == 1:
        parts.append(lab.phrase("processing_one"))
    elif channel.processing_months:
        parts.append(lab.phrase("processing", months=channel.processing_months))
    else:
        parts.append(lab.phrase("processing_same_month"))
    if channel.dependants:
        parts.append(lab.phrase("dependants", who=lab.join(lab.get("dependants", d) for d in channel.dependants)))
    else:
        parts.append(lab.phrase("no_dependants"))
    if channel.collective_household:
        parts.append(lab.phrase("collective"))
    return lab.phrase("condition_separator").join(parts)


def points_item(item: RateItem | TableItem | BracketsItem | FlagItem, lab: Labels) -> str:
    """A points item as a sentence: "social-insurance years: 3 points per year, at most 30"."""
    if isinstance(item, RateItem):
        text = lab.phrase(
            "rate_item",
            quantity=lab.get("quantities", item.of),
            points=plain_number(item.points),
            per=lab.get("per", item.per),
        )
        if item.cap is not None:
            text += lab.phrase("rate_cap", cap=plain_number(item.cap))
        if item.recognised_in:
            text += lab.phrase("recognised_in", regions=lab.join(f"`{r}`" for r in item.recognised_in))
        if item.counted_from is not None:
            text += lab.phrase("counted_from", month=month_label(item.counted_from))
        if item.excluding_study:
            text += lab.phrase("excluding_study")
        if item.group is not None:
            text += lab.phrase("item_group", group=item.group)
        if item.threshold_cny is not None and item.last_years is not None:
            text += lab.phrase("item_income_tax", cny=plain_number(item.threshold_cny), years=item.last_years)
        if item.attribute is not None:
            text += lab.phrase("item_attribute", attribute=item.attribute)
        if item.capped_by is not None:
            text += lab.phrase("item_capped_by", item=item.capped_by)
        if item.whole_years:
            text += lab.phrase("item_whole_years")
        return text
    if isinstance(item, TableItem):
        values = [
            lab.phrase("table_value", level=lab.get(item.of, level), points=plain_number(points))
            for level, points in item.values.items()
        ]
        return lab.phrase("table_item", quantity=lab.get("fields", f"{item.of}_min"), values=lab.join(values))
    if isinstance(item, BracketsItem):
        values = [
            lab.phrase("bracket_below", below=plain_number(b.below), points=plain_number(b.points))
            if b.below is not None
            else lab.phrase("bracket_rest", points=plain_number(b.points))
            for b in item.brackets
        ]
        return lab.phrase("brackets_item", quantity=lab.get("quantities", item.of), values=lab.join(values))
    return lab.phrase("flag_item", flag=lab.get("flags", item.of), points=plain_number(item.points))


def rounds_sentence(rounds: Rounds | None, lab: Labels) -> str:
    """When and how a points scheme admits: months, quota, admission score, ties."""
    if rounds is None:
        return lab.phrase("diff_absent")
    parts = [lab.phrase("rounds", months=lab.join(str(m) for m in rounds.months_of_year))]
    if rounds.quota_persons is None:
        parts.append(lab.phrase("no_quota"))
    else:
        parts.append(lab.phrase("quota", quota=_persons(rounds.quota_persons)))
    if rounds.threshold is not None:
        parts.append(lab.phrase("threshold", threshold=plain_number(rounds.threshold)))
    tie = lab.get("tie", rounds.tie).format(item=f"`{rounds.tie_break_item}`")
    parts.append(tie)
    if rounds.window is not None:
        parts.append(lab.phrase("window", opens=rounds.window.opens, closes=rounds.window.closes))
    parts += [lab.phrase(f"reapply_bar_{bar.after}", rounds=bar.rounds) for bar in rounds.reapply_bars]
    if rounds.published_cutoff is not None:
        published = rounds.published_cutoff
        parts.append(
            lab.phrase("published_cutoff", round=month_label(published.round), points=plain_number(published.points))
        )
    return lab.phrase("condition_separator").join(parts)


def _permit(rules: RuleSet, lab: Labels) -> str:
    return lab.phrase("residence_permit", months=rules.residence_permit.after_months)


def _back_payment(rules: RuleSet, lab: Labels) -> str:
    if rules.back_payment.allowed:
        return lab.phrase("back_payment_allowed", months=rules.back_payment.window_months)
    return lab.phrase("back_payment_not_allowed")


def _permit_and_back_payment(rules: RuleSet, lab: Labels) -> str:
    return lab.phrase("condition_separator").join([_permit(rules, lab), _back_payment(rules, lab)])


def _transition(rules: RuleSet, lab: Labels) -> str:
    return lab.get("transition", rules.transition.mode).format(months=rules.transition.grandfather_months)


# ------------------------------------------------------------------------------------ describe


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _other_title(scenario: Scenario, lang: str) -> str:
    return scenario.title.en if lang == "zh" else scenario.title.zh


def _title(scenario: Scenario, lang: str) -> str:
    return scenario.title.zh if lang == "zh" else scenario.title.en


def _free_text(text: str | Bilingual, lab: Labels) -> str:
    """A scenario's free text in the labels' language, or in the other one with a note saying so."""
    shown, written = text_in(text, lab.lang)
    shown = cite(" ".join(shown.split()), lab.lang)
    return shown if written == lab.lang else f"{shown} {lab.get('phrases', f'only_{written}')}"


def _assumption_lines(assumptions: Iterable[Assumption], prefix: str, lab: Labels, indent: str = "") -> list[str]:
    lines = []
    for assumption in assumptions:
        path = f"{prefix}{assumption.key}" if prefix else assumption.key
        reason = _free_text(assumption.reason, lab)
        text = lab.phrase("assumption", key=f"`{assumption.key}`", reason=reason)
        if path != assumption.key:
            text += f" ({lab.phrase('override', path=f'`{path}`')})"
        lines.append(f"{indent}- {text}")
    return lines


def describe(scenario: Scenario | str | Path, lang: str = "zh") -> str:
    """Describe a scenario in Markdown: sources, regions, each city's rule timeline, assumptions.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, a scenario file or a preset id.
    lang : {'zh', 'en'}
        Language of labels and sentences (titles are given in both).

    Returns
    -------
    str
        Markdown text: headings, bullet lists, ``code`` and **bold** only, so that
        :func:`markdown_to_html` renders it.
    """
    scenario = _as_scenario(scenario)
    lab = labels(lang)
    lines = [f"# {_title(scenario, lang)}", "", f"*{_other_title(scenario, lang)}*", ""]
    if scenario.description:
        lines += [_free_text(scenario.description, lab), ""]
    lines.append(f"- {lab.phrase('id', id=f'`{scenario.id}`')}")
    if scenario.extends:
        lines.append(f"- {lab.phrase('extends', parent=f'`{scenario.extends}`')}")
    lines.append(f"- {lab.phrase('period', start=month_label(scenario.start), months=scenario.months)}")
    lines.append(f"- {lab.phrase('agents', agents=_persons(scenario.agents))}")
    lines += ["", f"## {lab.get('headings', 'sources')}", ""]
    lines += [f"- {cite(source, lab.lang)}" for source in _sources(scenario.source)]
    if scenario.assumptions:
        lines += ["", f"## {lab.get('headings', 'assumptions')}", ""]
        lines += _assumption_lines(scenario.assumptions, "", lab)
    if scenario.regions:
        lines += ["", f"## {lab.get('headings', 'regions')}", ""]
        for region, members in scenario.regions.items():
            names = lab.join(_city_name(scenario, city, lang) for city in members)
            lines.append(f"- {lab.phrase('region', region=f'`{region}`', cities=names)}")
    lines += ["", f"## {lab.get('headings', 'cities')}"]
    for city_id in scenario.cities:
        lines += ["", *_city_lines(scenario, city_id, lab)]
    lines += ["", *_spec_lines("population", scenario.population, lab)]
    lines += ["", *_spec_lines("behaviour", scenario.behaviour, lab)]
    return _join(lines)


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _city_name(scenario: Scenario, city_id: str, lang: str) -> str:
    city = scenario.cities.get(city_id)
    if city is None:
        return city_id
    return city.name.zh if lang == "zh" else city.name.en


def _city_lines(scenario: Scenario, city_id: str, lab: Labels) -> list[str]:
    city = scenario.cities[city_id]
    other = city.name.en if lab.lang == "zh" else city.name.zh
    lines = [f"### {_city_name(scenario, city_id, lab.lang)} ({other}, `{city_id}`)", ""]
    size = lab.phrase("city_size", migrants=_persons(city.migrants), inflow=_persons(city.inflow_per_month))
    lines.append(f"- {size}")
    lines += [f"- {lab.phrase('source', source=cite(s, lab.lang))}" for s in _sources(city.source)]
    if city.assumptions:
        lines.append(f"- {_lv(lab, lab.get('headings', 'assumptions'))}")
        lines += _assumption_lines(city.assumptions, f"cities.{city_id}.", lab, "  ")
    if city.population is not None:
        lines += ["", *_city_population_lines(city.population, city_id, lab)]
    lines += ["", f"#### {lab.get('headings', 'rules')}"]
    previous: RulePeriod | None = None
    for period in resolve_timeline(city.rules):
        lines += ["", *_period_lines(period, previous, city.rules[period.index], city_id, lab)]
        previous = period
    return lines


def _period_lines(
    period: RulePeriod, previous: RulePeriod | None, delta: RuleSet, city_id: str, lab: Labels
) -> list[str]:
    # Date, title, sources and assumptions are the delta's own: a resolved rule set inherits
    # them from earlier rule sets when the delta leaves them out.
    rules = period.rules
    date = delta.effective.isoformat()
    heading = f"##### {date}"
    title = delta.title
    if title is not None:
        heading += f" — {title.zh if lab.lang == 'zh' else title.en}"
    lines = [heading, ""]
    when = lab.phrase("in_force_from", date=date)
    if month_label(period.start_month) != date[:7]:
        when += f" ({lab.phrase('governs_from', month=month_label(period.start_month))})"
    lines.append(f"- {when}")
    lines += [f"- {lab.phrase('source', source=cite(s, lab.lang))}" for s in _sources(delta.source)]
    old = previous.rules if previous else None
    if old is None or (old.residence_permit, old.back_payment) != (rules.residence_permit, rules.back_payment):
        lines.append(f"- {_permit_and_back_payment(rules, lab)}")
    if "transition" in delta.model_fields_set:
        lines.append(
            f"- {lab.phrase('label_value', label=lab.get('fields', 'transition'), value=_transition(delta, lab))}"
        )
    if delta.announced is not None:
        lines.append(f"- {lab.phrase('announced', date=delta.announced.isoformat())}")
    if delta.publicity is not None:
        told = lab.phrase("publicity", share=f"{delta.publicity.informed_share:.0%}")
        lines.append(f"- {lab.phrase('label_value', label=lab.get('fields', 'publicity'), value=told)}")
    for name, channel in period.channels():
        before = getattr(old.channels, name) if old else None
        mark = ""
        if old is not None and before is None:
            mark = f" [{lab.phrase('channel_new')}]"
        elif old is not None and before != channel:
            mark = f" [{lab.phrase('channel_changed')}]"
        lines += _channel_lines(name, channel, lab, mark)
    if old is not None:
        gone = [
            lab.get("channels", name)
            for name in CHANNELS
            if getattr(old.channels, name) is not None and getattr(rules.channels, name) is None
        ]
        if gone:
            lines.append(f"- {lab.phrase('abolished', channels=lab.join(gone))}")
    if delta.assumptions:
        lines.append(f"- {_lv(lab, lab.get('headings', 'assumptions'))}")
        lines += _assumption_lines(delta.assumptions, f"cities.{city_id}.rules[{period.index}].", lab, "  ")
    return lines


def _channel_lines(name: str, channel: Channel, lab: Labels, mark: str = "") -> list[str]:
    head = f"**{lab.get('channels', name)}** (`{name}`){mark}"
    lines = [f"- {_lv(lab, head, channel_terms(channel, lab))}"]
    if isinstance(channel, PointsChannel):
        if channel.routes:
            lines.append(f"  - {_lv(lab, lab.phrase('preconditions'))}")
            lines += _route_lines(channel, lab, "    ")
        else:
            lines.append(f"  - {lab.phrase('no_preconditions')}")
        lines.append(f"  - {_lv(lab, lab.get('fields', 'items'))}")
        for item_name, item in channel.items.items():
            lines.append(f"    - {_lv(lab, f'`{item_name}`', points_item(item, lab))}")
            if item.source:
                lines.append(f"      - {lab.phrase('source', source=cite(item.source, lab.lang))}")
        lines.append(f"  - {_lv(lab, lab.get('fields', 'rounds'), rounds_sentence(channel.rounds, lab))}")
    else:
        lines += _route_lines(channel, lab, "  ")
    if channel.source:
        lines.append(f"  - {lab.phrase('source', source=cite(channel.source, lab.lang))}")
    return lines


def _route_lines(channel: Channel, lab: Labels, indent: str) -> list[str]:
    lines = []
    for route_name, route in channel.routes.items():
        if route is None:
            continue
        lines.append(f"{indent}- {_lv(lab, _route_label(route_name, lab), route_sentence(route, lab))}")
        if route.source:
            lines.append(f"{indent}  - {lab.phrase('source', source=cite(route.source, lab.lang))}")
    return lines


def _city_population_lines(spec: Any, city_id: str, lab: Labels) -> list[str]:
    """The sources and assumptions of a city's own population block."""
    declared = sorted(key for key, value in spec if value is not None and key not in ("sources", "assumptions"))
    lines = [f"#### {lab.get('headings', 'population')}", "", f"- {', '.join(f'`{key}`' for key in declared)}"]
    lines += [f"- {_lv(lab, f'`{key}`', _free_text(text, lab))}" for key, text in spec.sources.items()]
    if spec.assumptions:
        lines.append(f"- {_lv(lab, lab.get('headings', 'assumptions'))}")
        lines += _assumption_lines(spec.assumptions, f"cities.{city_id}.population.", lab, "  ")
    return lines


def _spec_lines(kind: str, spec: Any, lab: Labels) -> list[str]:
    lines = [f"## {lab.get('headings', kind)}", ""]
    if spec.sources:
        lines.append(f"- {_lv(lab, lab.phrase('sources_of', what=lab.get('headings', kind)))}")
        lines += [f"  - {_lv(lab, f'`{key}`', _free_text(text, lab))}" for key, text in spec.sources.items()]
    if spec.assumptions:
        lines.append(f"- {_lv(lab, lab.get('headings', 'assumptions'))}")
        lines += _assumption_lines(spec.assumptions, f"{kind}.", lab, "  ")
    return lines


def describe_html(scenario: Scenario | str | Path, lang: str = "zh") -> str:
    """Describe a scenario as a self-contained HTML page (see :func:`describe`)."""
    scenario = _as_scenario(scenario)
    return markdown_to_html(describe(scenario, lang), title=_title(scenario, lang), lang=lang)


# ---------------------------------------------------------------------------------------- diff


def rule_entries(rules: RuleSet | None, lab: Labels) -> dict[tuple[str, ...], str]:
    """A resolved rule set flattened to ``{(kind, channel, name): sentence}`` for comparison."""
    if rules is None:
        return {}
    entries: dict[tuple[str, ...], str] = {
        ("residence_permit",): _permit(rules, lab),
        ("back_payment",): _back_payment(rules, lab),
        ("transition",): _transition(rules, lab),
    }
    for name in CHANNELS:
        channel = getattr(rules.channels, name)
        if channel is None:
            continue
        entries[("channel", name)] = channel_terms(channel, lab)
        for route_name, route in channel.routes.items():
            if route is not None:
                entries[("route", name, route_name)] = route_sentence(route, lab)
        if isinstance(channel, PointsChannel):
            for item_name, item in channel.items.items():
                if item is not None:
                    entries[("item", name, item_name)] = points_item(item, lab)
            entries[("rounds", name)] = rounds_sentence(channel.rounds, lab)
    return entries


def _route_label(route: str, lab: Labels) -> str:
    """A route's name in words with its id (the id is what an override path names)."""
    name = lab.get("route_names", route)
    return f"`{route}`" if name == route else f"{name} (`{route}`)"


def _entry_label(key: tuple[str, ...], lab: Labels) -> str:
    kind = key[0]
    if kind in ("residence_permit", "back_payment", "transition"):
        return lab.get("fields", kind)
    channel = f"**{lab.get('channels', key[1])}**"
    if kind == "channel":
        return channel
    if kind == "route":
        return f"{channel} · {lab.phrase('route', route=_route_label(key[2], lab))}"
    if kind == "item":
        return f"{channel} · {lab.get('fields', 'items')} `{key[2]}`"
    return f"{channel} · {lab.get('fields', 'rounds')}"


def _change_line(what: str, old: str | None, new: str | None, lab: Labels) -> str:
    if old is None:
        return lab.phrase("diff_added", what=what, new=new)
    if new is None:
        return lab.phrase("diff_removed", what=what, old=old)
    return lab.phrase("diff_changed", what=what, old=old, new=new)


def _flat_settings(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, sub in value.items():
            flat.update(_flat_settings(sub, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list | tuple):
        return {prefix: ", ".join(str(v) for v in value)}
    return {prefix: str(value)}


def _settings(scenario: Scenario) -> dict[str, str]:
    data = scenario.model_dump(
        mode="json",
        include={"start", "months", "agents", "regions", "population", "behaviour"},
        exclude={"population": {"sources", "assumptions"}, "behaviour": {"sources", "assumptions"}},
    )
    data["start"] = month_label(scenario.start)
    flat = _flat_settings(data)
    for city_id, city in scenario.cities.items():
        flat[f"cities.{city_id}.migrants"] = _persons(city.migrants)
        flat[f"cities.{city_id}.inflow_per_month"] = plain_number(city.inflow_per_month)
    return flat


def diff(a: Scenario | str | Path, b: Scenario | str | Path, lang: str = "zh") -> str:
    """What scenario ``b`` changes compared with ``a``, in Markdown.

    Settings (period, population, behaviour, city sizes, regions) that differ are listed
    first; then, for each city, every date at which either timeline changes, with the
    channels, routes, points items and rounds that differ from that date on (old → new).
    A difference is listed once, at the date it starts or changes; when it ends, the line
    says so.

    Parameters
    ----------
    a, b : Scenario, str or Path
        The baseline and the variant (scenarios, files or preset ids).
    lang : {'zh', 'en'}
        Language of labels and sentences.

    Returns
    -------
    str
        Markdown text.
    """
    a, b = _as_scenario(a), _as_scenario(b)
    lab = labels(lang)
    title = lab.phrase("diff_title", a=f"`{a.id}`", b=f"`{b.id}`")
    lines = [f"# {title}", ""]
    lines += [f"- {_lv(lab, f'`{s.id}`', _title(s, lang))}" for s in (a, b)]
    found = False
    settings_a, settings_b = _settings(a), _settings(b)
    changed = [
        key
        for key in [*settings_a, *(k for k in settings_b if k not in settings_a)]
        if settings_a.get(key) != settings_b.get(key) and not key.startswith("cities.")
    ]
    if changed:
        found = True
        lines += ["", f"## {lab.get('headings', 'scenario_fields')}", ""]
        lines += [f"- {_change_line(f'`{key}`', settings_a.get(key), settings_b.get(key), lab)}" for key in changed]
    for city_id in [*a.cities, *(c for c in b.cities if c not in a.cities)]:
        city_lines = _city_diff(a, b, city_id, lab, settings_a, settings_b)
        if city_lines:
            found = True
            name = _city_name(b if city_id in b.cities else a, city_id, lang)
            lines += ["", f"## {name} (`{city_id}`)", *city_lines]
    if not found:
        lines += ["", lab.phrase("diff_same")]
    return _join(lines)


def _city_diff(
    a: Scenario,
    b: Scenario,
    city_id: str,
    lab: Labels,
    settings_a: dict[str, str],
    settings_b: dict[str, str],
) -> list[str]:
    if city_id not in a.cities:
        return [f"- {lab.phrase('diff_city_added', city=f'`{city_id}`')}"]
    if city_id not in b.cities:
        return [f"- {lab.phrase('diff_city_removed', city=f'`{city_id}`')}"]
    lines = [""]
    for field in ("migrants", "inflow_per_month"):
        key = f"cities.{city_id}.{field}"
        if settings_a[key] != settings_b[key]:
            lines.append(f"- {_change_line(lab.get('fields', field), settings_a[key], settings_b[key], lab)}")
    timeline_a = resolve_timeline(a.cities[city_id].rules)
    timeline_b = resolve_timeline(b.cities[city_id].rules)
    dates: dict[int, list[str]] = {}
    for period in (*timeline_a, *timeline_b):
        date = period.rules.effective.isoformat()
        if date not in dates.setdefault(period.start_month, []):
            dates[period.start_month].append(date)
    previous: dict[tuple[str, ...], tuple[str | None, str | None]] = {}
    absent = lab.phrase("diff_absent")
    for month in sorted(dates):
        old = rule_entries(_rules_at(timeline_a, month), lab)
        new = rule_entries(_rules_at(timeline_b, month), lab)
        keys = [*old, *(k for k in new if k not in old)]
        current = {key: (old.get(key), new.get(key)) for key in keys if old.get(key) != new.get(key)}
        changes = [
            f"- {_change_line(_entry_label(key, lab), *pair, lab)}"
            for key, pair in current.items()
            if previous.get(key) != pair
        ]
        changes += [
            "- " + lab.phrase("diff_same_again", what=_entry_label(key, lab), new=new.get(key) or absent)
            for key in previous
            if key not in current
        ]
        if changes:
            label = lab.phrase("diff_from", date=lab.join(sorted(dates[month])))
            lines += ["", f"### {label}", "", *changes]
        previous = current
    return lines if len(lines) > 1 else []


def _rules_at(timeline: list[RulePeriod], month: int) -> RuleSet | None:
    period = rules_in_force(timeline, month)
    return period.rules if period else None


# ------------------------------------------------------------------------------ markdown → html

_HEADING = re.compile(r"^(#{1,6}) (.*)$")
_ITEM = re.compile(r"^( *)- (.*)$")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")

_STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;max-width:60rem;"
    "margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}"
    "code{background:#f3f3f3;padding:0 .2em;border-radius:3px}"
    "h1,h2,h3,h4,h5{line-height:1.25}h2{border-bottom:1px solid #ddd}"
)


def _inline(text: str) -> str:
    parts = _CODE.split(text)
    out = []
    for index, part in enumerate(parts):
        escaped = html.escape(part, quote=False)
        if index % 2:
            out.append(f"<code>{escaped}</code>")
        else:
            escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
            out.append(_EM.sub(r"<em>\1</em>", escaped))
    return "".join(out)


def markdown_to_html(markdown: str, title: str = "", lang: str = "zh") -> str:
    """Render the Markdown that :func:`describe` and :func:`diff` write as an HTML page.

    Supports headings, nested bullet lists (two spaces per level), paragraphs, ``code``,
    **bold** and *emphasis* — the subset those functions produce; everything is escaped.
    """
    body: list[str] = []
    open_lists: list[int] = []
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            body.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    def close_lists(deeper_than: int = -1) -> None:
        while open_lists and open_lists[-1] > deeper_than:
            body.append("</li></ul>")
            open_lists.pop()

    for line in markdown.splitlines():
        item = _ITEM.match(line)
        if item:
            flush_paragraph()
            indent = len(item[1])
            if not open_lists or indent > open_lists[-1]:
                body.append("<ul>")
                open_lists.append(indent)
            else:
                close_lists(indent)
                if not open_lists or open_lists[-1] < indent:
                    body.append("<ul>")
                    open_lists.append(indent)
                else:
                    body.append("</li>")
            body.append(f"<li>{_inline(item[2])}")
            continue
        close_lists()
        heading = _HEADING.match(line)
        if heading:
            flush_paragraph()
            level = len(heading[1])
            body.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif not line.strip():
            flush_paragraph()
        else:
            paragraph.append(line.strip())
    flush_paragraph()
    close_lists()
    page_title = html.escape(title or "sim describe", quote=False)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{page_title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------------------ cli


def run_describe(
    scenario: str,
    *,
    lang: str = "zh",
    fmt: str = "md",
    out: str | None = None,
    other: str | None = None,
) -> int:
    """``python -m sim describe``: print or write a description (or a diff with ``other``).

    Returns
    -------
    int
        The exit status (0); invalid scenarios raise :class:`~sim.errors.SimError`.
    """
    base = load_scenario(scenario)
    for name in (scenario,) if other is None else (scenario, other):
        for note in deprecation_notes(name):
            print(f"note: {note}", file=sys.stderr)
    if other is None:
        text, title = describe(base, lang), _title(base, lang)
    else:
        variant = load_scenario(other)
        text = diff(base, variant, lang)
        title = labels(lang).phrase("diff_title", a=base.id, b=variant.id)
    if fmt == "html":
        text = markdown_to_html(text, title=title, lang=lang)
    if out is None:
        print(text, end="")
    else:
        path = atomic_write_text(Path(out), text)
        print(f"wrote {path}")
    return 0

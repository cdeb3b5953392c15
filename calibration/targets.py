"""The targets file: published figures to fit, the free parameters with bounds and priors.

A targets file is YAML validated into :class:`TargetsFile` (pydantic, unknown keys rejected with the
nearest valid key suggested). Every problem is reported at once with file, key path and line, as the
scenario loader does (:class:`TargetsError` is a :class:`~sim.errors.ScenarioError`).

Layout (see ``calibration/targets/ningbo-2019.yaml`` and ``docs/calibration.md``)::

    id: ningbo-2019
    scenario: ../../scenarios/ningbo/ningbo-2019-reform.yaml   # relative to this file, or a preset id
    run: {agents: 20000, months: 24}
    fit: {seeds: 3, budget: 160, scorecard_seeds: 10}
    split: {fit_until: 2019-06}     # optional: targets needing later months are held out (by date)

Parameters
----------
      behaviour.intention.application_rate: {low: 0.01, high: 0.5, prior: loguniform, reason: "..."}
    targets:
      settled_2019_reform:
        indicator: settled_persons
        city: ningbo
        period: {from: 2019-09-15, to: 2019-11-20, months: {2019-09: 1.0, 2019-10: 1.0, 2019-11: 0.2}}
        value: 12727
        unit: persons
        tolerance: {relative: 0.05}
        source: "seed 000 ..."
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import Problem, ScenarioError
from sim.scenario.yamlsource import Origins, format_key_path, origin_of, read_yaml

INDICATORS: dict[str, tuple[str, str]] = {
    "settled_persons": ("persons", "persons settled (applicants + dependants, 迁入) over the weighted months"),
    "settled_applicants": ("persons", "applicants settled over the weighted months"),
    "growth": ("share", "settled_persons over `period` ÷ over `baseline` − 1 (same run)"),
    "share_aged_18_34": ("share", "share of persons settled in the weighted months aged 18–34 at settlement"),
    "share_college_or_above": (
        "share",
        "share of persons settled with college, bachelor, master's or doctoral education",
    ),
    "formal_share": ("share", "weighted mean of the monthly share of migrants in formal work (paying 社保)"),
    "migrants": ("persons", "weighted mean of migrants in the city"),
}
"""Indicator name → (unit, meaning). Computed by :mod:`calibration.indicators`."""

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class TargetsError(ScenarioError):
    """A targets file is invalid; carries every problem found."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Period(_Strict):
    """A published period and its aggregation over model months.

    ``months`` maps ``YYYY-MM`` to the weight of that model month (the share of it inside the
    period); the indicator is the weighted sum (counts) or weighted mean (shares, stocks).
    """

    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")
    months: dict[str, float]

    @field_validator("months")
    @classmethod
    def _months(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("give at least one month, e.g. {2019-09: 1.0}")
        for key, weight in value.items():
            if not MONTH_RE.match(str(key)):
                raise ValueError(f"month {key!r} is not YYYY-MM (quote it in YAML: '2019-09')")
            if not 0 < weight <= 1:
                raise ValueError(f"weight of {key} must be in (0, 1], found {weight}")
        return {str(k): float(v) for k, v in value.items()}

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self


class Tolerance(_Strict):
    """How close the fitted value must be: ``relative`` (× |value|) or ``absolute``; ``se`` optional.

    The fit weighs each target by ``1/sigma²`` with ``sigma = se`` when given, else half the
    tolerance (the tolerance read as a two-sigma band).
    """

    relative: float | None = Field(None, gt=0)
    absolute: float | None = Field(None, gt=0)
    se: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("give exactly one of 'relative' or 'absolute'")
        return self

    def width(self, value: float) -> float:
        """Half-width of the pass band around ``value``."""
        return self.absolute if self.absolute is not None else self.relative * abs(value)

    def sigma(self, value: float) -> float:
        """The scale that weighs the target in the fit."""
        return self.se if self.se is not None else self.width(value) / 2.0


class Target(_Strict):
    """One published figure and the model indicator it corresponds to."""

    indicator: str
    city: str
    channel: str | None = None
    adults_only: bool = False
    period: Period
    baseline: Period | None = None
    value: float
    unit: str
    tolerance: Tolerance
    source: str = Field(min_length=1)
    use: Literal["fit", "holdout"] = "fit"
    note: str = ""

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, value: str) -> str:
        if value not in INDICATORS:
            near = difflib.get_close_matches(value, INDICATORS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"unknown indicator {value!r}{hint}; known: {', '.join(INDICATORS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        unit = INDICATORS[self.indicator][0]
        if self.unit != unit:
            raise ValueError(f"indicator {self.indicator!r} is measured in {unit!r}, the target says {self.unit!r}")
        if self.indicator == "growth" and self.baseline is None:
            raise ValueError("a 'growth' target needs a 'baseline' period (the same months a year before)")
        if self.indicator != "growth" and self.baseline is not None:
            raise ValueError(f"'baseline' is only for 'growth' targets, not {self.indicator!r}")
        if self.channel is not None and self.indicator in ("formal_share", "migrants"):
            raise ValueError(f"indicator {self.indicator!r} has no channel breakdown")
        return self


class Parameter(_Strict):
    """A free parameter: a scenario key path with bounds and a prior."""

    low: float
    high: float
    prior: Literal["uniform", "loguniform"] = "uniform"
    integer: bool = False
    reason: str = ""

    @model_validator(mode="after")
    def _bounds(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        if self.prior == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self

    def from_unit(self, u: float) -> float:
        """The parameter value at ``u`` in [0, 1] of its prior's quantiles."""
        u = min(max(float(u), 0.0), 1.0)
        if self.prior == "loguniform":
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return float(round(value)) if self.integer else float(f"{value:.6g}")

    def to_unit(self, value: float) -> float:
        """Inverse of :meth:`from_unit`."""
        if self.prior == "loguniform":
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)


class RunSize(_Strict):
    """Size of the runs of a fit."""

    agents: int | None = Field(None, gt=0)
    months: int | None = Field(None, gt=0)


class FitSettings(_Strict):
    """Defaults of ``python -m calibration fit`` (the command line overrides them)."""

    seeds: int = Field(3, gt=0)
    budget: int = Field(160, gt=0)
    scorecard_seeds: int = Field(10, gt=0)
    scorecard_agents: int | None = Field(
        None, gt=0, description="Agents per scorecard run (default: the fit's); more narrows the band."
    )
    scorecard_seed_base: int = Field(1000, ge=0)
    abc_draws: int = Field(0, ge=0)
    abc_accept: float = Field(0.1, gt=0, le=1)


class Split(_Strict):
    """The fitting period: targets that need a model month after ``fit_until`` are held out of the fit.

    This is temporal validation: fit on the figures up to a date, score on the figures after it.
    A target held out by its ``use: holdout`` stays held out whatever the date.
    """

    fit_until: str = Field(description="The last model month (YYYY-MM) a fitted target may use.")

    @field_validator("fit_until", mode="before")
    @classmethod
    def _month(cls, value: Any) -> str:
        if isinstance(value, dt.date):
            return f"{value.year:04d}-{value.month:02d}"
        text = str(value)
        if re.fullmatch(r"\d{4}", text):
            return f"{text}-12"  # a year: fit on every month up to its December
        if not MONTH_RE.match(text):
            raise ValueError(f"fit_until {value!r} is neither YYYY nor YYYY-MM (quote it in YAML: '2019-06')")
        return text


HELD_OUT_BY_ROLE, HELD_OUT_BY_DATE = "role", "date"


class TargetsFile(_Strict):
    """A validated targets file."""

    id: str
    title: str = ""
    description: str = ""
    scenario: str
    run: RunSize = RunSize()
    fit: FitSettings = FitSettings()
    split: Split | None = None
    parameters: dict[str, Parameter]
    targets: dict[str, Target]
    source: str | list[str] = ""
    path: Path | None = Field(None, exclude=True)

    @field_validator("parameters", "targets")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("must not be empty")
        return value

    def scenario_path(self) -> str:
        """The scenario as :func:`sim.scenario.load_scenario` takes it (resolved against the file)."""
        if self.path is not None and self.scenario.endswith((".yaml", ".yml")):
            return str((self.path.parent / self.scenario).resolve())
        return self.scenario

    def held_out_by(self, name: str) -> str | None:
        """Why target ``name`` is kept out of the fit, or None when the fit sees it.

        ``"role"``: its ``use`` is ``holdout``; ``"date"``: it needs months after ``split.fit_until``.
        """
        target = self.targets[name]
        if target.use == "holdout":
            return HELD_OUT_BY_ROLE
        if self.split is not None and last_month(target) > self.split.fit_until:
            return HELD_OUT_BY_DATE
        return None

    def role(self, name: str) -> Literal["fit", "holdout"]:
        """``"fit"`` when the fit sees target ``name``, else ``"holdout"``."""
        return "fit" if self.held_out_by(name) is None else "holdout"

    def fit_targets(self) -> dict[str, Target]:
        """Targets used in the fit: neither held out by role nor after the fitting period."""
        return {k: t for k, t in self.targets.items() if self.held_out_by(k) is None}

    def holdout_targets(self) -> dict[str, Target]:
        """Targets the fit never sees: they are only scored."""
        return {k: t for k, t in self.targets.items() if self.held_out_by(k) is not None}

    def with_fit_until(self, month: str) -> TargetsFile:
        """A copy whose fitting period ends with ``month`` (``YYYY`` or ``YYYY-MM``).

        Raises
        ------
        TargetsError
            If ``month`` is not a month, or no target would be left to fit.
        """
        try:
            split = Split(fit_until=month)
        except ValidationError as err:
            message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise TargetsError([Problem(str(self.path or self.id), "split.fit_until", message)]) from None
        copy = self.model_copy(update={"split": split})
        if not copy.fit_targets():
            dates = ", ".join(f"{k}: {last_month(t)}" for k, t in self.targets.items() if t.use == "fit")
            raise TargetsError(
                [
                    Problem(
                        str(self.path or self.id),
                        "split.fit_until",
                        f"no fit target ends by {split.fit_until}: nothing would be fitted.",
                        hint=f"the fit targets end in {dates or 'none (all are held out by role)'}",
                    )
                ]
            )
        return copy

    def with_holdout(self, names: list[str]) -> TargetsFile:
        """A copy where ``names`` are held out of the fit (and the others used)."""
        unknown = [n for n in names if n not in self.targets]
        if unknown:
            raise TargetsError([Problem(str(self.path or self.id), "targets", f"unknown target(s) {unknown}")])
        targets = {k: t.model_copy(update={"use": "holdout" if k in names else "fit"}) for k, t in self.targets.items()}
        return self.model_copy(update={"targets": targets})


def last_month(target: Target) -> str:
    """The last model month (``YYYY-MM``) that ``target`` depends on (its period or baseline)."""
    months = list(target.period.months)
    if target.baseline is not None:
        months += list(target.baseline.months)
    return max(months)


def load_targets(path: str | Path, *, check_scenario: bool = True) -> TargetsFile:
    """Load and validate a targets file.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    check_scenario : bool
        Also load the scenario with every parameter at its low and high bound, so that a key path
        that does not exist in the scenario or a bound the scenario rejects is reported here.

    Raises
    ------
    TargetsError
        With every problem found (file, key path, line, hint).
    """
    path = Path(path)
    if not path.is_file():
        raise TargetsError([Problem(str(path), "", "file not found")])
    data, origins = read_yaml(path, error=TargetsError)
    if not isinstance(data, Mapping):
        raise TargetsError([Problem(str(path), "", "expected a mapping at the top level")])
    try:
        targets = TargetsFile.model_validate(dict(data))
    except ValidationError as err:
        raise TargetsError([_problem(e, origins, str(path)) for e in err.errors()]) from None
    targets = targets.model_copy(update={"path": path.resolve()})
    if targets.split is not None:
        targets.with_fit_until(targets.split.fit_until)  # raises when the split leaves nothing to fit
    if check_scenario:
        _check_scenario(targets, origins, str(path))
    return targets


def _check_scenario(targets: TargetsFile, origins: Origins, name: str) -> None:
    from sim.scenario import load_scenario

    problems = []
    scenario = targets.scenario_path()
    for bound in ("low", "high"):
        overrides = {key: getattr(p, bound) for key, p in targets.parameters.items()}
        overrides = {k: (int(v) if targets.parameters[k].integer else v) for k, v in overrides.items()}
        try:
            loaded = load_scenario(scenario, overrides)
        except ScenarioError as err:
            line = (origin_of(origins, ("parameters",)) or (name, None))[1]
            problems.append(
                Problem(name, "parameters", f"the scenario {scenario!r} rejects the {bound} bounds: {err}", line)
            )
            break
    else:
        cities = set(loaded.cities)
        for key, target in targets.targets.items():
            if target.city not in cities:
                line = (origin_of(origins, ("targets", key, "city")) or (name, None))[1]
                problems.append(Problem(name, f"targets.{key}.city", f"city {target.city!r} not in the scenario", line))
    if problems:
        raise TargetsError(problems)


def _problem(error: Mapping[str, Any], origins: Origins, name: str) -> Problem:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "model"))))
    origin = origin_of(origins, loc)
    line = origin[1] if origin else None
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    if error["type"] == "extra_forbidden":
        allowed = _allowed(loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = f"unknown key {loc[-1]!r}"
        hint = f"did you mean {near[0]!r}?" if near else (f"allowed keys: {', '.join(allowed)}" if allowed else "")
    elif error["type"] == "missing":
        message = f"required key {loc[-1]!r} is missing"
    return Problem(name, format_key_path(loc), message, line, hint)


def _allowed(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = TargetsFile
    skip_key = False
    for part in loc:
        if skip_key:
            skip_key = False
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            for name, f in model.model_fields.items():
                if f.alias == part:
                    field = model.model_fields[name]
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if getattr(annotation, "__origin__", None) is dict and candidates:
            model, skip_key = candidates[-1], True  # dict[str, Model]: the next part is a key
        elif candidates:
            model = candidates[0]
        else:
            return []
    return sorted(f.alias or n for n, f in model.model_fields.items() if n != "path")

"""What a scenario declares about persons beyond the population's marginals.

A city's districts (each in a group such as ``core`` or ``outer``), the income tax persons pay
(annual amounts kept for some years) and generic numeric attributes (innovation awards,
patents, volunteer hours, professional titles): each declared with its unit, the distribution
synthetic persons draw it from, and the source of that distribution or the reason it is assumed.
Person files set the same values for ``sim check``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DISTRICTS = 127
"""Most districts a city may declare: a person's district is an ``int8`` index into their city's."""
MAX_ATTRIBUTE = 1e9
"""Largest absolute value of a person attribute or a distribution parameter."""
MAX_INCOME_TAX_YEARS = 9
"""Most closed years of income tax a person carries: the ledgers' 128 months hold nine whole calendar
years before any month, from which synthesis derives the years before the start."""

_NAME = r"^[a-z][a-z0-9_]*$"


class _Declared(BaseModel):
    """Base of these models: the scenario's strictness (unknown keys are errors, immutable, finite)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    atomic: ClassVar[bool] = True
    """A later declaration replaces an earlier one whole (see :mod:`sim.scenario.timeline`)."""


class District(_Declared):
    """A district of a city and the group it belongs to (e.g. core / outer)."""

    group: str = Field(pattern=_NAME, description="Group of the district, e.g. 'core' or 'outer'.")
    home_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of the city's migrants living there (synthesis)."
    )
    work_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of the city's working migrants working there (synthesis)."
    )


class Constant(_Declared):
    """Every synthetic person has the same value."""

    kind: Literal["constant"]
    value: float = Field(ge=-MAX_ATTRIBUTE, le=MAX_ATTRIBUTE)


class Poisson(_Declared):
    """A count: Poisson with the given mean."""

    kind: Literal["poisson"]
    mean: float = Field(ge=0, le=1e6)


class LogNormal(_Declared):
    """A positive amount for a share of persons (zero for the others): log-normal with a median and a spread."""

    kind: Literal["lognormal"]
    share: float = Field(default=1.0, ge=0, le=1, description="Share of persons with a non-zero value.")
    median: float = Field(gt=0, le=MAX_ATTRIBUTE)
    sigma: float = Field(ge=0, le=5, description="Standard deviation of the logarithm.")


class Choice(_Declared):
    """One of a few values, each with its share (e.g. levels of a professional title)."""

    kind: Literal["choice"]
    values: dict[float, float] = Field(min_length=1, description="Value → share; shares sum to 1.")

    @model_validator(mode="after")
    def _shares(self) -> Choice:
        total = sum(self.values.values())
        if any(share < 0 for share in self.values.values()) or abs(total - 1) > 0.005:
            raise ValueError(f"the shares of 'values' must be non-negative and sum to 1, got a sum of {total:.4f}")
        if any(abs(value) > MAX_ATTRIBUTE for value in self.values):
            raise ValueError(f"values must lie within ±{MAX_ATTRIBUTE:g}")
        return self


Distribution = Annotated[Constant | Poisson | LogNormal | Choice, Field(discriminator="kind")]
"""How synthetic persons draw a value."""


class _Sourced(_Declared):
    """A declaration whose distribution cites a source or says why it is assumed."""

    source: str = Field(default="", description="Where the distribution comes from.")
    assumption: str = Field(default="", description="Why the distribution is assumed, where no source gives it.")

    @model_validator(mode="after")
    def _sourced(self) -> _Sourced:
        if not self.source.strip() and not self.assumption.strip():
            raise ValueError(
                "give the distribution's 'source', or mark it as an 'assumption' with the reason it was chosen"
            )
        return self


class AttributeSpec(_Sourced):
    """A numeric person attribute that items can score (patents, awards, volunteer hours...)."""

    unit: str = Field(min_length=1, description="Unit of the value, e.g. 'patents' or 'hours'.")
    description: str = ""
    minimum: float = Field(default=0.0, ge=-MAX_ATTRIBUTE, le=MAX_ATTRIBUTE)
    maximum: float = Field(default=MAX_ATTRIBUTE, ge=-MAX_ATTRIBUTE, le=MAX_ATTRIBUTE)
    synthesis: Distribution

    @model_validator(mode="after")
    def _bounds(self) -> AttributeSpec:
        if self.maximum < self.minimum:
            raise ValueError(f"maximum {self.maximum:g} is below minimum {self.minimum:g}")
        return self


class IncomeTaxSpec(_Sourced):
    """Individual income tax (个人所得税): annual amounts kept per person, separate from business tax.

    A synthetic person pays ``synthesis`` yuan in a year of formal work, in proportion to the
    months of the year with social insurance (tax is withheld from formal wages).
    """

    years: int = Field(ge=1, le=MAX_INCOME_TAX_YEARS, description="Closed calendar years kept per person.")
    synthesis: Distribution

"""Service rules: what applying takes under a channel's declared service (trips, days, a trip home).

The seeds' service reforms — 最多跑一次 (at most one trip, seed 002), 绿色通道 (a green channel,
6 → 3 working days, seed 000), 跨省通办 (cross-province transfer without a trip to the origin
province, seed 001), 容缺受理 (accepting an application with non-core papers missing, seed 002),
贵阳“三最” (on the spot, 7×24 windows, seed 003) — are policy: declared per channel and date in the
scenario (:class:`sim.scenario.schema.Service`). These functions are pure; the model draws the
random parts (incomplete papers, the green channel, the day of application) from its streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Channel, RuleSet, Service

WORKING_DAYS_PER_MONTH = 22
"""Working days in a calendar month (5 days a week, less holidays), to turn days into months."""
DAYS_PER_MONTH = 365.25 / 12
WORKING_DAYS_PER_CALENDAR_DAY = WORKING_DAYS_PER_MONTH / DAYS_PER_MONTH
"""To compare a validity in calendar days (a permit's) with waits in working days."""


def effective_service(rules: RuleSet, channel: Channel) -> Service | None:
    """The service of ``channel`` under ``rules``: the rule set's default overlaid by the channel's keys.

    None when neither declares one: applying costs nothing and approval takes ``processing_months``.
    """
    if channel.service is None:
        return rules.service
    if rules.service is None:
        return channel.service
    updates = {name: getattr(channel.service, name) for name in channel.service.model_fields_set}
    return rules.service.model_copy(update=updates)


def trips(service: Service, papers_missing: np.ndarray) -> np.ndarray:
    """Trips to a window for each applicant: ``trips_required``, one more with incomplete papers.

    容缺受理 (``tolerant_acceptance``) accepts the application and lets the missing papers follow by
    post or online (seed 002: 先受理、后补缺…网上补录、快递寄送), so it saves that extra trip. A fully
    online service (no trips) needs no trip for missing papers either.
    """
    extra = papers_missing & (service.trips_required > 0) & (not service.tolerant_acceptance)
    return service.trips_required + extra.astype(np.int16)


def needs_home_trip(service: Service) -> bool:
    """Whether moving the hukou out of the origin province needs a trip there (no 跨省通办)."""
    return not service.transfer_online


def processing_days(service: Service, channel: Channel, green: np.ndarray) -> np.ndarray:
    """Working days from application to approval per applicant (``green``: by the green channel)."""
    days = (
        channel.processing_months * WORKING_DAYS_PER_MONTH
        if service.processing_working_days is None
        else service.processing_working_days
    )
    out = np.full(len(green), float(days))
    if service.green_channel_working_days is not None:
        out[green] = min(float(days), service.green_channel_working_days)
    return out


def delay_months(days: np.ndarray, day_of_month: np.ndarray) -> np.ndarray:
    """Calendar months from the application month to the decision month.

    An application is made on a working day ``day_of_month`` in [0, 22) of its month (a uniform
    draw); it is decided ``days`` working days later, in the month that day falls in. The expected
    delay is ``days / 22`` months: 6 working days settle within the month about 2 times in 3.
    """
    return np.floor((day_of_month * WORKING_DAYS_PER_MONTH + days) / WORKING_DAYS_PER_MONTH).astype(np.int32)


def after_approval_working_days(service: Service, trip_days: np.ndarray) -> np.ndarray:
    """Working days from approval to registration in the city, per approved applicant.

    The permit to move (准迁证) is issued on approval; the applicant takes it home (``trip_days``,
    0 when the transfer is online) and the origin deregisters them (``deregistration_working_days``);
    the city then registers them (``registration_working_days``). Seed 000: approval in 6 working
    days (3 by the green channel), then the permit goes to Hunan for the 迁出; seed 001: a transfer
    that took "over a month" with trips home takes "under a week" online.
    """
    fixed = (service.deregistration_working_days or 0.0) + (service.registration_working_days or 0.0)
    return np.asarray(trip_days, np.float64) + fixed


def permit_expired(service: Service, trip_days: np.ndarray) -> np.ndarray:
    """Whether the permit to move expires before the trip home is made (the application then lapses)."""
    if service.move_permit_valid_days is None:
        return np.zeros(len(trip_days), bool)
    return np.asarray(trip_days) > service.move_permit_valid_days * WORKING_DAYS_PER_CALENDAR_DAY


def is_far(origin_province: np.ndarray, city_province: int | None, near_distance: int) -> np.ndarray:
    """Whether the origin province is far from the city's: more than ``near_distance`` places apart.

    An assumption: :data:`sim.provinces.PROVINCES` is in the national statistical order, which groups
    neighbouring provinces (north, north-east, east, centre-south, south-west, north-west), so the
    index distance is a rough proxy of travel distance. With no province declared, all are far.
    """
    if city_province is None:
        return np.ones(len(origin_province), bool)
    return np.abs(origin_province.astype(np.int16) - city_province) > near_distance


@dataclass(frozen=True)
class ServiceSteps:
    """What applying takes for one person (``sim check``)."""

    trips: int
    trips_if_papers_missing: int
    working_days: float
    green_channel_working_days: float | None
    green_channel_share: float
    home_trip: bool
    capacity_per_month: int | None
    windows: tuple[str, ...]
    move_permit_valid_days: int | None = None
    after_approval_working_days: float = 0.0
    """Deregistration and registration, without the trip home."""

    def text(self) -> str:
        """One line: trips, days, the trip home and the windows."""
        parts = [f"{self.trips} trip{'s' if self.trips != 1 else ''} to a window"]
        if self.trips_if_papers_missing != self.trips:
            parts[0] += f" ({self.trips_if_papers_missing} with papers missing)"
        parts.append(f"{self.working_days:g} working days")
        if self.green_channel_working_days is not None:
            parts[-1] += f" ({self.green_channel_working_days:g} by the green channel)"
        parts.append("a trip home to the origin province" if self.home_trip else "no trip home (transfer online)")
        if self.move_permit_valid_days is not None:
            parts.append(f"the permit to move (准迁证) valid {self.move_permit_valid_days} days")
        if self.after_approval_working_days:
            parts.append(f"{self.after_approval_working_days:g} working days to deregister and register")
        if self.windows:
            parts.append(", ".join(self.windows))
        if self.capacity_per_month is not None:
            parts.append(f"at most {self.capacity_per_month} decisions a month (first come, first served)")
        return "; ".join(parts)


def steps(service: Service, channel: Channel) -> ServiceSteps:
    """The expected steps of an application under ``service`` (papers complete, no green channel)."""
    complete = int(trips(service, np.array([False]))[0])
    missing = int(trips(service, np.array([True]))[0])
    days = float(processing_days(service, channel, np.array([False]))[0])
    windows = tuple(
        name
        for name, on in (
            ("appointments", service.appointment),
            ("self-service terminals", service.self_service),
            ("open at all hours", service.all_hours),
            ("papers may follow (容缺受理)", service.tolerant_acceptance),
        )
        if on
    )
    return ServiceSteps(
        trips=complete,
        trips_if_papers_missing=missing,
        working_days=days,
        green_channel_working_days=service.green_channel_working_days,
        green_channel_share=service.green_channel_share,
        home_trip=needs_home_trip(service),
        capacity_per_month=service.capacity_per_month,
        windows=windows,
        move_permit_valid_days=service.move_permit_valid_days,
        after_approval_working_days=float(after_approval_working_days(service, np.zeros(1))[0]),
    )

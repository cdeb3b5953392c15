"""The month's counts per city, and the monthly table built from them for every city at once.

The phases of a month add what they count to :class:`MonthCounts`, one array per quantity with
a row per city; :func:`monthly_frame` turns them into the month's rows of the ``monthly`` table
with whole-array operations. Only cities with settlers this month cost any per-city work (their
waiting times), so a scenario with hundreds of cities costs about what one with a few does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.scenario.schema import CHANNELS

COUNTERS = ("arrived", "left", "died", "applied", "settled", "dependants_settled")
MONTHLY_COLUMNS = [
    "scenario",
    "seed",
    "city",
    "month",
    "migrants",
    "settled_total",
    *COUNTERS,
    *(f"settled_{c}" for c in CHANNELS),
    "eligible_any",
    *(f"eligible_{c}" for c in CHANNELS),
    "eligible_not_applied",
    "eligible_unaware",
    "blocked_only_by_gap",
    "points_pool",
    "formal_share",
]
SERVICE_COLUMNS = [
    *(f"applied_{c}" for c in CHANNELS),
    "wait_mean_months",
    "wait_p90_months",
    *(f"wait_mean_months_{c}" for c in CHANNELS),
    *(f"wait_p90_months_{c}" for c in CHANNELS),
    "pending",
    "queue",
    *(f"queue_{c}" for c in CHANNELS),
    "lapsed",
    "trips",
    "home_trips",
    "eligible_not_applied_share",
]
"""Service indicators (issue 7), after :data:`MONTHLY_COLUMNS` in the monthly table.

``applied_*`` applications by channel; ``wait_*`` months from application to settlement of this
month's applicant settlers (0 when none: read them with ``settled_*``); ``pending`` applications
not yet decided at the end of the month; ``queue`` due applications held back by a channel's capacity; ``lapsed``
applications dropped because the person left, moved or lost eligibility while waiting; ``trips``
trips to a window and ``home_trips`` trips to the origin province made by this month's applicants;
``eligible_not_applied_share`` = ``eligible_not_applied / eligible_any``.
"""
SERVICE_COUNTS = ("lapsed", "trips", "home_trips")
COUNTER_INDEX = {name: i for i, name in enumerate(COUNTERS)}
SERVICE_INDEX = {name: i for i, name in enumerate(SERVICE_COUNTS)}
_SCALARS = ("eligible_any", "eligible_unaware", "eligible_not_applied", "blocked_only_by_gap")
_BY_CHANNEL = ("settled_by_channel", "eligible_by_channel", "applied_by_channel", "queue_by_channel")


class _Named:
    """One city's row of a (cities, names) array, read and written by name (``counts["settled"] += n``)."""

    __slots__ = ("_index", "_row")

    def __init__(self, row: np.ndarray, index: dict[str, int]) -> None:
        self._row, self._index = row, index

    def __getitem__(self, name: str) -> float:
        return self._row[self._index[name]]

    def __setitem__(self, name: str, value: float) -> None:
        self._row[self._index[name]] = value

    def items(self) -> list[tuple[str, float]]:
        """(name, value) pairs in column order."""
        return [(name, self._row[i]) for name, i in self._index.items()]


class CityCounts:
    """What the month counted in one city (in agents): a view of one row of :class:`MonthCounts`.

    Attributes read and written as before the counts were held per city: ``counts[name]``
    (:data:`COUNTERS`), ``service[name]`` (:data:`SERVICE_COUNTS`), the four ``*_by_channel`` arrays
    (one value per channel of :data:`CHANNELS`, updated in place), the four scalars
    ``eligible_any``, ``eligible_unaware``, ``eligible_not_applied`` and ``blocked_only_by_gap``,
    and ``waits``: (channels, months waited) of the applicant settlers, one pair per settlement call.
    """

    __slots__ = ("_month", "_city", "counts", "service", "waits", *_BY_CHANNEL)

    def __init__(self, month: MonthCounts, city: int) -> None:
        object.__setattr__(self, "_month", month)
        object.__setattr__(self, "_city", city)
        object.__setattr__(self, "counts", _Named(month.counts[city], COUNTER_INDEX))
        object.__setattr__(self, "service", _Named(month.service[city], SERVICE_INDEX))
        object.__setattr__(self, "waits", month.waits.setdefault(city, []))
        for name in _BY_CHANNEL:
            object.__setattr__(self, name, getattr(month, name)[city])

    def __getattr__(self, name: str) -> float:
        if name in _SCALARS:
            return getattr(self._month, name)[self._city]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: float | np.ndarray) -> None:
        # ``stats.settled_by_channel += x`` adds in place, then assigns the same row back.
        if name not in _SCALARS and name not in _BY_CHANNEL:
            raise AttributeError(f"CityCounts has no settable attribute {name!r}")
        getattr(self._month, name)[self._city] = value


class MonthCounts:
    """The counts of one month for every city, one array per quantity (``month[city]`` is one city's view).

    Parameters
    ----------
    n_cities : int
        Cities of the scenario.
    """

    def __init__(self, n_cities: int) -> None:
        self.n_cities = n_cities
        self.counts = np.zeros((n_cities, len(COUNTERS)))
        self.service = np.zeros((n_cities, len(SERVICE_COUNTS)))
        for name in _BY_CHANNEL:
            setattr(self, name, np.zeros((n_cities, len(CHANNELS))))
        for name in _SCALARS:
            setattr(self, name, np.zeros(n_cities))
        self.waits: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}

    def __getitem__(self, city: int) -> CityCounts:
        return CityCounts(self, city)

    def __len__(self) -> int:
        return self.n_cities

    def add(self, name: str, cities: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add one (or ``weights``) to counter ``name`` of each city in ``cities`` (one entry per row)."""
        self.counts[:, COUNTER_INDEX[name]] += np.bincount(cities, weights, minlength=self.n_cities)


def monthly_frame(
    month: MonthCounts,
    cities: Sequence[int],
    city_ids: Sequence[str],
    city_counts: np.ndarray,
    scale: float,
    scenario: str,
    seed: int,
    month_label: str,
) -> pd.DataFrame:
    """The month's rows of the ``monthly`` table for ``cities`` (indices, in table order), in real persons.

    Parameters
    ----------
    month : MonthCounts
        What the phases counted.
    cities : sequence of int
        The cities to report, in the order of their rows.
    city_ids : sequence of str
        Every city's id, by index.
    city_counts : ndarray, shape (5, cities)
        Migrants, settled, formal, points pool and pending per city (:func:`sim.phases.city_counts`).
    scale : float
        Persons per agent.
    scenario, seed, month_label
        The first columns' values.
    """
    index = np.asarray(cities, np.int64)
    migrants, settled, formal, pool, pending = (row[index] for row in city_counts)
    w = scale
    columns: dict[str, object] = {
        "scenario": [scenario] * len(index),
        "seed": np.full(len(index), seed, np.int64),
        "city": [city_ids[c] for c in index],
        "month": [month_label] * len(index),
        "migrants": migrants * w,
        "settled_total": settled * w,
    }
    counts = month.counts[index] * w
    columns |= {name: counts[:, i] for i, name in enumerate(COUNTERS)}
    settled_by_channel = month.settled_by_channel[index] * w
    columns |= {f"settled_{c}": settled_by_channel[:, i] for i, c in enumerate(CHANNELS)}
    columns["eligible_any"] = month.eligible_any[index] * w
    eligible_by_channel = month.eligible_by_channel[index] * w
    columns |= {f"eligible_{c}": eligible_by_channel[:, i] for i, c in enumerate(CHANNELS)}
    for name in ("eligible_not_applied", "eligible_unaware", "blocked_only_by_gap"):
        columns[name] = getattr(month, name)[index] * w
    columns["points_pool"] = pool * w
    columns["formal_share"] = np.divide(formal, migrants, out=np.zeros(len(index)), where=migrants > 0)
    applied = month.applied_by_channel[index] * w
    columns |= {f"applied_{c}": applied[:, i] for i, c in enumerate(CHANNELS)}
    columns |= _waits(month, index)
    columns["pending"] = pending * w
    queue = month.queue_by_channel[index]
    columns["queue"] = queue.sum(axis=1) * w
    columns |= {f"queue_{c}": queue[:, i] * w for i, c in enumerate(CHANNELS)}
    service = month.service[index] * w
    columns |= {name: service[:, i] for i, name in enumerate(SERVICE_COUNTS)}
    eligible_any = month.eligible_any[index]
    columns["eligible_not_applied_share"] = np.divide(
        month.eligible_not_applied[index], eligible_any, out=np.zeros(len(index)), where=eligible_any != 0
    )
    return pd.DataFrame(columns, columns=MONTHLY_COLUMNS + SERVICE_COLUMNS)


def _waits(month: MonthCounts, index: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and 90th percentile of the months waited, overall and by channel (0 where no one settled)."""
    position = np.full(month.n_cities, -1, np.int64)
    position[index] = np.arange(len(index))
    keys, channels, waits = [], [], []
    for city, pairs in month.waits.items():
        for channel, wait in pairs:
            if position[city] >= 0:
                keys.append(np.full(len(wait), position[city], np.int64))
                channels.append(np.asarray(channel, np.int64))
                waits.append(np.asarray(wait, np.float64))
    at = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    channel = np.concatenate(channels) if channels else np.zeros(0, np.int64)
    wait = np.concatenate(waits) if waits else np.zeros(0)
    columns = dict(zip(("wait_mean_months", "wait_p90_months"), _group_mean_p90(at, wait, len(index)), strict=True))
    mean, p90 = _group_mean_p90(at * len(CHANNELS) + channel, wait, len(index) * len(CHANNELS))
    mean, p90 = mean.reshape(len(index), len(CHANNELS)), p90.reshape(len(index), len(CHANNELS))
    columns |= {f"wait_mean_months_{c}": mean[:, i] for i, c in enumerate(CHANNELS)}
    columns |= {f"wait_p90_months_{c}": p90[:, i] for i, c in enumerate(CHANNELS)}
    return columns


def _group_mean_p90(keys: np.ndarray, values: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 90th percentile of ``values`` by ``keys`` (0 for a key without values).

    The same numbers as ``values.mean()`` and ``np.quantile(values, 0.9)`` for each group (linear
    interpolation, computed as numpy does), for every group in one sort; the values are whole
    months, so their sums are exact in any order.
    """
    mean, p90 = np.zeros(n_keys), np.zeros(n_keys)
    if not len(values):
        return mean, p90
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    present, first, count = np.unique(keys, return_index=True, return_counts=True)
    mean[present] = np.add.reduceat(values, first) / count
    virtual = (count - 1) * 0.9
    below = np.floor(virtual)
    gamma = virtual - below
    lower = below.astype(np.int64)
    upper = np.minimum(lower + 1, count - 1)
    last = virtual >= count - 1
    lower[last] = upper[last] = (count - 1)[last]
    a, b = values[first + lower], values[first + upper]
    p90[present] = np.where(gamma >= 0.5, b - (b - a) * (1 - gamma), a + (b - a) * gamma)
    return mean, p90

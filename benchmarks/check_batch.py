"""``sim check --persons`` benchmark: thousands of synthetic persons checked in one command.

Usage::

    python benchmarks/check_batch.py [--persons 6000] [--seed 0] [--format jsonl|csv|folder]
                                     [--scenario ningbo-2019-reform] [--city ningbo] [--date 2019-10]

1. Generates ``--persons`` synthetic person documents (:func:`synthetic_persons`: varied ages,
   education, histories with gaps, back-payments, business tax, permits, housing and households,
   a few applying as a parent or a child of a settled relative) and writes them into a temporary
   folder as one ``.jsonl`` file, one ``.csv`` table or a folder of ``.json`` files.
2. Runs ``python -m sim check SCENARIO --city C --date D --persons INPUT --out results.csv`` as a
   child process and times it from start to exit: wall time, and the child's CPU time (user +
   system, from ``RUSAGE_CHILDREN``), with the load average before and after.
3. Reads the results back and counts the rows and the persons eligible by each channel.

Times include the interpreter's start, imports, reading and validating every document, and
writing the table. The machine's load changes them; the load average is printed with them.

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Import the working tree's ``sim`` whatever the current directory (the editable install may be stale).
sys.path.insert(0, str(ROOT))

from sim.scenario.schema import EDUCATION_LEVELS, SKILL_LEVELS  # noqa: E402

PROVINCES = ("anhui", "henan", "hunan", "jiangxi", "sichuan", "guizhou", "hubei", "zhejiang", "gansu", "yunnan")
OTHER_CITIES = ("hangzhou", "shanghai", "suzhou")


def label(month: int) -> str:
    """``YYYY-MM`` of a month index (``year * 12 + month - 1``)."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def synthetic_persons(count: int, seed: int, city: str, month: int) -> list[dict[str, Any]]:
    """``count`` person documents (the person-file format) of migrants who arrived in ``city`` before ``month``.

    Parameters
    ----------
    count : int
        Persons to generate.
    seed : int
        Seed of the generator: the same seed gives the same documents.
    city : str
        The city every person has arrived in.
    month : int
        Month index of the application; histories may run past it (months not yet counted).

    Returns
    -------
    list of dict
        Documents as ``yaml.safe_load`` or ``json.loads`` would give them, each with an ``id``.
    """
    rng = np.random.default_rng(seed)
    return [_person(rng, index, city, month) for index in range(count)]


def _spans(rng: np.random.Generator, start: int, stop: int) -> list[tuple[int, int]]:
    """Up to four spans of months in ``start .. stop`` with gaps between them."""
    spans: list[tuple[int, int]] = []
    cursor = start + int(rng.integers(0, 4))
    for _ in range(int(rng.integers(0, 5))):
        if cursor > stop:
            break
        last = min(stop, cursor + int(rng.integers(0, 80)))
        spans.append((cursor, last))
        cursor = last + 2 + int(rng.integers(0, 12))
    return spans


def _ranges(spans: list[tuple[int, int]]) -> list[str]:
    return [f"{label(first)}..{label(last)}" if last > first else label(first) for first, last in spans]


def _person(rng: np.random.Generator, index: int, city: str, month: int) -> dict[str, Any]:
    age_months = int(rng.integers(18 * 12, 66 * 12))
    birth = month - age_months
    level = EDUCATION_LEVELS[int(rng.integers(0, len(EDUCATION_LEVELS)))]
    education: dict[str, Any] = {"level": level}
    if level not in ("none", "primary") and rng.random() < 0.9:
        education["graduated"] = label(min(birth + int(rng.integers(16 * 12, 27 * 12)), month - 1))
    arrival = month - int(rng.integers(1, min(age_months - 16 * 12, 30 * 12) + 1))
    doc: dict[str, Any] = {
        "id": f"p{index:05d}",
        "birth": label(birth),
        "sex": "male" if rng.random() < 0.55 else "female",
        "education": education,
        "skill": SKILL_LEVELS[int(rng.integers(0, len(SKILL_LEVELS)))] if rng.random() < 0.4 else "none",
        "origin": {
            "hukou": "rural" if rng.random() < 0.7 else "urban",
            "province": PROVINCES[int(rng.integers(0, len(PROVINCES)))],
            "has_land": bool(rng.random() < 0.4),
        },
        "arrived": {city: label(arrival)},
    }
    paid = _spans(rng, arrival, month + int(rng.integers(-3, 6)))
    history = {city: _ranges(paid)} if paid else {}
    if rng.random() < 0.3:
        other = OTHER_CITIES[int(rng.integers(0, len(OTHER_CITIES)))]
        other_start = max(birth + 16 * 12, arrival - int(rng.integers(1, 120)))
        other_spans = _spans(rng, other_start, arrival - 1)
        if other_spans:
            doc["arrived"][other] = label(other_start)
            history[other] = _ranges(other_spans)
    if history:
        doc["social_insurance"] = history
    gaps = [(a[1] + 1, b[0] - 1) for a, b in itertools.pairwise(paid) if b[0] - a[1] > 1]
    if gaps and rng.random() < 0.3:
        first, last = gaps[int(rng.integers(0, len(gaps)))]
        doc["back_paid"] = {city: _ranges([(first, min(last, first + int(rng.integers(0, 4))))])}
    if rng.random() < 0.1:
        doc["tax"] = {city: _ranges(_spans(rng, arrival, month))}
    if rng.random() < 0.6:
        doc["residence_permit"] = {city: label(arrival + int(rng.integers(0, 24)))}
    tenure = "own_home" if rng.random() < 0.25 else "rent"
    doc["housing"] = {
        "tenure": tenure,
        "community_since": label(arrival + int(rng.integers(0, max(month - arrival, 1)))),
        "floor_area_m2": round(float(rng.uniform(12, 140)), 1),
        "owns_commercial_property": bool(rng.random() < 0.03),
    }
    doc["honours"] = int(rng.integers(0, 3)) if rng.random() < 0.1 else 0
    doc["shortage_industry"] = bool(rng.random() < 0.15)
    household: dict[str, Any] = {"spouse": bool(rng.random() < 0.6)}
    children = [label(month - int(rng.integers(1, 25 * 12))) for _ in range(int(rng.integers(0, 3)))]
    children = [c for c in children if c > doc["birth"]]
    if children:
        household["children"] = children
    if rng.random() < 0.1:
        household["parents"] = [label(birth - int(rng.integers(20 * 12, 40 * 12)))]
    household["others"] = int(rng.integers(0, 3)) if rng.random() < 0.2 else 0
    roll = rng.random()
    if roll < 0.05 and children:
        doc["applicant"] = "parent"
        household["settled"] = {"children": True}
    elif roll < 0.08 and household.get("parents"):
        doc["applicant"] = "child"
        household["settled"] = {"parents": True}
    elif roll < 0.12 and household["spouse"]:
        household["settled"] = {"spouse": True}
    doc["household"] = household
    return doc


def write_persons(documents: list[dict[str, Any]], folder: Path, fmt: str) -> Path:
    """Write the documents as one ``.jsonl``, one ``.csv`` or a folder of ``.json`` files; return the input path."""
    if fmt == "jsonl":
        path = folder / "persons.jsonl"
        path.write_text("".join(json.dumps(doc) + "\n" for doc in documents), encoding="utf-8")
        return path
    if fmt == "folder":
        path = folder / "persons"
        path.mkdir()
        for doc in documents:
            body = {key: value for key, value in doc.items() if key != "id"}
            (path / f"{doc['id']}.json").write_text(json.dumps(body), encoding="utf-8")
        return path
    rows = [_flat(doc) for doc in documents]
    columns = sorted({key for row in rows for key in row}, key=lambda key: (key != "id", key))
    path = folder / "persons.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """A document as CSV cells: dotted key paths, lists joined by ';', booleans as true/false."""
    if isinstance(value, dict):
        cells: dict[str, str] = {}
        for key, item in value.items():
            cells |= _flat(item, f"{prefix}.{key}" if prefix else key)
        return cells
    if isinstance(value, list):
        return {prefix: ";".join(value)}
    if isinstance(value, bool):
        return {prefix: "true" if value else "false"}
    return {prefix: str(value)}


def main() -> None:
    """Generate, check, time and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("jsonl", "csv", "folder"), default="jsonl")
    parser.add_argument("--scenario", default="ningbo-2019-reform")
    parser.add_argument("--city", default="ningbo")
    parser.add_argument("--date", default="2019-10")
    args = parser.parse_args()
    year, month_of_year = (int(part) for part in args.date.split("-"))
    month = year * 12 + month_of_year - 1
    documents = synthetic_persons(args.persons, args.seed, args.city, month)
    with tempfile.TemporaryDirectory(prefix="check-batch-") as temp:
        folder = Path(temp)
        source = write_persons(documents, folder, args.format)
        out = folder / "results.csv"
        command = [sys.executable, "-m", "sim", "check", args.scenario, "--city", args.city, "--date", args.date]
        command += ["--persons", str(source), "--out", str(out)]
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()
        if done.returncode != 0:
            sys.exit(f"sim check failed ({done.returncode}):\n{done.stderr}")
        with out.open(encoding="utf-8") as handle:
            table = list(csv.DictReader(handle))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    channels = [name for name in (table[0] if table else {}) if "." not in name and name != "id"]
    eligible = {name: sum(row[name] == "1" for row in table) for name in channels}
    print(f"{args.persons:,} persons ({args.format}) checked in {args.city} {args.date} under {args.scenario}")
    print(f"  wall {wall:.2f} s, CPU {cpu:.2f} s (user + system of the command)")
    print(f"  load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    print(f"  rows {len(table):,}; eligible by channel: {eligible}")
    figures = {
        "persons": args.persons,
        "format": args.format,
        "scenario": args.scenario,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "load_average_before": round(load_before[0], 2),
        "load_average_after": round(load_after[0], 2),
        "rows": len(table),
        "eligible": eligible,
        "python": platform.python_version(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

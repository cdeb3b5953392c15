"""The scenarios the dashboard offers: presets from ``scenarios/`` and uploaded files, by reference.

A *reference* is what the session state and the URL keep: a preset's id (``ningbo-2018-baseline``)
or ``upload:<hash>`` for a file uploaded to this server. References resolve to a path that
:func:`sim.scenario.load_scenario` reads; models are loaded on demand and never kept in the
session state.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import SimError
from sim.scenario import Scenario, load_scenario
from sim.scenario.loader import SCENARIO_DIR, LibraryParents

ROOT = Path(__file__).resolve().parents[1]
UPLOAD_PREFIX = "upload:"
UPLOADS_KEY = "hukou_uploads"
"""Session-state key of the references uploaded in this session."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def data_dir() -> Path:
    """Where the dashboard keeps uploads and caches (``HUKOU_DASHBOARD_DIR``, default ``out/dashboard``)."""
    return Path(os.environ.get("HUKOU_DASHBOARD_DIR", ROOT / "out" / "dashboard"))


@dataclass(frozen=True)
class Preset:
    """A preset scenario: its id, file and titles."""

    id: str
    path: Path
    title_zh: str
    title_en: str
    group: str

    def title(self, lang: str) -> str:
        """The title in ``lang``."""
        return self.title_zh if lang == "zh" else self.title_en


@functools.cache
def presets() -> dict[str, Preset]:
    """Every preset that loads, by id, in file order (``scenarios/<group>/<id>.yaml``)."""
    found: dict[str, Preset] = {}
    for path in sorted(SCENARIO_DIR.rglob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except SimError:
            continue  # a broken preset is reported by the preset tests, not offered here
        group = path.parent.name
        found[scenario.id] = Preset(scenario.id, path, scenario.title.zh, scenario.title.en, group)
    return found


@functools.cache
def comparable() -> tuple[str, ...]:
    """Presets offered for a comparison: every preset but a shared-parameters file.

    A shared-parameters file is one that other presets extend while none of them keeps any of its
    cities: its own cities only let it load on its own (an illustrative city), so there is nothing
    in it to compare.
    """
    found = presets()
    children: dict[str, list[set[str]]] = {}
    for preset in found.values():
        parent = load(preset.id).extends
        if parent:
            children.setdefault(Path(parent).name.removesuffix(".yaml"), []).append(set(load(preset.id).cities))
    shared = {
        preset.id
        for preset in found.values()
        if preset.path.stem in children
        and not any(set(load(preset.id).cities) & kept for kept in children[preset.path.stem])
    }
    return tuple(ref for ref in found if ref not in shared)


def cities_of(ref: str) -> tuple[str, ...]:
    """The city ids of a reference's scenario (empty if it does not load)."""
    try:
        return tuple(load(ref).cities)
    except (SimError, KeyError):
        return ()


def is_upload(ref: str) -> bool:
    """Whether ``ref`` names an uploaded file."""
    return ref.startswith(UPLOAD_PREFIX)


def save_upload(name: str, content: bytes) -> tuple[str, Path]:
    """Keep an uploaded scenario file on the server; return its reference and path.

    The file keeps its own name inside a folder named by its content hash, so that error
    messages name the file as the user knows it, and the same content uploaded twice is one file.
    """
    digest = hashlib.sha256(content).hexdigest()[:16]
    safe = _SAFE_NAME.sub("_", Path(name).name) or "scenario.yaml"
    if not safe.endswith((".yaml", ".yml")):
        safe += ".yaml"
    folder = data_dir() / "uploads" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    if not path.exists():
        path.write_bytes(content)
    return f"{UPLOAD_PREFIX}{digest}", path


def path_of(ref: str) -> Path:
    """The file of a reference.

    Raises
    ------
    KeyError
        If the reference names no preset and no uploaded file on this server.
    """
    if is_upload(ref):
        digest = ref.removeprefix(UPLOAD_PREFIX)
        folder = data_dir() / "uploads" / digest
        files = sorted(folder.glob("*.y*ml")) if re.fullmatch(r"[0-9a-f]{16}", digest) else []
        if not files:
            raise KeyError(ref)
        return files[0]
    if ref not in presets():
        raise KeyError(ref)
    return presets()[ref].path


def exists(ref: str) -> bool:
    """Whether a reference resolves."""
    try:
        path_of(ref)
    except KeyError:
        return False
    return True


def upload_name(ref: str) -> str:
    """The file name of an uploaded reference."""
    return path_of(ref).name


def load(ref: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load the scenario of a reference with overrides (raises :class:`~sim.errors.ScenarioError`).

    An uploaded file's ``extends`` may name only a preset or a file uploaded in this session
    (:class:`~sim.scenario.loader.LibraryParents`): no other file of the server is read.
    """
    uploads = session_uploads() if is_upload(ref) else ()
    return _load_cached(ref, _freeze(overrides or {}), uploads)


def session_uploads() -> tuple[str, ...]:
    """References of the files uploaded in this session (none outside a running page)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return ()
    import streamlit as st

    return tuple(st.session_state.get(UPLOADS_KEY, ()))


def _freeze(value: Any) -> Any:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@functools.lru_cache(maxsize=64)
def _load_cached(ref: str, overrides_json: str, uploads: tuple[str, ...]) -> Scenario:
    import json

    overrides = json.loads(overrides_json)
    parents = None
    if is_upload(ref):
        parents = LibraryParents({path_of(u).name: path_of(u) for u in uploads if u != ref and exists(u)})
    return load_scenario(path_of(ref), overrides or None, parents=parents)


def validation_message(error: SimError, path: Path, shown_name: str | None = None) -> str:
    """The text ``python -m sim validate FILE`` prints for an invalid file, naming it as the user does."""
    text = f"{shown_name or path.name}: INVALID\n{error}"
    return text.replace(f"{path.parent}{os.sep}", "")


def title(ref: str, lang: str) -> str:
    """A reference's title in ``lang`` (an uploaded file: its own title, else its name)."""
    if not is_upload(ref) and ref in presets():
        return presets()[ref].title(lang)
    try:
        scenario = load(ref)
    except (SimError, KeyError):
        return ref
    return scenario.title.zh if lang == "zh" else scenario.title.en

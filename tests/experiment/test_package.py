"""``sim.experiment`` loads its modules on first use and keeps its public names what they were."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pytest

import sim.experiment as experiment
from sim.experiment import backends, compare, runner, sweep


def test_every_public_name_resolves_to_its_module_attribute():
    for name in experiment.__all__:
        value = getattr(experiment, name)
        assert not isinstance(value, types.ModuleType), name
    assert experiment.run is runner.run
    assert experiment.BACKENDS is backends.BACKENDS
    assert compare.__module__ == "sim.experiment.compare" and sweep.__module__ == "sim.experiment.sweep"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'comparison'"):
        _ = experiment.comparison


def test_functions_named_like_their_modules_survive_the_modules_loading_first():
    code = textwrap.dedent(
        """
        import sys
        import sim.experiment.cli
        assert "pandas" not in sys.modules, "importing the experiment commands loaded pandas"
        import sim.experiment.compare, sim.experiment.sweep
        from sim.experiment import compare, sweep
        assert callable(compare) and callable(sweep), (compare, sweep)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr

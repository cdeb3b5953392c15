"""Build of the compiled loops of the month (``sim/_loops.pyx``); everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize([Extension("sim._loops", ["sim/_loops.pyx"], extra_compile_args=["-O3"])]))

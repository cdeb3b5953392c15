"""Execution backends behind one interface: in-process, a local process pool, Dask distributed.

A backend is a context manager with :meth:`Backend.map_unordered`, which applies a picklable
function to items and yields ``(index, value, error)`` as each finishes, in whatever order they
finish. The runner puts results back in spec order, so the tables do not depend on the backend.

``serial``
    In this process, one run after another (debugging, tiny runs, profiling).
``process`` (default)
    A :class:`~concurrent.futures.ProcessPoolExecutor` of ``os.cpu_count()`` workers, started
    with ``spawn`` (safe whatever threads the parent runs; workers import the package afresh).
``dask``
    A Dask distributed client: ``address="local"`` starts a :class:`~distributed.LocalCluster`
    (processes, one thread each) and closes it at the end; ``"tcp://host:port"`` connects to a
    running scheduler, whose workers must have this package installed (scenario files are not
    needed: the validated scenario travels with each task).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol

from sim.experiment.errors import ExperimentError

BACKENDS = ("serial", "process", "dask")


class Backend(Protocol):
    """What the runner needs of an execution backend."""

    name: str

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Apply ``fn`` to every item; yield ``(index, value, error)`` as each finishes."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and settings, for the manifest."""
        ...


class SerialBackend:
    """Run everything in this process, in order."""

    name = "serial"

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Apply ``fn`` to each item in turn."""
        for index, item in enumerate(items):
            try:
                value = fn(item)
            except Exception as err:  # reported to the runner as this item's failure
                yield index, None, err
            else:
                yield index, value, None

    def describe(self) -> dict[str, Any]:
        """Name and settings, for the manifest."""
        return {"name": self.name, "workers": 1}


def as_finished(pending: dict[Future, int]) -> Iterator[tuple[int, Any, BaseException | None]]:
    """Yield ``(index, value, error)`` for each future as it finishes; cancel the rest if stopped early."""
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    value = future.result()
                except Exception as err:  # e.g. a worker killed: this item fails, the others go on
                    yield index, None, err
                else:
                    yield index, value, None
    finally:
        for future in pending:
            future.cancel()


class ProcessPoolBackend:
    """A pool of local worker processes.

    Parameters
    ----------
    workers : int, optional
        Worker processes; ``os.cpu_count()`` by default.
    start_method : str
        ``spawn`` (default), ``forkserver`` or ``fork``.
    """

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str = "spawn") -> None:
        self.workers = workers or os.cpu_count() or 1
        self.start_method = start_method
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessPoolBackend:
        context = multiprocessing.get_context(self.start_method)
        self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            # On an interruption, runs not yet started are dropped rather than waited for.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Submit every item; yield each as it finishes."""
        if self._executor is None:
            raise ExperimentError("the process pool backend is used outside its 'with' block.")
        with _thread_limits(max(1, (os.cpu_count() or 1) // self.workers)):
            # Workers start during the first submissions and take the limits from this environment.
            pending = {self._executor.submit(fn, item): index for index, item in enumerate(items)}
        yield from as_finished(pending)

    def describe(self) -> dict[str, Any]:
        """Name and settings, for the manifest."""
        return {"name": self.name, "workers": self.workers, "start_method": self.start_method}


class DaskBackend:
    """Dask distributed: a LocalCluster started here, or an existing scheduler.

    Parameters
    ----------
    address : str
        ``"local"`` to start a :class:`~distributed.LocalCluster` (closed on exit), or a scheduler
        address such as ``"tcp://10.0.0.5:8786"``.
    workers : int, optional
        Worker processes of a local cluster; ``os.cpu_count()`` by default.
    **cluster_options
        Passed to :class:`~distributed.LocalCluster` (e.g. ``dashboard_address=":8787"``).
    """

    name = "dask"

    def __init__(self, address: str = "local", workers: int | None = None, **cluster_options: Any) -> None:
        self.address = address
        self.workers = workers or os.cpu_count() or 1
        self.cluster_options = {"dashboard_address": None, **cluster_options}
        self._stack: ExitStack | None = None
        self.client: Any = None

    def __enter__(self) -> DaskBackend:
        import dask
        from distributed import Client, LocalCluster

        stack = ExitStack()
        try:
            if self.address == "local":
                # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which fixes glibc's mmap threshold: every
                # large numpy array is then mapped and unmapped afresh, and a 100,000-agent run took 4.3 s
                # instead of 2.6 s (measured). Runs hold no data between tasks, so the default is kept.
                stack.enter_context(
                    dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
                )
                cluster = stack.enter_context(
                    LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, **self.cluster_options)
                )
                self.client = stack.enter_context(Client(cluster))
            else:
                self.client = stack.enter_context(Client(self.address))
        except OSError as err:
            stack.close()
            raise ExperimentError(
                f"cannot reach the Dask scheduler at {self.address}: {err}. Hint: start one with "
                "'dask scheduler' and workers with 'dask worker ADDRESS', or use --dask local."
            ) from err
        # Exit closes the client before the cluster it talks to (ExitStack unwinds last-in first).
        self._stack = stack
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
            self.client = None

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Submit every item to the cluster; yield each as it finishes."""
        from distributed import as_completed

        if self.client is None:
            raise ExperimentError("the Dask backend is used outside its 'with' block.")
        futures = self.client.map(fn, list(items), pure=False)
        index_of = {future.key: index for index, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                index = index_of[future.key]
                try:
                    value = future.result()
                except Exception as err:  # e.g. a worker lost: this item fails, the others go on
                    yield index, None, err
                else:
                    yield index, value, None
                finally:
                    future.release()
        finally:
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                self.client.cancel(unfinished)

    def describe(self) -> dict[str, Any]:
        """Name, address and workers, for the manifest."""
        info: dict[str, Any] = {"name": self.name, "address": self.address}
        if self.client is not None:
            info["scheduler"] = self.client.scheduler.address
            info["workers"] = len(self.client.scheduler_info().get("workers", {}))
        else:
            info["workers"] = self.workers
        return info


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@contextmanager
def _thread_limits(threads: int) -> Iterator[None]:
    """Limit the native thread pools of processes started inside this block (as Dask does for its workers).

    Without it each worker's numerical libraries start one thread per CPU, and with one worker per CPU
    the pool ran 100,000-agent runs at 5.5 s each instead of 3.0 s (measured on 2 CPUs). Variables
    the user set are kept.
    """
    added = [name for name in THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = str(threads)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def make_backend(backend: str | Backend | None = "process", *, workers: int | None = None, dask: str | None = None):
    """Return a backend from its name (or pass a backend through).

    Parameters
    ----------
    backend : {"serial", "process", "dask"} or Backend
        The backend; ``"process"`` by default.
    workers : int, optional
        Worker processes for ``process`` and a local Dask cluster.
    dask : str, optional
        ``"local"`` or a scheduler address; implies the ``dask`` backend.
    """
    if backend is not None and not isinstance(backend, str):
        return backend
    name = "dask" if dask else (backend or "process")
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessPoolBackend(workers)
    if name == "dask":
        return DaskBackend(dask or "local", workers)
    raise ExperimentError(f"unknown backend '{name}'; expected one of {', '.join(BACKENDS)}.")

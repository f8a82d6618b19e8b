"""Run a table of parameter rows over an executor: in-process, a process pool or dask.

Rows are independent, so a table is cut into chunks of rows, each chunk is one task
``run(spec, chunk, threads=1)`` on a worker, and the chunks' outcomes are put
back together in row order. The engine's results do not depend on which rows share a
chunk (bit for bit), so the numbers are the same whatever the executor, the number of
workers or the chunk size.

Executors
---------
``None``
    In-process: :func:`cea.engine.run` with its threads (today's behaviour).
:class:`concurrent.futures.Executor`
    E.g. ``ProcessPoolExecutor`` (see :func:`process_pool`): one task per chunk.
``distributed.Client``
    A dask cluster: the model is scattered to the workers once per table, then one task
    per chunk (``client.submit``). Needs ``pip install cea[distributed]``.

What is shipped. The model (:class:`cea.model.spec.ModelSpec`) is pickled once per table (about
130 KB for WalkBack; expressions travel as their text and are re-parsed) and unpickled once
per worker process, where it is cached with its compiled plan; each task then carries only
its chunk's parameter matrix and gets back the chunk's outcome values.

There is no scheduler here: the pool or the dask scheduler decides where chunks run.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import multiprocessing
import os
import pickle
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import as_completed as futures_as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from cea.engine import allocator
from cea.engine.outcomes import Outcomes
from cea.engine.plan import compile_plan
from cea.engine.run import CHUNK_BYTES, parameter_matrix, run
from cea.model.errors import ModelError
from cea.model.spec import ModelSpec

__all__ = ["MissingExtra", "PendingTable", "dask_client", "is_dask", "open_executor",
           "pack_spec", "process_pool", "run_table", "submit", "submit_table", "unpack_spec"]

#: Engine chunks per task by default: fewer, larger tasks pay the per-task overhead less
#: (dask's above all); a chunk of WalkBack is about 1,000 rows.
TASK_CHUNKS = 4
#: Specs kept unpickled per worker process (each with its compiled plan).
WORKER_CACHE = 4


# --- shipping the model ----------------------------------------------------------------------

def _mappingproxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


class _SpecPickler(pickle.Pickler):
    """A pickler that also takes the read-only mappings (``MappingProxyType``) of a spec."""

    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[MappingProxyType] = lambda m: (_mappingproxy, (dict(m),))


_PACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PACK_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Packed:
    """A pickled spec and its digest (the key of the workers' cache)."""

    digest: str
    data: bytes


def pack_spec(spec: ModelSpec) -> _Packed:
    """The spec as bytes (cached per spec object in this process)."""
    with _PACK_LOCK:
        packed = _PACKED.get(spec)
        if packed is None:
            buffer = io.BytesIO()
            _SpecPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(spec)
            data = buffer.getvalue()
            packed = _Packed(hashlib.sha256(data).hexdigest(), data)
            _PACKED[spec] = packed
        return packed


_SPECS: OrderedDict[str, ModelSpec] = OrderedDict()
_SPECS_LOCK = threading.Lock()


def unpack_spec(packed: _Packed) -> ModelSpec:
    """The spec of ``packed``, unpickled once per worker process."""
    with _SPECS_LOCK:
        spec = _SPECS.get(packed.digest)
        if spec is None:
            spec = pickle.loads(packed.data)
            _SPECS[packed.digest] = spec
            while len(_SPECS) > WORKER_CACHE:
                _SPECS.popitem(last=False)
        else:
            _SPECS.move_to_end(packed.digest)
        return spec


def _chunk_task(packed: _Packed, columns: tuple[str, ...], rows: np.ndarray,
                start: int) -> np.ndarray:
    """Run on a worker: one chunk of rows, one thread; returns values (rows, S, M).

    A :class:`ModelError` names the row in the whole table (``start`` + row in chunk).
    """
    spec = unpack_spec(packed)
    try:
        out = run(spec, pd.DataFrame(rows, columns=list(columns)), threads=1)
    except ModelError as e:
        raise e.at(offset=start) from None
    return out.values


# --- executors -------------------------------------------------------------------------------

class MissingExtra(ImportError, ValueError):
    """An optional dependency is not installed (a ValueError too: the CLI reports it)."""


def is_dask(executor) -> bool:
    """True if ``executor`` is a ``distributed.Client``."""
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(
        executor, "scatter")


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, started with forkserver (spawn off Linux).

    Neither copies the parent's threads (the engine's thread pool, numba's) into a child.
    Each worker calls :func:`cea.engine.allocator.tune` (these processes are ours).
    """
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(max_workers=workers, initializer=allocator.tune,
                               mp_context=multiprocessing.get_context(method))


def dask_client(scheduler: str, workers: int | None = None):
    """A ``distributed.Client`` of ``scheduler``: an address such as ``tcp://host:8786``,
    or ``"local"`` for a ``LocalCluster`` on loopback (127.0.0.1) with ``workers``
    single-threaded worker processes (default: the machine's cores)."""
    try:  # dask is an optional extra, imported only when a cluster is asked for
        from dask.distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise MissingExtra("a dask scheduler needs dask.distributed: "
                           "pip install 'cea[distributed]'") from e
    if scheduler == "local":
        import dask

        # the workers' glibc allocator as allocator.tune sets it (dask's default trims at
        # 64 KiB: every engine temporary is then paid again in page faults)
        environ = {"MALLOC_MMAP_THRESHOLD_": allocator.THRESHOLD,
                   "MALLOC_TRIM_THRESHOLD_": 2 * allocator.THRESHOLD}
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v
                              for k, v in environ.items()}):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0")
        client = Client(cluster)
        client._cea_cluster = cluster  # closed with the client by open_executor
        return client
    return Client(scheduler)


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """The executor asked for on the command line, closed at the end.

    ``scheduler`` (an address or ``"local"``) gives a dask client; else ``workers`` > 0 a
    process pool; else None (in-process).
    """
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1; got {workers}")
    if scheduler:
        client = dask_client(scheduler, workers)
        try:
            yield client
        finally:
            client.close()
            cluster = getattr(client, "_cea_cluster", None)
            if cluster is not None:
                cluster.close()
    elif workers:
        pool = process_pool(workers)
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
    else:
        yield None


# --- running a table -------------------------------------------------------------------------

class PendingTable:
    """A table submitted to an executor; :meth:`result` waits and returns the Outcomes."""

    def __init__(self, spec: ModelSpec, futures: list, starts: list[int], n_rows: int,
                 executor, progress: Callable[[int, int], None] | None):
        self.spec, self.futures, self.starts = spec, futures, starts
        self.n_rows, self.executor, self.progress = n_rows, executor, progress

    def _completed(self) -> Iterator:
        if is_dask(self.executor):  # the optional extra is loaded already
            from distributed import as_completed

            return as_completed(self.futures)
        return futures_as_completed(self.futures)

    def result(self) -> Outcomes:
        plan = compile_plan(self.spec)
        index = {id(f): i for i, f in enumerate(self.futures)}
        bounds = self.starts + [self.n_rows]
        values = np.empty((self.n_rows, len(plan.strategies), len(plan.measures)))
        done, failed = 0, None
        for future in self._completed():
            i = index[id(future)]
            if _failed(future):
                failed = i
                break
            values[bounds[i]:bounds[i + 1]] = future.result()
            done += bounds[i + 1] - bounds[i]
            if self.progress is not None:
                self.progress(done, self.n_rows)
        if failed is not None:  # as the engine: the first failing chunk in row order raises
            for future in self.futures[failed + 1:]:
                future.cancel()
            for future in self.futures[:failed + 1]:
                if _failed(future, wait=True):
                    future.result()  # raises the worker's error
        return Outcomes(plan.strategies, plan.measures, values, self.spec.state_names)


def _failed(future, wait: bool = False) -> bool:
    if isinstance(future, Future):
        if wait:
            future.exception()
        return future.exception(timeout=0) is not None if future.done() else False
    if wait:  # a dask future: the optional extra is loaded already
        from distributed import wait as dask_wait

        dask_wait([future])
    return future.status == "error"


def _scattered(client, packed: _Packed):
    """The spec's future on the cluster: scattered to every worker once per client."""
    shipped = getattr(client, "_cea_specs", None)
    if shipped is None:
        shipped = client._cea_specs = OrderedDict()
    future = shipped.get(packed.digest)
    if future is None or future.status != "finished":
        future = shipped[packed.digest] = client.scatter(packed, broadcast=True, hash=False)
        while len(shipped) > WORKER_CACHE:
            shipped.popitem(last=False)
    return future


def submit(executor, task: Callable, spec: ModelSpec, arguments: list[tuple]) -> list:
    """Submit ``task(packed_spec, *args)`` for each tuple of ``arguments``; the futures.

    The spec is pickled once (:func:`pack_spec`) and, on a dask cluster, scattered to the
    workers once; a task unpacks it with :func:`unpack_spec` (cached per worker).
    """
    packed = pack_spec(spec)
    if is_dask(executor):
        shipped = _scattered(executor, packed)
        return [executor.submit(task, shipped, *args, pure=False) for args in arguments]
    return [executor.submit(task, packed, *args) for args in arguments]


def submit_table(spec: ModelSpec, table: pd.DataFrame | None, *, executor,
                 chunk_size: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> PendingTable:
    """Submit every chunk of ``table`` to ``executor`` (not None); returns at once."""
    plan = compile_plan(spec)
    params = parameter_matrix(spec, table)  # checks the columns and finiteness
    n_rows = len(params)
    size = chunk_size or TASK_CHUNKS * plan.default_chunk_size(CHUNK_BYTES)
    columns = tuple(spec.free_parameters)
    starts = list(range(0, n_rows, size))
    chunks = [params[s:s + size] for s in starts]
    futures = submit(executor, _chunk_task, spec,
                     [(columns, rows, start) for rows, start in zip(chunks, starts)])
    return PendingTable(spec, futures, starts, n_rows, executor, progress)


def run_table(spec: ModelSpec, table: pd.DataFrame | None = None, *, executor=None,
              chunk_size: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> Outcomes:
    """Run the model for every row of ``table`` on ``executor``; outcomes in row order.

    Parameters
    ----------
    spec : ModelSpec
    table : DataFrame, optional
        One column per free parameter (the base case when omitted), as :func:`engine.run`.
    executor : None, concurrent.futures.Executor or distributed.Client
        None runs in this process (:func:`cea.engine.run`, threads); otherwise one task per
        chunk, ``run(spec, chunk, threads=1)`` on a worker.
    chunk_size : int, optional
        Rows per task; by default :data:`TASK_CHUNKS` times the engine's chunk size for
        this model (``compile_plan(spec).default_chunk_size(engine.CHUNK_BYTES)``; the
        worker's engine cuts a task into chunks of that size). Results do not depend on it.
    progress : callable(done_rows, total_rows), optional
        Called as chunks complete, in whatever order the workers finish them.

    Returns
    -------
    Outcomes
        The same numbers, bit for bit, whatever the executor and chunk size.
    """
    if executor is None:
        return run(spec, table, chunk_size=chunk_size, progress=progress)
    return submit_table(spec, table, executor=executor, chunk_size=chunk_size,
                        progress=progress).result()

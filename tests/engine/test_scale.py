"""Executors (cea.engine.executors): the same numbers, bit for bit, in process, in a process pool
and on a dask cluster, whatever the chunking; wired into the PSA, Sobol and the CLI."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from cea import engine
from cea.analyses import gsa
from cea.analyses.draws import DrawSampler
from cea.analyses.psa import run_psa
from cea.cli import main
from cea.engine import ModelError, executors
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"

try:
    import distributed  # noqa: F401

    HAVE_DASK = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_DASK = False
needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="dask.distributed is not installed "
                                "(pip install 'cea[distributed]'); dask executor not tested")


@pytest.fixture(scope="module")
def spec():
    return load_workbook(WALKBACK)


@pytest.fixture(scope="module")
def table(spec):
    return DrawSampler(spec, 7, 3000).table(0, 3)


@pytest.fixture(scope="module")
def pool():
    with executors.open_executor(workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster on loopback with 2 single-threaded worker processes."""
    if not HAVE_DASK:
        pytest.skip("dask.distributed is not installed (pip install 'cea[distributed]')")
    with executors.open_executor(workers=2, scheduler="local") as client:
        yield client


def _psa_arrays(result) -> list[np.ndarray]:
    return [result.qaly, result.ly, result.parameters.to_numpy(),
            *(result.costs[p] for p in sorted(result.costs))]


def _same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_spec_ships_whole(spec, table):
    shipped = pickle.loads(executors.pack_spec(spec).data)
    assert shipped.free_parameters == spec.free_parameters
    assert np.array_equal(engine.run(shipped, table).values, engine.run(spec, table).values)
    assert executors.pack_spec(spec) is executors.pack_spec(spec)  # pickled once per spec


def test_in_process_is_the_engine(spec, table):
    assert np.array_equal(executors.run_table(spec, table).values,
                          engine.run(spec, table).values)


@pytest.mark.parametrize("chunk_size", [None, 1, 7, 1000, 5000])
def test_process_pool_is_bit_identical_whatever_the_chunks(spec, table, pool, chunk_size):
    reference = engine.run(spec, table)
    rows = table if chunk_size != 1 else table.iloc[:20]
    out = executors.run_table(spec, rows, executor=pool, chunk_size=chunk_size)
    assert out.strategies == reference.strategies and out.measures == reference.measures
    assert np.array_equal(out.values, reference.values[:len(rows)])


def test_progress_counts_every_row_once(spec, table, pool):
    calls = []
    executors.run_table(spec, table, executor=pool, chunk_size=700,
                        progress=lambda done, total: calls.append((done, total)))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (len(table), len(table)) and len(calls) == 5


def test_psa_process_pool_bit_identical(spec, pool):
    reference = run_psa(spec, n_draws=20_000, seed=11)
    seen = []
    pooled = run_psa(spec, n_draws=20_000, seed=11, executor=pool, chunk_size=3000,
                     progress=lambda done, total: seen.append((done, total)))
    assert _same(_psa_arrays(reference), _psa_arrays(pooled))
    assert seen[-1] == (20_000, 20_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_sobol_process_pool_bit_identical(spec, pool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        reference = gsa.sobol(spec, n=64, seed=3)
        pooled = gsa.sobol(spec, n=64, seed=3, executor=pool, chunk_size=100)
    assert reference.to_frame().equals(pooled.to_frame())


def test_model_error_names_the_row_of_the_whole_table(make_workbook, pool):
    spec = load_workbook(make_workbook(two_state_sheets()))
    rows = spec.base_table().iloc[[0] * 30].reset_index(drop=True)
    rows.loc[17, "p_die"] = 1.5
    with pytest.raises(ModelError, match="parameter row 17") as in_process:
        engine.run(spec, rows)
    with pytest.raises(ModelError, match="parameter row 17") as pooled:
        executors.run_table(spec, rows, executor=pool, chunk_size=4)
    assert str(pooled.value) == str(in_process.value)


def test_open_executor_kinds():
    with executors.open_executor() as none:
        assert none is None
    with pytest.raises(ValueError, match="at least 1"):
        with executors.open_executor(workers=0):
            pass


@needs_dask
def test_dask_local_cluster_bit_identical(spec, table, dask_client):
    """LocalCluster on 127.0.0.1, 2 worker processes (processes=True), 1 thread each."""
    assert executors.is_dask(dask_client)
    assert len(dask_client.scheduler_info()["workers"]) == 2
    assert all("127.0.0.1" in address for address in dask_client.scheduler_info()["workers"])
    reference = engine.run(spec, table)
    for chunk_size in (None, 333):
        out = executors.run_table(spec, table, executor=dask_client, chunk_size=chunk_size)
        assert np.array_equal(out.values, reference.values)


@needs_dask
def test_dask_psa_and_sobol_bit_identical(spec, dask_client):
    reference = run_psa(spec, n_draws=5000, seed=5)
    distributed_ = run_psa(spec, n_draws=5000, seed=5, executor=dask_client)
    assert _same(_psa_arrays(reference), _psa_arrays(distributed_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        ref = gsa.sobol(spec, n=32, seed=3)
        out = gsa.sobol(spec, n=32, seed=3, executor=dask_client, chunk_size=50)
    assert ref.to_frame().equals(out.to_frame())


@needs_dask
def test_dask_model_error(make_workbook, dask_client):
    spec = load_workbook(make_workbook(two_state_sheets()))
    rows = spec.base_table().iloc[[0] * 12].reset_index(drop=True)
    rows.loc[9, "p_die"] = -0.5
    with pytest.raises(ModelError, match="parameter row 9"):
        executors.run_table(spec, rows, executor=dask_client, chunk_size=5)


def test_cli_psa_with_workers_matches_in_process(tmp_path, capsys):
    # 2,100 draws: three blocks of 1,024, the last one partial, split across two workers
    assert main(["psa", str(WALKBACK), "--draws", "2100", "--seed", "4", "--out",
                 str(tmp_path / "a")]) == 0
    first = capsys.readouterr().out
    assert main(["psa", str(WALKBACK), "--draws", "2100", "--seed", "4", "--workers", "2",
                 "--out", str(tmp_path / "b")]) == 0
    second = capsys.readouterr().out
    # The results printed before the files are written must agree; the phase
    # messages after them name each run's own output folder.
    assert first.split("\nWriting the results")[0] == second.split("\nWriting the results")[0]
    assert "icer" in first.split("\nWriting the results")[0]


@needs_dask
@pytest.mark.filterwarnings("ignore::cea.analyses.gsa.GSAWarning")
def test_cli_gsa_with_local_scheduler(tmp_path, capsys):
    assert main(["gsa", str(WALKBACK), "--n", "16", "--scheduler", "local", "--workers", "2",
                 "--out", str(tmp_path)]) == 0
    assert "Sobol indices, N = 16" in capsys.readouterr().out


def test_cli_rejects_zero_workers(tmp_path, capsys):
    assert main(["psa", str(WALKBACK), "--draws", "10", "--workers", "0",
                 "--out", str(tmp_path)]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err

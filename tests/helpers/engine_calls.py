"""Count the engine calls an analysis makes (each analysis should make one)."""

from __future__ import annotations

from cea.engine import executors


def count_engine_calls(monkeypatch) -> list[int]:
    """Wrap the engine run that every analysis reaches (through
    :func:`cea.engine.executors.run_table`) and record the rows of each call."""
    calls: list[int] = []
    real = executors.run

    def counting(spec, table=None, **kwargs):
        calls.append(1 if table is None else len(table))
        return real(spec, table, **kwargs)

    monkeypatch.setattr(executors, "run", counting)
    return calls

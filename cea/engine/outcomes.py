"""What one engine run gives: per row, strategy and measure, the totals (and the trace)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a frame is made (start-up time)
    import pandas as pd

__all__ = ["Outcomes"]


@dataclass(frozen=True)
class Outcomes:
    """Results of one engine run.

    Attributes
    ----------
    strategies, measures : tuple of str
    values : ndarray of shape (n_rows, n_strategies, n_measures)
        Measures are ``cost_<category>``, ``qaly``, ``ly`` (discounted),
        the same with ``_undiscounted`` appended, and ``outcome_<name>``
        (undiscounted counts such as expected recurrences).
    states : tuple of str
        Declared states (tunnel sub-states summed).
    trace : ndarray of shape (n_rows, n_strategies, n_cycles + 1, n_states) or None
        Cohort occupancy at time points 0..T, when requested.
    periods : ndarray of shape (n_rows, n_strategies, n_period_measures, K) or None
        Every undiscounted measure gathered into the K periods of ``run(periods=W)``.
    period_measures : tuple of str
        Its measures: ``cost_<category>``, ``qaly``, ``ly`` (undiscounted) and
        ``outcome_<name>``.
    """

    strategies: tuple[str, ...]
    measures: tuple[str, ...]
    values: np.ndarray
    states: tuple[str, ...]
    trace: np.ndarray | None = None
    periods: np.ndarray | None = None
    period_measures: tuple[str, ...] = ()

    def __getitem__(self, measure: str) -> np.ndarray:
        """Values of one measure, shape (n_rows, n_strategies)."""
        return self.values[:, :, self.measures.index(measure)]

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    def cost(self, categories: Sequence[str]) -> np.ndarray:
        """Total discounted cost over the given categories, shape (n_rows, n_strategies)."""
        total = np.zeros(self.values.shape[:2])
        for category in categories:
            total += self[f"cost_{category}"]
        return total

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one line per row x strategy, one column per measure."""
        import pandas as pd

        n_rows, n_strategies, _ = self.values.shape
        frame = pd.DataFrame(self.values.reshape(n_rows * n_strategies, -1), columns=self.measures)
        frame.insert(0, "strategy", np.tile(self.strategies, n_rows))
        frame.insert(0, "row", np.repeat(np.arange(n_rows), n_strategies))
        return frame

    def trace_frame(self, row: int = 0) -> pd.DataFrame:
        """The Markov trace of one parameter row: strategy, time_point, one column per state.

        ``time_point`` t = 0..T: the cohort after cycle t (cycles numbered as expressions
        number them, from 1), t = 0 being the cohort at entry."""
        import pandas as pd

        if self.trace is None:
            raise ValueError("run the engine with trace=True to get the trace")
        frames = []
        for j, strategy in enumerate(self.strategies):
            f = pd.DataFrame(self.trace[row, j], columns=self.states)
            f.insert(0, "time_point", np.arange(len(f)))
            f.insert(0, "strategy", strategy)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

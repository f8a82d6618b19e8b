"""CSV tables for R and other tools, written whole or not at all.

PSA draws are written in two layouts (``docs/psa.md`` has the R calls):

* **long** (tidy, one line per draw and strategy), for dplyr/ggplot2 or hesim-style work:
  ``<model>_psa_draws.csv`` with columns ``draw`` (1 to n), ``strategy``,
  ``cost_<perspective>`` for each perspective, ``qaly``, ``ly``;
* **wide** (one line per draw, one column per strategy, in the model's strategy order,
  line i = draw i, no draw column): ``<model>_psa_cost_<perspective>.csv``,
  ``<model>_psa_qaly.csv`` and ``<model>_psa_ly.csv``. These are exactly the ``cost`` and
  ``effectiveness`` data frames of dampack's ``make_psa_obj`` and the ``cost`` and
  ``eff`` matrices (draws x interventions) of BCEA's ``bcea``.

Both layouts share ``<model>_psa_parameters.csv``: one line per draw (line i = draw i),
one column per sampled parameter, no draw column (dampack's ``parameters``, the
``inputs`` of BCEA's and voi's ``evppi``).

Numbers are written with full precision (they read back bit for bit). Text that would
start a spreadsheet formula (``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cea.export.labels import slug
from cea.model.files import safe_text, write_atomically

__all__ = ["write_csv", "write_psa_tables"]


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV without the index, atomically; text made safe."""
    frame = frame.rename(columns=lambda c: safe_text(str(c)))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: safe_text(v) if isinstance(v, str)
                                              else v)
    return write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False,
                                                           float_format="%.17g"))


def write_psa_tables(out_dir: str | Path, model_name: str, *, strategies: Sequence[str],
                     costs: Mapping[str, np.ndarray], effects: Mapping[str, np.ndarray],
                     parameters: pd.DataFrame) -> list[Path]:
    """Write the PSA draws in the long and the wide layout.

    Parameters
    ----------
    out_dir : path
    model_name : str
        Prefix of the file names.
    strategies : sequence of str
    costs : Mapping[str, ndarray of shape (n_draws, n_strategies)]
        Cost per perspective.
    effects : Mapping[str, ndarray of shape (n_draws, n_strategies)]
        E.g. ``{"qaly": ..., "ly": ...}``.
    parameters : DataFrame of shape (n_draws, n_parameters)

    Returns
    -------
    list of Path
        The long file, the parameters file, then the wide files.
    """
    out_dir, strategies = Path(out_dir), list(strategies)
    n_draws = len(parameters)
    long = pd.DataFrame({"draw": np.repeat(np.arange(1, n_draws + 1), len(strategies)),
                         "strategy": np.tile(np.array(strategies, dtype=object), n_draws)})
    for perspective, values in costs.items():
        long[f"cost_{slug(perspective)}"] = np.asarray(values).reshape(-1)
    for name, values in effects.items():
        long[name] = np.asarray(values).reshape(-1)
    paths = [write_csv(long, out_dir / f"{model_name}_psa_draws.csv"),
             write_csv(parameters, out_dir / f"{model_name}_psa_parameters.csv")]
    wide = {f"cost_{slug(p)}": v for p, v in costs.items()} | dict(effects)
    for name, values in wide.items():
        frame = pd.DataFrame(np.asarray(values), columns=strategies)
        paths.append(write_csv(frame, out_dir / f"{model_name}_psa_{name}.csv"))
    return paths

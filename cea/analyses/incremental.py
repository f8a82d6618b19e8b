"""Incremental analysis: dominance, the cost-effectiveness frontier, ICERs and net benefit.

All functions take one cost and one effect per strategy (e.g. discounted costs and QALYs).
Values that agree to within a relative tolerance of 1e-9 (``np.isclose`` with ``rtol=1e-9``,
``atol=1e-12``) are treated as equal, so that floating-point noise from a model run does not
create spurious frontier points or verdicts.

References
----------
.. [1] Drummond MF, Sculpher MJ, Claxton K, Stoddart GL, Torrance GW. *Methods for the
   Economic Evaluation of Health Care Programmes*, 4th ed. Oxford University Press; 2015.
.. [2] Cantor SB. Cost-effectiveness analysis, extended dominance, and ethics: a quantitative
   assessment. *Med Decis Making*. 1994;14(3):259-265.
.. [3] Stinnett AA, Mullahy J. Net health benefits: a new framework for the analysis of
   uncertainty in cost-effectiveness analysis. *Med Decis Making*. 1998;18(2 Suppl):S68-S80.
.. [4] Alarid-Escudero F, Knowlton G, Easterly CA, Enns EA. dampack: Decision-Analytic Modeling
   Package, function ``calculate_icers``. https://github.com/DARTH-git/dampack
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["STATUS", "icer_table", "nmb", "optimal_strategy", "pairwise"]

STATUS = ("non_dominated", "extended_dominated", "dominated")

_RTOL = 1e-9
_ATOL = 1e-12
_ICER_COLUMNS = ["strategy", "cost", "effect", "status", "comparator", "inc_cost", "inc_effect",
                 "icer"]


def _validate(strategies, cost, effect) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Check one finite cost and effect per uniquely named strategy."""
    if isinstance(strategies, str):
        raise ValueError(f"strategies must be a sequence of names; got the string {strategies!r}.")
    names = [str(s) for s in strategies]
    n = len(names)
    if n == 0:
        raise ValueError("at least one strategy is required; got 0 strategies.")
    c = np.asarray(cost, dtype=float)
    e = np.asarray(effect, dtype=float)
    if c.ndim != 1 or e.ndim != 1:
        raise ValueError(f"cost and effect must be 1-D; got shapes {c.shape} and {e.shape}.")
    if c.size != n or e.size != n:
        counts = [(n, "strategy", "strategies"), (c.size, "cost", "costs"),
                  (e.size, "effect", "effects")]
        got = [f"{k} {one if k == 1 else many}" for i, (k, one, many) in enumerate(counts)
               if i == 0 or k != n]
        raise ValueError(f"cost and effect must have one value per strategy; got {', '.join(got)}.")
    if len(set(names)) != n:
        dup = sorted({s for s in names if names.count(s) > 1})
        raise ValueError(f"strategy names must be unique; got duplicates {dup}.")
    for label, arr in (("cost", c), ("effect", e)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            i = bad[0]
            raise ValueError(f"{label} of strategy {names[i]!r} must be finite; got {arr[i]}.")
    return names, c, e


def _snap(x: np.ndarray) -> np.ndarray:
    """Replace each value by the smallest value of its run of near-equal values (sorted)."""
    out = x.copy()
    start = None
    for i in np.argsort(x, kind="stable"):
        if start is None or not np.isclose(x[i], start, rtol=_RTOL, atol=_ATOL):
            start = x[i]
        out[i] = start
    return out


def icer_table(strategies: Sequence[str], cost: ArrayLike, effect: ArrayLike) -> pd.DataFrame:
    """Incremental analysis along the cost-effectiveness frontier.

    Parameters
    ----------
    strategies : sequence of str
        Unique strategy names.
    cost, effect : array_like of shape (n_strategies,)
        Finite expected cost and effect (e.g. QALYs) of each strategy.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy, cost, effect, status, comparator, inc_cost, inc_effect, icer``,
        one row per strategy, sorted by cost ascending (ties: higher effect first, then input
        order). ``status`` is one of :data:`STATUS`. A ``non_dominated`` (frontier) row is
        compared with the previous frontier strategy; the cheapest frontier strategy has
        ``comparator == ""`` and NaN incrementals. A dominated or extended-dominated row
        reports its increments against the last frontier strategy before it in the table
        (for reporting only) and has ``icer`` NaN.

    Raises
    ------
    ValueError
        If there are no strategies, names are not unique, lengths differ or a value is not
        finite.

    Notes
    -----
    The textbook algorithm [1]_, [2]_, as in dampack's ``calculate_icers`` [4]_:

    1. *Strong dominance*: a strategy is ``dominated`` if another one costs no more and is at
       least as effective, with at least one strict inequality. Among exact duplicates (same
       cost and same effect) the first in input order is kept and the later ones are
       ``dominated``.
    2. *Extended dominance*: the remaining strategies are sorted by cost and the ICER of each
       against the previous one is computed. The first strategy whose ICER is greater than
       that of the next strategy is ``extended_dominated``; it is removed and the ICERs are
       recomputed, until none is left. A strategy lying exactly on the line between its
       neighbours (equal ICERs) is *not* extended dominated and stays on the frontier, so
       frontier ICERs are non-decreasing and strictly increasing except at such points.
    3. The survivors form the frontier (``non_dominated``), with strictly increasing cost
       and effect.

    Costs, effects and ICERs within ``rtol=1e-9`` (``atol=1e-12`` for costs and effects) of
    each other are treated as equal in these comparisons; reported values are unchanged.

    Examples
    --------
    >>> t = icer_table(["UC", "A", "B"], [5000, 12000, 10000], [1, 1.5, 2])
    >>> t["strategy"].tolist(), t["status"].tolist()
    (['UC', 'B', 'A'], ['non_dominated', 'non_dominated', 'dominated'])
    >>> t["icer"].tolist()
    [nan, 5000.0, nan]
    """
    names, c, e = _validate(strategies, cost, effect)
    n = len(names)
    cs, es = _snap(c), _snap(e)
    order = np.lexsort((np.arange(n), -es, cs))  # cost asc, effect desc, input order

    status = np.full(n, "non_dominated", dtype=object)
    frontier: list[int] = []
    best = -np.inf
    for i in order:  # every dominator precedes its victim in this order
        if es[i] <= best:
            status[i] = "dominated"
        else:
            frontier.append(int(i))
            best = es[i]

    while len(frontier) > 2:
        icers = np.diff(cs[frontier]) / np.diff(es[frontier])  # icers[k]: frontier[k + 1]
        worse = (icers[:-1] > icers[1:]) & ~np.isclose(icers[:-1], icers[1:], rtol=_RTOL, atol=0)
        if not worse.any():
            break
        k = int(np.argmax(worse)) + 1
        status[frontier[k]] = "extended_dominated"
        del frontier[k]

    rows = []
    prev = None
    for i in order:
        if prev is None:
            comp, dc, de = "", np.nan, np.nan
        else:
            comp, dc, de = names[prev], c[i] - c[prev], e[i] - e[prev]
        on_frontier = status[i] == "non_dominated"
        icer = dc / de if on_frontier and prev is not None else np.nan
        rows.append((names[i], c[i], e[i], status[i], comp, dc, de, icer))
        if on_frontier:
            prev = i
    return pd.DataFrame(rows, columns=_ICER_COLUMNS)


def nmb(cost: ArrayLike, effect: ArrayLike, wtp: float | ArrayLike) -> np.ndarray:
    """Net monetary benefit ``wtp * effect - cost`` [3]_.

    Parameters
    ----------
    cost, effect : array_like of shape (..., n_strategies)
        Costs and effects with the same shape, e.g. ``(n_sim, n_strategies)`` for a PSA.
    wtp : float or array_like of shape (n_wtp,)
        Willingness to pay per unit of effect.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., n_strategies)`` for a scalar ``wtp``, ``(..., n_wtp, n_strategies)``
        for a 1-D ``wtp``.
    """
    c = np.asarray(cost, dtype=float)
    e = np.asarray(effect, dtype=float)
    if c.ndim == 0 or c.shape != e.shape:
        raise ValueError(
            "cost and effect must have the same shape (..., n_strategies); "
            f"got {c.shape} and {e.shape}."
        )
    w = np.asarray(wtp, dtype=float)
    if w.ndim == 0:
        return w * e - c
    if w.ndim != 1:
        raise ValueError(f"wtp must be a scalar or 1-D; got shape {w.shape}.")
    return w[:, None] * e[..., None, :] - c[..., None, :]


def optimal_strategy(cost: ArrayLike, effect: ArrayLike, wtp: float | ArrayLike) -> np.ndarray:
    """Index of the strategy with maximal net monetary benefit at each willingness to pay.

    Parameters
    ----------
    cost, effect, wtp
        As in :func:`nmb`.

    Returns
    -------
    numpy.ndarray of int
        Shape ``(..., n_wtp)`` for a 1-D ``wtp`` (``(...)`` for a scalar). Exact ties go to
        the lowest strategy index (no tolerance is applied here).

    Raises
    ------
    ValueError
        If any net monetary benefit is not finite.
    """
    values = nmb(cost, effect, wtp)
    if not np.isfinite(values).all():
        raise ValueError("net monetary benefit must be finite; got nan or inf in the inputs.")
    return np.argmax(values, axis=-1)


def pairwise(strategies: Sequence[str], cost: ArrayLike, effect: ArrayLike, *,
             reference: str | None = None) -> pd.DataFrame:
    """Compare each strategy with a single reference strategy.

    Parameters
    ----------
    strategies, cost, effect
        As in :func:`icer_table`.
    reference : str, optional
        Name of the reference strategy; default the first strategy.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy, reference, inc_cost, inc_effect, icer, verdict`` in input order.
        ``verdict`` is ``'reference'``; ``'dominant'`` (costs no more and is at least as
        effective, not both equal); ``'dominated'`` (costs no less and is at most as
        effective, not both equal); ``'equivalent'`` (both equal); ``'more costly, more
        effective'`` or ``'less costly, less effective'``. ``icer = inc_cost / inc_effect``
        for the last two verdicts only, NaN otherwise [1]_. Equality uses the module
        tolerance.
    """
    names, c, e = _validate(strategies, cost, effect)
    if reference is not None and reference not in names:
        raise ValueError(f"reference must be one of the strategies; got {reference!r}.")
    r = 0 if reference is None else names.index(reference)

    def sign(x: np.ndarray) -> np.ndarray:
        s = np.sign(x - x[r])
        s[np.isclose(x, x[r], rtol=_RTOL, atol=_ATOL)] = 0
        return s

    dc, de = c - c[r], e - e[r]
    sc, se = sign(c), sign(e)
    verdicts, icers = [], np.full(len(names), np.nan)
    for i in range(len(names)):
        if i == r:
            v = "reference"
        elif sc[i] == 0 and se[i] == 0:
            v = "equivalent"
        elif sc[i] <= 0 and se[i] >= 0:
            v = "dominant"
        elif sc[i] >= 0 and se[i] <= 0:
            v = "dominated"
        else:
            v = "more costly, more effective" if sc[i] > 0 else "less costly, less effective"
            icers[i] = dc[i] / de[i]
        verdicts.append(v)
    return pd.DataFrame({"strategy": names, "reference": names[r], "inc_cost": dc,
                         "inc_effect": de, "icer": icers, "verdict": verdicts})

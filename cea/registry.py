"""The one registry of analyses, read by the command line and the Python API.

Each :class:`Analysis` names an analysis, its function (every one has the shape
``analysis(model, *, options..., seed=None, executor=None, progress=None) -> Result``),
its result type and its options; the presenter of the result is found by type
(:mod:`cea.export.present`). Functions and types are named by import path and loaded on
use, so the command line starts without importing what a command does not need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ANALYSES", "Analysis", "Option", "get"]


@dataclass(frozen=True)
class Option:
    """One option of an analysis: its keyword, and how the command line spells it.

    ``flag`` is ``--name`` for an option or a bare name for a positional argument;
    ``convert`` turns the command-line value into the keyword's value.
    """

    flag: str
    keyword: str
    help: str
    type: Callable | None = None
    default: object = None
    nargs: str | None = None
    choices: tuple | None = None
    switch: bool = False
    convert: Callable | None = None

    @property
    def positional(self) -> bool:
        return not self.flag.startswith("-")


@dataclass(frozen=True)
class Analysis:
    """An analysis: its name (as in ``cea.api``), one-line help, function, result type and
    options."""

    name: str
    help: str
    function: str  # "module:attribute"
    result: str  # "module:attribute"
    options: tuple[Option, ...] = ()
    #: takes --workers / --scheduler (rows on a process pool or a dask cluster)
    distributed: bool = False
    #: takes --seed (the analysis draws random numbers)
    random: bool = False
    #: its command-line command (``cea <command>``); None: it runs inside another command
    command: str | None = None

    def load(self) -> Callable:
        """The analysis function."""
        return _attribute(self.function)

    def result_type(self) -> type:
        return _attribute(self.result)

    def __call__(self, model, **options):
        return self.load()(model, **options)


def _attribute(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _params(values):
    """``--params a b+c``: single parameters, or joint sets written with ``+``."""
    return [v.split("+") if "+" in v else v for v in values] if values else None


_DRAWS = Option("--draws", "n_draws", "number of draws (default: the workbook's psa_draws)",
                type=int)

ANALYSES: tuple[Analysis, ...] = (
    Analysis("base_case", "the base case: every parameter at its base value",
             "cea.analyses.base_case:run_base_case", "cea.analyses.base_case:BaseCase"),
    Analysis("trial_fit", "model predictions against the calibration targets",
             "cea.analyses.calibration:trial_fit", "cea.analyses.calibration:TrialFit"),
    Analysis("scenarios", "the base case of each scenario of the scenarios sheet",
             "cea.analyses.scenarios:run_scenarios", "cea.analyses.scenarios:ScenarioResults"),
    Analysis("steps", "the stepped evaluation: from a published result to the model",
             "cea.analyses.steps:stepped", "cea.analyses.steps:SteppedResult", random=True),
    Analysis("calibrate", "fit parameters to the calibration sheet's targets",
             "cea.analyses.calibration:calibrate", "cea.analyses.calibration:CalibrationResult"),
    Analysis("one_way", "one-way sensitivity analysis with tornado",
             "cea.analyses.one_way:one_way", "cea.analyses.one_way:OneWayResult",
             (Option("--outcome", "outcome", "what the tornado ranks by: inc_nmb (default), "
                     "inc_cost, inc_qaly, icer"),), distributed=True, command="dsa"),
    Analysis("two_way", "two-way sensitivity analysis over a grid",
             "cea.analyses.two_way:two_way", "cea.analyses.two_way:TwoWayResult",
             (Option("parameter1", "parameter1", "first parameter (rows of the grid)"),
              Option("parameter2", "parameter2", "second parameter (columns of the grid)"),
              Option("--points", "points", "grid points per axis (default 11)", type=int,
                     default=11)), distributed=True, command="twoway"),
    Analysis("threshold", "threshold analysis and value-based price",
             "cea.analyses.threshold:threshold", "cea.analyses.threshold:ThresholdResult",
             (Option("parameter", "parameter", "the parameter whose threshold is sought"),
              Option("--wtp", "wtp", "threshold per QALY (default: the workbook's)",
                     type=float)), distributed=True, command="threshold"),
    Analysis("psa", "probabilistic sensitivity analysis: CE plane, CEAC, CEAF, EVPI",
             "cea.analyses.psa:run_psa", "cea.analyses.psa:PSAResult", (_DRAWS,),
             distributed=True, random=True, command="psa"),
    Analysis("evppi", "expected value of partial perfect information",
             "cea.analyses.voi:evppi", "cea.analyses.voi:EVPPIResult",
             (_DRAWS,
              Option("--params", "params", "parameters (a+b for a joint set); default: every "
                     "uncertain one", nargs="*", convert=_params),
              Option("--groups", "groups", "parameter groups (the parameters sheet's group "
                     "column)", nargs="*", convert=lambda v: v or None)),
             distributed=True, random=True, command="evppi"),
    Analysis("budget", "budget impact: the payer's costs year by year, without and with the "
             "new strategy", "cea.analyses.budget:budget_impact",
             "cea.analyses.budget:BudgetResult",
             (Option("--draws", "n_draws", "PSA draws for the interval of each year's net "
                     "budget impact (default: none)", type=int),),
             random=True, command="budget"),
    Analysis("gsa", "global sensitivity analysis (Sobol or Morris) on the decision",
             "cea.analyses.gsa:gsa", "cea.analyses.gsa_results:GSAResult",
             (Option("--method", "method", "sobol (default) or morris",
                     choices=("sobol", "morris"), default="sobol"),
              Option("--n", "n", "Sobol base sample size N, a power of two (default: the "
                     "workbook's sobol_n)", type=int),
              Option("--trajectories", "trajectories", "Morris trajectories (default 20)",
                     type=int, default=20),
              Option("--second-order", "second_order", "also second-order indices",
                     switch=True),
              Option("--groups", "groups", "indices per parameter group (the parameters "
                     "sheet's group column)", switch=True)),
             distributed=True, random=True, command="gsa"),
)

_BY_NAME = {a.name: a for a in ANALYSES}


def get(name: str) -> Analysis:
    """The analysis called ``name``; ValueError listing the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no analysis named {name!r}; analyses: {', '.join(_BY_NAME)}") \
            from None

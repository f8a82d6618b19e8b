"""The ``cea`` command: parse arguments, call the Python API, report.

Every analysis command takes ``[WORKBOOK] [--out DIR]`` (defaults
``inputs/walkback.xlsx`` and ``outputs/``). An invalid workbook prints one line
per problem and exits with status 2, writing nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import cea
from cea import allocator, api
from cea.engine import ModelError
from cea.template import write_template
from cea.workbook import WorkbookError

DEFAULT_WORKBOOK = Path("inputs") / "walkback.xlsx"
DEFAULT_OUT = Path("outputs")
EXIT_INPUT = 2


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Callable[[argparse.Namespace], int]
    takes_model: bool = True
    options: Callable[[argparse.ArgumentParser], None] | None = None


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", default=None, metavar="NAMES",
                   help="also run scenarios of the scenarios sheet: 'all' or names, "
                        "comma-separated")
    p.add_argument("--all", action="store_true",
                   help="also scenarios, one-way, PSA with EVPI and EVPPI, and Sobol indices")


def _dsa_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--outcome", default=None,
                   help="what the tornado ranks by: inc_nmb (default), inc_cost, inc_qaly, icer")


def _twoway_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("parameter1")
    p.add_argument("parameter2")
    p.add_argument("--points", type=int, default=11, help="grid points per axis (default 11)")


def _executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run the model's rows in a pool of N local processes (or N workers of "
                        "--scheduler local); results are the same")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the model's rows on a dask cluster (tcp://host:8786), or 'local' "
                        "for a LocalCluster on this machine; needs cea[distributed]")


def _executor(args: argparse.Namespace):
    """The executor of --workers / --scheduler (a context manager; None in-process)."""
    from cea.executors import open_executor

    return open_executor(getattr(args, "workers", None), getattr(args, "scheduler", None))


def _psa_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--draws", type=int, default=None,
                   help="number of draws (default: the workbook's psa_draws)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the workbook's)")
    _executor_options(p)


def _evppi_options(p: argparse.ArgumentParser) -> None:
    _psa_options(p)
    p.add_argument("--params", nargs="*", default=None,
                   help="parameters (a+b for a joint set); default: every uncertain one")
    p.add_argument("--groups", nargs="*", default=None,
                   help="parameter groups (the parameters sheet's group column)")


def _gsa_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    p.add_argument("--n", type=int, default=1024,
                   help="Sobol base sample size N, a power of two (default 1024)")
    p.add_argument("--trajectories", type=int, default=20, help="Morris trajectories")
    p.add_argument("--second-order", action="store_true", help="also second-order indices")
    p.add_argument("--groups", action="store_true",
                   help="indices per parameter group (the parameters sheet's group column)")
    _executor_options(p)


def _threshold_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("parameter")
    p.add_argument("--wtp", type=float, default=None,
                   help="threshold per QALY (default: the workbook's)")


def _report(model, base, analyses, out: Path) -> int:
    """Write the results workbook (base case + analyses) and the figures; say where."""
    path = api.write_results(base, out, analyses)
    figures = api.write_figures(model, out, analyses, base)
    report = api.write_report(base, out, figures)
    print(f"\nResults written to {path}")
    print(f"Report written to {report[0]} (and .html)")
    print(f"{len(figures)} figures and tables written to {out}/: "
          + ", ".join(Path(f).name for f in figures))
    return 0


def _base(args: argparse.Namespace, *, show: bool = True):
    model = api.load(args.workbook)
    base = api.base_case(model)
    if show:
        print(_header(model))
        for perspective in model.settings.perspectives:
            print(format_icer_table(base, perspective))
    return model, base


def _run(args: argparse.Namespace) -> int:
    from cea.calibration import trial_fit
    from cea.scenarios import run_scenarios

    model, base = _base(args)
    analyses = []
    fit = trial_fit(model)
    if fit is not None:
        analyses.append(fit)
        print("\nTrial fit (model against published figures)")
        print(fit.table[["target", "observed", "predicted", "difference", "fitted"]]
              .to_string(index=False, float_format=_num))
    if args.all:
        args.scenarios = args.scenarios or "all"
    if args.scenarios and model.scenarios:
        scenarios = run_scenarios(model, args.scenarios)
        analyses.append(scenarios)
        for scenario, result in scenarios.results[1:]:
            print(f"\nScenario: {scenario.name} ({scenario.description})")
            for perspective in model.settings.perspectives:
                print(format_icer_table(result, perspective))
    if args.all:
        analyses += _every_analysis(args, model)
    return _report(model, base, analyses, args.out)


def _every_analysis(args: argparse.Namespace, model) -> list:
    """One-way, PSA with EVPI and EVPPI, and Sobol indices, with the workbook's settings."""
    import warnings

    from cea.analyses import gsa
    from cea.analyses.dsa import one_way
    from cea.analyses.voi import evppi

    analyses = [one_way(model)]
    print("\nOne-way analysis: top of the tornado")
    print(analyses[0].tornado()[["parameter", "low_value", "high_value", "swing"]].head(8)
          .to_string(index=False, float_format=_num))
    args.draws, args.seed = None, None
    result = _psa_run(args, model)
    analyses.append(_PSAReport(result, evppi(result)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", gsa.GSAWarning)
        indices = gsa.sobol(model)
    for warning in caught:
        print(f"Note: {warning.message}")
    print(f"\nSobol indices (N = 1024, {indices.n_rows:,} rows)")
    print(indices.summary().to_string(index=False, float_format=_num))
    return analyses + [indices]


def _calibrate(args: argparse.Namespace) -> int:
    from cea.calibration import calibrate, calibration_sheets, write_calibrated_copy
    from cea.export.excel import write_sheets

    model = api.load(args.workbook)
    if not model.calibration:
        print(f"{args.workbook}: no calibration sheet; nothing to fit", file=sys.stderr)
        return EXIT_INPUT
    result = calibrate(model, list(model.calibration))
    print(f"Calibration of {', '.join(result.parameters['parameter'])}: {result.message}")
    print(result.parameters.to_string(index=False, float_format=lambda v: f"{v:,.6g}"))
    print(result.fit[["target", "observed", "predicted", "difference", "fitted"]]
          .to_string(index=False, float_format=_num))
    name = model.settings.model_name
    s = model.settings
    report = write_sheets(args.out / f"{name}_calibration.xlsx", calibration_sheets(result),
                          f"{s.currency} {s.price_year}")
    copy = write_calibrated_copy(args.workbook, result, args.out / f"{name}_calibrated.xlsx")
    print(f"\nFit written to {report}\nCalibrated workbook written to {copy}")
    return 0 if result.success else 1


def _dsa(args: argparse.Namespace) -> int:
    from cea.analyses.dsa import one_way

    model, base = _base(args, show=False)
    result = one_way(model, outcome=args.outcome)
    print(_header(model))
    tornado = result.tornado()
    ranked = result.selection.describe(model.strategy_names[0])
    print(f"\nOne-way analysis: {len(result.ranges)} parameters varied in "
          f"{len(result.table)} rows; ranked by {ranked}")
    print(tornado[["parameter", "low_value", "high_value", "outcome_low", "outcome_high",
                   "swing"]].head(15).to_string(index=False, float_format=_num))
    return _report(model, base, [result], args.out)


def _twoway(args: argparse.Namespace) -> int:
    from cea.analyses.twoway import two_way

    model, base = _base(args, show=False)
    result = two_way(model, args.parameter1, args.parameter2, points=args.points)
    print(_header(model))
    print(f"\nTwo-way analysis of {args.parameter1} x {args.parameter2}: "
          f"{args.points} x {args.points} grid")
    print(result.grid(value="optimal").to_string())
    return _report(model, base, [result], args.out)


def _threshold(args: argparse.Namespace) -> int:
    from cea.analyses.threshold import threshold

    model, base = _base(args, show=False)
    result = threshold(model, args.parameter, wtp=args.wtp)
    print(_header(model))
    print(f"\nThreshold analysis of {args.parameter}")
    print(result.to_frame().to_string(index=False, float_format=lambda v: f"{v:,.6g}"))
    print("\nValue-based price (highest one-off cost that is cost-effective)")
    print(result.prices.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return _report(model, base, [result], args.out)


def _gsa(args: argparse.Namespace) -> int:
    from cea.analyses import gsa

    model, base = _base(args, show=False)
    print(_header(model))
    if args.method == "sobol":
        with _executor(args) as executor:
            result = gsa.sobol(model, n=args.n, second_order=args.second_order,
                               groups=args.groups, executor=executor)
        print(f"\nSobol indices, N = {args.n}: {len(result.design())} rows through the engine")
    else:
        result = gsa.morris(model, trajectories=args.trajectories, groups=args.groups)
        print(f"\nMorris screening, {args.trajectories} trajectories")
    print(result.summary().to_string(index=False, float_format=_num))
    return _report(model, base, [result], args.out)


@dataclass(frozen=True)
class _PSAReport:
    """A PSA with (optionally) its EVPPI, as one analysis for the results workbook."""

    result: object
    evppi: object = None

    def to_sheets(self):
        return self.result.to_sheets(evppi=self.evppi)

    def summary_blocks(self):
        return self.result.summary_blocks()

    def write_figures(self, out_dir, model_name):
        paths = self.result.write_figures(out_dir, model_name, evppi=self.evppi)
        return paths + self.result.write_csv(out_dir, model_name)


def _psa_run(args: argparse.Namespace, model):
    from cea.analyses.psa import run_psa

    with _executor(args) as executor:
        result = run_psa(model, n_draws=args.draws, seed=args.seed, executor=executor)
    print(f"\nProbabilistic analysis: {result.n_draws:,} draws, seed {result.seed}")
    print(result.summary().to_string(index=False, float_format=_num))
    evpi = result.evpi()
    settings = model.settings
    at = evpi[evpi["wtp"].isin(settings.wtp)]
    print("\nProbability cost-effective and EVPI per person at the workbook's thresholds")
    ceac = result.ceac()
    print(ceac[ceac["wtp"].isin(settings.wtp)].to_string(index=False,
                                                         float_format=_num))
    print(at.to_string(index=False, float_format=_num))
    return result


def _psa(args: argparse.Namespace) -> int:
    model, base = _base(args, show=False)
    print(_header(model))
    result = _psa_run(args, model)
    return _report(model, base, [_PSAReport(result)], args.out)


def _evppi(args: argparse.Namespace) -> int:
    from cea.analyses.voi import evppi

    model, base = _base(args, show=False)
    print(_header(model))
    result = _psa_run(args, model)
    params = [p.split("+") if "+" in p else p for p in args.params] if args.params else None
    table = evppi(result, params=params, groups=args.groups or None)
    print("\nEVPPI per person (regression on the PSA draws, Strong et al. 2014)")
    print(table.sort_values("evppi", ascending=False).head(20).to_string(
        index=False, float_format=_num))
    return _report(model, base, [_PSAReport(result, table)], args.out)


def _validate(args: argparse.Namespace) -> int:
    model = api.load(args.workbook)
    api.run(model)  # checks every transition matrix of the base case
    s = model.settings
    print(f"{args.workbook}: no problems found. {len(model.parameters)} parameters "
          f"({len(model.free_parameters)} free), {len(model.states)} states, "
          f"{len(model.strategies)} strategies, {s.n_cycles} cycles of "
          f"{s.cycle_length:g} {s.cycle_unit}(s).")
    return 0


def _template(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"{path} exists; choose another name or pass --force to replace it",
              file=sys.stderr)
        return EXIT_INPUT
    write_template(path)
    print(f"Blank input workbook written to {path}")
    return 0


COMMANDS = (
    Command("run", "run the base case and write the results workbook", _run,
            options=_run_options),
    Command("calibrate", "fit parameters to the calibration sheet's targets", _calibrate),
    Command("dsa", "one-way sensitivity analysis with tornado", _dsa, options=_dsa_options),
    Command("twoway", "two-way sensitivity analysis over a grid", _twoway,
            options=_twoway_options),
    Command("threshold", "threshold analysis and value-based price", _threshold,
            options=_threshold_options),
    Command("psa", "probabilistic sensitivity analysis: CE plane, CEAC, CEAF, EVPI", _psa,
            options=_psa_options),
    Command("evppi", "expected value of partial perfect information", _evppi,
            options=_evppi_options),
    Command("gsa", "global sensitivity analysis (Sobol or Morris) on the decision", _gsa,
            options=_gsa_options),
    Command("validate", "check a workbook without writing anything", _validate),
    Command("template", "write a blank, documented input workbook", _template,
            takes_model=False),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cea", description="Cost-effectiveness analysis with cohort Markov models.")
    parser.add_argument("--version", action="version", version=f"cea {cea.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        if command.options is not None:
            command.options(p)
        if command.takes_model:
            p.add_argument("workbook", nargs="?", type=Path, default=DEFAULT_WORKBOOK,
                           help=f"input workbook (default {DEFAULT_WORKBOOK})")
            p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                           help=f"folder for results (default {DEFAULT_OUT}/)")
        else:
            p.add_argument("path", help="where to write the workbook (.xlsx)")
            p.add_argument("--force", action="store_true", help="replace an existing file")
        p.set_defaults(handler=command.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cea`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    allocator.tune()
    try:
        return args.handler(args)
    except WorkbookError as e:
        print(f"{getattr(args, 'workbook', '')}: {len(e.problems)} problem(s) found; nothing "
              "was written.", file=sys.stderr)
        for line in e.problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_INPUT
    except ModelError as e:
        print(f"The model gives invalid numbers; nothing was written.\n  {e}", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as e:  # an option that does not fit the model (e.g. unknown parameter)
        print(f"cea {args.command}: {e}", file=sys.stderr)
        return EXIT_INPUT


def _header(model) -> str:
    s = model.settings
    return (f"{s.model_name}: {len(model.strategies)} strategies, horizon {s.horizon:g} "
            f"{s.horizon_unit}(s) in {s.n_cycles} cycles; discount {s.discount_costs:.1%} "
            f"costs, {s.discount_outcomes:.1%} outcomes; costs in {s.currency} {s.price_year}.")


def format_icer_table(base, perspective: str) -> str:
    """The ICER table of one perspective as aligned text for the terminal."""
    s = base.spec.settings
    table = base.icer_table(perspective)
    money = f"{s.currency} {s.price_year}"
    shown = pd.DataFrame({
        "strategy": table["strategy"],
        f"cost ({money})": table["cost"].map(lambda v: f"{v:,.2f}"),
        "QALYs": table["qaly"].map(lambda v: f"{v:.4f}"),
        "inc. cost": table["inc_cost"].map(_blank(lambda v: f"{v:,.2f}")),
        "inc. QALYs": table["inc_qaly"].map(_blank(lambda v: f"{v:.4f}")),
        "ICER (per QALY)": [_icer_text(st, v, c) for st, v, c in
                            zip(table["status"], table["icer"], table["comparator"])],
    })
    pair = base.pairwise(perspective)
    verdicts = dict(zip(pair["strategy"], pair["verdict"]))
    shown[f"vs {pair['reference'][0]}"] = [verdicts[x] for x in table["strategy"]]
    for wtp in s.wtp:
        shown[f"NMB @ {wtp:,.0f}"] = table[f"nmb_{wtp:g}"].map(lambda v: f"{v:,.0f}")
    cats = ", ".join(s.perspectives[perspective])
    return (f"\n{perspective} perspective (costs: {cats}; discounted)\n"
            + shown.to_string(index=False))


def _num(v: float) -> str:
    """Numbers for the terminal: thousands with separators, small ones to 4 digits."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _blank(fmt):
    return lambda v: "" if pd.isna(v) else fmt(v)


def _icer_text(status: str, icer: float, comparator: str) -> str:
    if status == "dominated":
        return "dominated"
    if status == "extended_dominated":
        return "extendedly dominated"
    if not comparator:
        return "reference"
    return f"{icer:,.0f} vs {comparator}"


if __name__ == "__main__":
    sys.exit(main())

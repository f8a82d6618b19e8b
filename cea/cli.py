"""The ``cea`` command: a thin layer over the registry of analyses and the Python API.

Every analysis command takes ``[WORKBOOK] [--out DIR]`` (defaults
``inputs/walkback.xlsx`` and ``outputs/``); its options come from
:data:`cea.registry.ANALYSES`. An invalid workbook prints one line per problem and exits
with status 2, writing nothing.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import cea
from cea import registry
from cea.model.errors import ModelError
from cea.model.problems import InputError

DEFAULT_WORKBOOK = Path("inputs") / "walkback.xlsx"
DEFAULT_OUT = Path("outputs")
EXIT_INPUT = 2


# --- commands ---------------------------------------------------------------------------------

def _run(args: argparse.Namespace) -> int:
    """The base case, the trial fit, the stepped evaluation, the budget impact (if the
    workbook has a budget sheet) and, if asked, scenarios and every analysis."""
    # the API (numpy, pandas, scipy, openpyxl) is imported only when a command runs: start-up
    from cea import api
    from cea.export.text import header, text

    model = api.load(args.workbook)
    if args.scenarios and args.scenarios != "all" and model.scenarios:
        # names are checked before anything runs; imported here, not at start-up
        from cea.model.scenarios import select

        select(model.scenarios, args.scenarios)
    base = api.base_case(model)
    print(header(model))
    print(text(base))
    analyses = []
    fit = api.trial_fit(model)
    if fit is not None:
        analyses.append(fit)
        print(text(fit))
    if args.all:
        args.scenarios = args.scenarios or "all"
    if model.steps:
        analyses.append(_analyse(registry.get("steps"), model))
    if args.scenarios and model.scenarios:
        analyses.append(_analyse(registry.get("scenarios"), model, names=args.scenarios))
    if args.all:
        for name in ("one_way", "evppi", "gsa"):  # gsa: Sobol indices by default
            analyses.append(_analyse(registry.get(name), model))
    if model.budget is not None:  # the payer's second document: the financial estimates
        draws = {"n_draws": model.settings.psa_draws} if args.all else {}
        analyses.append(_analyse(registry.get("budget"), model, **draws))
    return _report(args.out, base, analyses)


def _analysis(entry: registry.Analysis):
    """The handler of an analysis command: base case, the analysis, the results."""

    def handler(args: argparse.Namespace) -> int:
        # the API is imported only when a command runs (start-up time)
        from cea import api
        from cea.export.text import header

        model = api.load(args.workbook)
        base = api.base_case(model)
        options = {o.keyword: (o.convert or (lambda v: v))(getattr(args, o.keyword))
                   for o in entry.options}
        if entry.random:
            options["seed"] = args.seed
        print(header(model))
        with _executor(args) as executor:
            if executor is not None:
                options["executor"] = executor
            result = _analyse(entry, model, **options)
        return _report(args.out, base, [result], name=entry.name)

    return handler


def _analyse(entry: registry.Analysis, model, **options):
    """Run one analysis with a progress bar on the terminal; print its text and any warning
    as one clean line."""
    # imported when a command runs, not at start-up
    from cea.console import TerminalProgress, warning_line
    from cea.export.text import text

    unit = "draws" if entry.name in ("psa", "evppi") else "rows"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = entry(model, progress=TerminalProgress(entry.command or entry.name,
                                                        unit=unit), **options)
    print(text(result))
    for warning in caught:
        print(warning_line(warning))
    return result


def _report(out: Path, base, analyses: Sequence, name: str = "results") -> int:
    """Write the results workbook, the figures, the tables and the report; say where.

    ``cea run`` writes ``<model>_results.xlsx``; another command ``<model>_<name>.xlsx``
    (see :mod:`cea.export.results` for the rule)."""
    from cea import api  # imported when a command runs, not at start-up

    model = base.spec.settings.model_name
    print(f"\nWriting the results workbook to {out}/ ...", flush=True)
    path = api.write_results(base, out, analyses, name=name)
    print("Drawing the figures ...", flush=True)
    figures = api.write_figures([base, *analyses], out, model)
    tables = api.write_files([base, *analyses], out, model)
    report = api.write_report(base, out, figures, analyses, name=name)
    written = [*figures, *tables]
    print(f"\nResults written to {path}")
    print(f"Report written to {report[0]} (and .html)")
    print(f"{len(written)} figures and tables written to {out}/: "
          + ", ".join(Path(f).name for f in written))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from cea import api  # imported when a command runs, not at start-up
    from cea.export.text import text

    model = api.load(args.workbook)
    if not model.calibration:
        print(f"{args.workbook}: no calibration sheet; nothing to fit", file=sys.stderr)
        return EXIT_INPUT
    result = api.calibrate(model)
    print(text(result))
    report = api.write_calibration(result, args.out)
    copy = api.write_calibrated_copy(result, args.workbook, args.out)
    print(f"\nFit written to {report}\nCalibrated workbook written to {copy}")
    return 0 if result.success else 1


def _validate(args: argparse.Namespace) -> int:
    # the reader and the engine only, not the API with its analyses and exports (start-up)
    from cea.engine import run
    from cea.model.settings import amount
    from cea.workbook import load_workbook

    model = load_workbook(args.workbook)
    run(model)  # checks every transition matrix of the base case
    s = model.settings
    print(f"{args.workbook}: no problems found. {len(model.parameters)} parameters "
          f"({len(model.free_parameters)} free), {len(model.states)} states, "
          f"{len(model.strategies)} strategies, {s.n_cycles} cycles of "
          f"{amount(s.cycle_length, s.cycle_unit)}.")
    return 0


def _template(args: argparse.Namespace) -> int:
    from cea import api  # imported when a command runs, not at start-up

    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"{path} exists; choose another name or pass --force to replace it",
              file=sys.stderr)
        return EXIT_INPUT
    api.write_template(path)
    print(f"Blank input workbook written to {path}")
    return 0


@contextmanager
def _executor(args: argparse.Namespace):
    """The executor of --workers / --scheduler (None: in this process)."""
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is None and scheduler is None:
        yield None
        return
    from cea.engine.executors import open_executor  # only when workers are asked for

    with open_executor(workers, scheduler) as executor:
        yield executor


# --- the parser ---------------------------------------------------------------------------------

def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", nargs="?", type=Path, default=DEFAULT_WORKBOOK,
                   help=f"input workbook (default {DEFAULT_WORKBOOK})")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder for results (default {DEFAULT_OUT}/)")


def _option(p: argparse.ArgumentParser, option: registry.Option) -> None:
    if option.switch:
        p.add_argument(option.flag, dest=option.keyword, action="store_true", help=option.help)
    elif option.positional:
        p.add_argument(option.flag, help=option.help)
    else:
        p.add_argument(option.flag, dest=option.keyword, type=option.type,
                       default=option.default, nargs=option.nargs, choices=option.choices,
                       help=option.help)


def _executor_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run the model's rows in a pool of N local processes (or N workers of "
                        "--scheduler local); results are the same")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the model's rows on a dask cluster (tcp://host:8786), or 'local' "
                        "for a LocalCluster on this machine; needs cea[distributed]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cea", description="Cost-effectiveness analysis with cohort Markov models.")
    parser.add_argument("--version", action="version", version=f"cea {cea.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the base case and write the results workbook",
                         description="run the base case and write the results workbook")
    run.add_argument("--scenarios", default=None, metavar="NAMES",
                     help="also run scenarios of the scenarios sheet: 'all' or names, "
                          "comma-separated")
    run.add_argument("--all", action="store_true",
                     help="also scenarios, one-way, PSA with EVPI and EVPPI, Sobol indices, "
                          "and the budget impact's PSA interval")
    _model_arguments(run)
    run.set_defaults(handler=_run)
    calibrate = sub.add_parser("calibrate", help=registry.get("calibrate").help,
                               description=registry.get("calibrate").help)
    _model_arguments(calibrate)
    calibrate.set_defaults(handler=_calibrate)
    for entry in registry.ANALYSES:
        if entry.command is None:
            continue
        p = sub.add_parser(entry.command, help=entry.help, description=entry.help)
        for option in entry.options:
            _option(p, option)
        if entry.random:
            p.add_argument("--seed", type=int, default=None,
                           help="random seed (default: the workbook's)")
        if entry.distributed:
            _executor_arguments(p)
        _model_arguments(p)
        p.set_defaults(handler=_analysis(entry))
    validate = sub.add_parser("validate", help="check a workbook without writing anything",
                              description="check a workbook without writing anything")
    _model_arguments(validate)
    validate.set_defaults(handler=_validate)
    template = sub.add_parser("template", help="write a blank, documented input workbook",
                              description="write a blank, documented input workbook")
    template.add_argument("path", help="where to write the workbook (.xlsx)")
    template.add_argument("--force", action="store_true", help="replace an existing file")
    template.set_defaults(handler=_template)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cea`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    from cea.engine import allocator  # after parsing: --version and --help stay instant

    allocator.tune()
    try:
        return args.handler(args)
    except InputError as e:
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


if __name__ == "__main__":
    sys.exit(main())

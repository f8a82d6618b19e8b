"""Model builders shared by the tests: small input workbooks as Python rows."""

from __future__ import annotations

import functools
import importlib.util

from tests.helpers.paths import ROOT


def two_state_sheets(p: float = 0.1, *, within_cycle: str = "half_cycle",
                     timing: str = "time_point", rate: float = 0.0, cycles: int = 10) -> dict:
    """An alive -> dead model with constant death probability ``p`` per cycle.

    Reward 1 per cycle alive (cost_care = 1 and utility = 1 with annual cycles),
    one strategy, everyone alive at the start.
    """
    return {
        "settings": [
            ["setting", "value"],
            ["model_name", "two_state"], ["cycle_length", 1], ["cycle_unit", "year"],
            ["horizon", cycles], ["horizon_unit", "year"],
            ["discount_costs", rate], ["discount_outcomes", rate],
            ["discount_timing", timing], ["within_cycle", within_cycle],
            ["perspectives", "payer = care"], ["currency", "AUD"], ["price_year", 2024],
            ["wtp", 50000],
        ],
        "parameters": [
            ["name", "value", "unit", "description", "source"],
            ["p_die", p, "per cycle", "death probability", "test"],
        ],
        "states": [
            ["name", "initial", "utility", "cost_care", "dead"],
            ["alive", 1, 1, 1, "no"],
            ["dead", 0, 0, 0, "yes"],
        ],
        "strategies": [["name", "description"], ["only", "the only strategy"]],
        "transitions": [
            ["from", "to", "only"],
            ["alive", "alive", "C"],
            ["alive", "dead", "p_die"],
        ],
    }


@functools.cache
def build_script():
    """scripts/build_workbooks.py as a module (the shipped workbooks' definitions)."""
    spec = importlib.util.spec_from_file_location("build_workbooks",
                                                  ROOT / "scripts" / "build_workbooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def linear_sheets(*, third: bool = False) -> dict:
    """Two strategies, a (p_die 0.2) and b (p_die 0.1 and a one-off cost c_x), 2 annual cycles,
    start-of-cycle counting, no discounting, cost 1 and utility 1 per cycle alive.

    By hand: alive at the start of cycles 1 and 2 is 1 and 1 - p, so a has QALYs = state
    costs = 1.8 and b has 1.9 (+ c_x). At wtp 50,000:
    incremental NMB of b = 50,000 x 0.1 - (0.1 + c_x) = 4,999.9 - c_x, linear in c_x.
    With ``third``, strategy c is b with a one-off cost c_x + 500 (always worse than b).
    """
    sheets = two_state_sheets(0.2, within_cycle="start", cycles=2)
    sheets["parameters"] += [["p_die_b", 0.1, "per cycle", "death probability under b", "test"],
                             ["c_x", 1000, "AUD", "one-off cost of b", "test"]]
    sheets["parameters"][0] += ["low", "high"]
    sheets["parameters"][-1] += [0, 10000]
    sheets["parameters"][-2] += [0.05, 0.15]
    sheets["strategies"] = [["name", "description", "cost_care", "p_die"],
                            ["a", "comparator", 0, None], ["b", "new", "c_x", "p_die_b"]]
    sheets["transitions"] = [["from", "to", "a", "b"], ["alive", "alive", "C", "C"],
                             ["alive", "dead", "p_die", "p_die"]]
    if third:
        sheets["strategies"].append(["c", "b, dearer", "c_x + 500", "p_die_b"])
        for row, value in zip(sheets["transitions"], ["c", "C", "p_die"]):
            row.append(value)
    return sheets


def three_state_sheets(rows: list[list], parameters: list[list] = ()) -> dict:
    """well -> sick -> dead with two strategies; ``rows`` are the transitions rows (from,
    to, 'a', 'b'), starting at transitions!A2 (strategy 'a' in column C, 'b' in D)."""
    sheets = two_state_sheets()
    sheets["parameters"] = [["name", "value"], ["p_x", 0.5], *parameters]
    sheets["states"] = [["name", "initial", "utility", "cost_care", "dead"],
                        ["well", 1, 1, 1, "no"], ["sick", 0, 0.5, 2, "no"],
                        ["dead", 0, 0, 0, "yes"]]
    sheets["strategies"] = [["name"], ["a"], ["b"]]
    sheets["transitions"] = [["from", "to", "a", "b"], *rows,
                             ["sick", "sick", "C", "C"], ["sick", "dead", 0.2, 0.2]]
    return sheets


def deaths_sheets(c_x: float = 1000) -> dict:
    """:func:`linear_sheets` with a count of deaths on alive -> dead and a second
    perspective that also counts a per-death cost."""
    sheets = linear_sheets()
    sheets["parameters"][-1][1] = c_x
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "perspectives"]
    sheets["settings"].append(["perspectives", "payer = care; society = care, funeral"])
    sheets["transition_rewards"] = [["from", "to", "reward", "value"],
                                    ["alive", "dead", "outcome_deaths", 1],
                                    ["alive", "dead", "cost_funeral", 100]]
    return sheets

"""The slow, obviously correct reference engine that tests compare the engine with.

A four-state model (well, a 3-cycle sick tunnel, post, dead) written out with dense
matrices and loops over cycles and states, every convention of docs/methods.md spelt out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Four states: well, sick (a tunnel of 3), post (recovered), dead. Half-year cycles, 11 cycles
# (odd, so Simpson's last-cycle rule is exercised too). "treat" overrides p_sick and has a
# one-off drug cost; p_die grows with `cycle`; recovery from sick grows with `state_time`.
STRATEGIES = ("none", "treat")
BASE = {
    "p_sick0": 0.10, "rr_trt": 0.6, "p_die0": 0.02, "p_recover0": 0.15, "p_die_sick": 0.08,
    "p_relapse": 0.12, "c_well": 100.0, "c_sick": 1500.0, "c_post": 300.0, "c_event": 2000.0,
    "c_relapse": 500.0, "c_trt": 800.0, "u_well": 0.85, "u_sick": 0.55, "u_post": 0.75,
}
N_CYCLES, CYCLE_YEARS, RATE_COSTS, RATE_OUTCOMES = 11, 0.5, 0.035, 0.015


def reference_sheets(within_cycle: str, timing: str) -> dict:
    parameters = [["name", "value"], *([k, v] for k, v in BASE.items())]
    parameters += [["p_sick", "p_sick0"], ["p_die", "p_die0 * 1.15 ^ (cycle - 1)"]]
    return {
        "settings": [
            ["setting", "value"],
            ["model_name", "reference"], ["cycle_length", 6], ["cycle_unit", "month"],
            ["horizon", 66], ["horizon_unit", "month"],
            ["discount_costs", RATE_COSTS], ["discount_outcomes", RATE_OUTCOMES],
            ["discount_timing", timing], ["within_cycle", within_cycle],
            ["perspectives", "payer = care, event, drug"], ["currency", "AUD"],
            ["price_year", 2024], ["wtp", 50000],
        ],
        "parameters": parameters,
        "states": [
            ["name", "initial", "utility", "cost_care", "outcome_sick_cycles", "dead", "tunnel"],
            ["well", 1, "u_well", "c_well * (1 + 0.05 * year)", 0, "no", 1],
            ["sick", 0, "u_sick", "c_sick * if_else(state_time == 1, 2, 1)", 1, "no", 3],
            ["post", 0, "u_post", "c_post", 0, "no", 1],
            ["dead", 0, 0, 0, 0, "yes", 1],
        ],
        "strategies": [["name", "description", "cost_drug", "p_sick"],
                       ["none", "no treatment", None, None],
                       ["treat", "treatment", "c_trt", "p_sick0 * rr_trt"]],
        "transitions": [
            ["from", "to", "none", "treat"],
            ["well", "well", "C", "C"],
            ["well", "sick", "p_sick", "p_sick"],
            ["well", "dead", "p_die", "p_die"],
            ["sick", "sick", "C", "C"],
            ["sick", "post", "p_recover0 * state_time", "p_recover0 * state_time"],
            ["sick", "dead", "p_die_sick", "p_die_sick"],
            ["post", "post", "C", "C"],
            ["post", "sick", "p_relapse", "p_relapse"],
            ["post", "dead", "p_die", "p_die"],
        ],
        "transition_rewards": [
            ["from", "to", "reward", "value"],
            ["*", "sick", "cost_event", "c_event"],
            ["*", "sick", "outcome_episodes", 1],
            ["post", "sick", "cost_care", "c_relapse"],
        ],
    }


def reference_table() -> pd.DataFrame:
    """Five parameter rows: the base case and four rows varying every parameter."""
    scale = np.array([1.0, 0.7, 1.15, 0.85, 1.1])
    rows = {k: v * scale[np.arange(5) * (i + 1) % 5] for i, (k, v) in enumerate(BASE.items())}
    return pd.DataFrame(rows)


def weights(method: str, t: int, n: int) -> tuple[float, float]:
    """(alpha_t, beta_t) of docs/methods.md, written out per method."""
    if method == "start":
        return 1.0, 0.0
    if method == "end":
        return 0.0, 1.0
    if method == "half_cycle" or (method == "simpson" and t == n and n % 2 == 1):
        return 0.5, 0.5
    assert method == "simpson"
    return (1 / 3, 2 / 3) if t % 2 == 1 else (2 / 3, 1 / 3)


def times(timing: str, t: int) -> tuple[float, float, float]:
    """Cycles elapsed at which cycle t's start count, end count and transitions count."""
    return {"start": (t - 1, t - 1, t - 1), "middle": (t - 0.5, t - 0.5, t - 0.5),
            "end": (t, t, t), "time_point": (t - 1, t, t - 0.5)}[timing]


def reference_run(row: dict, strategy: str, method: str, timing: str):
    """Slow, obvious reference: dense 6 x 6 matrices, loops over cycles and states.

    Expanded states: 0 well, 1-3 sick[1..3] (state_time 1..3), 4 post, 5 dead.
    Returns (measures dict, trace of shape (T + 1, 4) over well, sick, post, dead).
    """
    WELL, SICK, POST, DEAD = 0, (1, 2, 3), 4, 5
    n, dt = N_CYCLES, CYCLE_YEARS
    p_sick = row["p_sick0"] * (row["rr_trt"] if strategy == "treat" else 1.0)
    m = np.zeros(6)
    m[WELL] = 1.0
    trace = [m.copy()]
    totals = dict.fromkeys(["cost_care", "cost_event", "cost_drug", "qaly", "ly",
                            "outcome_episodes", "outcome_sick_cycles"], 0.0)
    undiscounted = dict.fromkeys(["cost_care", "cost_event", "cost_drug", "qaly", "ly"], 0.0)
    for t in range(1, n + 1):
        year = (t - 1) * dt
        p_die = row["p_die0"] * 1.15 ** (t - 1)
        P = np.zeros((6, 6))
        P[WELL, SICK[0]] = p_sick
        P[WELL, DEAD] = p_die
        P[WELL, WELL] = 1 - p_sick - p_die
        for k, s in enumerate(SICK, start=1):  # k = state_time
            P[s, POST] = row["p_recover0"] * k
            P[s, DEAD] = row["p_die_sick"]
            P[s, SICK[min(k, 2)]] += 1 - P[s, POST] - P[s, DEAD]  # stay: k -> k + 1, 3 -> 3
        P[POST, SICK[0]] = row["p_relapse"]
        P[POST, DEAD] = p_die
        P[POST, POST] = 1 - row["p_relapse"] - p_die
        P[DEAD, DEAD] = 1.0
        new = np.zeros(6)
        for i in range(6):
            for j in range(6):
                new[j] += m[i] * P[i, j]
        cost = [row["c_well"] * (1 + 0.05 * year), 2 * row["c_sick"], row["c_sick"],
                row["c_sick"], row["c_post"], 0.0]
        utility = [row["u_well"], row["u_sick"], row["u_sick"], row["u_sick"], row["u_post"], 0]
        alive = [1, 1, 1, 1, 1, 0]
        sick = [0, 1, 1, 1, 0, 0]
        alpha, beta = weights(method, t, n)
        at_start, at_end, at_move = (x * dt for x in times(timing, t))
        for i in range(6):
            for key, value, rate, scale in (("cost_care", cost[i], RATE_COSTS, 1.0),
                                            ("qaly", utility[i], RATE_OUTCOMES, dt),
                                            ("ly", alive[i], RATE_OUTCOMES, dt)):
                totals[key] += scale * value * (alpha * m[i] * (1 + rate) ** -at_start
                                                + beta * new[i] * (1 + rate) ** -at_end)
                undiscounted[key] += scale * value * (alpha * m[i] + beta * new[i])
            totals["outcome_sick_cycles"] += sick[i] * (alpha * m[i] + beta * new[i])
        # transition rewards: entering sick from well or post (staying in sick is not entering)
        for origin in (WELL, POST):
            flow = m[origin] * P[origin, SICK[0]]
            relapse = row["c_relapse"] if origin == POST else 0.0
            totals["cost_event"] += flow * row["c_event"] * (1 + RATE_COSTS) ** -at_move
            totals["cost_care"] += flow * relapse * (1 + RATE_COSTS) ** -at_move
            undiscounted["cost_event"] += flow * row["c_event"]
            undiscounted["cost_care"] += flow * relapse
            totals["outcome_episodes"] += flow
        m = new
        trace.append(m.copy())
    if strategy == "treat":  # one-off at time 0, undiscounted
        totals["cost_drug"] += row["c_trt"]
        undiscounted["cost_drug"] += row["c_trt"]
    totals.update({f"{k}_undiscounted": v for k, v in undiscounted.items()})
    dense = np.array(trace)
    declared = np.column_stack([dense[:, 0], dense[:, 1:4].sum(axis=1), dense[:, 4], dense[:, 5]])
    return totals, declared

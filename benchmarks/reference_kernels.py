"""Hand-written reference implementations of the two shipped models, for benchmarks/compare.py.

Both take a parameter table with the engine's columns (``spec.free_parameters``) and return
the engine's measures, shape (rows, strategies), written out by hand from the workbooks'
expressions (``scripts/build_workbooks.py``, ``docs/inputs/walkback.md``) and the settings'
counting and discounting conventions (``docs/methods.md``):

* :func:`hiv_numpy`, the HIV model (Chancellor et al. 1997; Briggs et al. 2006, Example 2.5)
  vectorised over rows with numpy, one array per state, looping over the 20 cycles;
* :func:`walkback_numba`, the WalkBack model as one fused numba kernel
  (:func:`walkback_kernel`): for each parameter row and strategy, the cycle loop computes that
  cycle's transition probabilities, moves the cohort and adds the rewards, holding the
  cohort in five scalars, with no array larger than one row's outputs.

Neither reads the engine's plan: the weights come from the settings, checked to be the
conventions each reference implements.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["HIV_MEASURES", "WALKBACK_COLUMNS", "WALKBACK_MEASURES", "hiv_numpy",
           "walkback_kernel", "walkback_numba"]

HIV_MEASURES = ("cost_medical", "cost_drugs", "qaly", "ly", "cost_medical_undiscounted",
                "cost_drugs_undiscounted", "qaly_undiscounted", "ly_undiscounted")


def _column(table, name: str) -> np.ndarray:
    return table[name].to_numpy(dtype=float)


def hiv_numpy(spec, table) -> dict[str, np.ndarray]:
    """The HIV model over every row of ``table``: measure -> (rows, [monotherapy, combination]).

    Conventions (checked): ``within_cycle = end`` (cycle t counts m_t) and
    ``discount_timing = end`` (cycle t discounted by (1 + r)^-t); utility 1 in A, B and C,
    so QALYs are life-years; costs per cycle by state (medical: c_a, c_b, c_c; drugs:
    c_zido plus lamivudine in the combination arm in cycles 1-2).
    """
    s = spec.settings
    assert (s.within_cycle, s.discount_timing) == ("end", "end"), "reference assumes end/end"
    assert spec.strategy_names == ("monotherapy", "combination")
    n_cycles, dt = s.n_cycles, s.cycle_years
    rr, c_a, c_b, c_c, c_zido, c_lami, c_lami_arm = (
        _column(table, n) for n in ("rr", "c_a", "c_b", "c_c", "c_zido", "c_lami", "c_lami_arm"))
    n = len(rr)
    out = {m: np.zeros((n, 2)) for m in HIV_MEASURES}
    for arm in range(2):
        a, b, c, d = np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n)
        medical, drugs, ly = np.zeros(n), np.zeros(n), np.zeros(n)
        medical_u, drugs_u, ly_u = np.zeros(n), np.zeros(n), np.zeros(n)
        for t in range(1, n_cycles + 1):
            on = arm == 1 and t <= 2  # lamivudine, and its relative risk, in cycles 1-2
            f = rr if on else 1.0
            p_ab, p_ac, p_ad = 350 / 1734 * f, 116 / 1734 * f, 17 / 1734 * f
            p_bc, p_bd = 512 / 1258 * f, 15 / 1258 * f
            p_cd = 437 / 1749 * f
            p_aa, p_bb, p_cc = 1 - (p_ab + p_ac + p_ad), 1 - (p_bc + p_bd), 1 - p_cd
            a, b, c, d = (a * p_aa, a * p_ab + b * p_bb, a * p_ac + b * p_bc + c * p_cc,
                          a * p_ad + b * p_bd + c * p_cd + d)
            alive = a + b + c
            cost_m = c_a * a + c_b * b + c_c * c
            cost_d = (c_zido + (c_lami if on else (0.0 if arm == 1 else c_lami_arm))) * alive
            dc = (1 + s.discount_costs) ** -(t * dt)
            do = (1 + s.discount_outcomes) ** -(t * dt)
            medical += cost_m * dc
            drugs += cost_d * dc
            ly += alive * (dt * do)
            medical_u += cost_m
            drugs_u += cost_d
            ly_u += alive * dt
        for name, v in zip(HIV_MEASURES, (medical, drugs, ly, ly, medical_u, drugs_u, ly_u,
                                          ly_u)):
            out[name][:, arm] = v
    return out


#: The parameter columns the WalkBack kernel reads, in the order it unpacks them.
WALKBACK_COLUMNS = (
    "age0", "p_female", "median_recur_days", "sigma_recur", "p_recur_year", "p_cs_share",
    "hr_al", "hr_cs", "hr_recovery", "effect_first_years", "effect_later_years",
    "effect_retained", "median_episode_al_days", "median_episode_cs_days", "u_pain_free",
    "u_gain_between", "u_al", "u_cs", "c_physio_initial", "c_physio_standard",
    "n_full_sessions", "n_checkins", "checkin_share", "p_attend", "p_telehealth",
    "tele_fee_ratio", "c_pedometer", "c_training", "c_cs_episode_2015", "cpi_health_2024",
    "lfp_female", "lfp_male", "wage_week_female", "wage_week_male", "earnings_index_2024",
    "absence_value_share", "days_lost_al", "days_lost_cs", "n_ae_excess", "c_gp_visit",
    "qaly_loss_ae")

#: The kernel's outputs, in the engine's measure order for WalkBack.
WALKBACK_MEASURES = (
    "cost_healthcare", "cost_intervention", "cost_absenteeism", "qaly", "ly",
    "outcome_care_seeking_recurrences", "outcome_recurrence_days", "outcome_recurrences",
    "outcome_work_days_lost", "cost_healthcare_undiscounted", "cost_intervention_undiscounted",
    "cost_absenteeism_undiscounted", "qaly_undiscounted", "ly_undiscounted")


@numba.njit(cache=False, inline="always")
def _effect(share, hr_al, hr_cs, hr_rec, p_cs_share, med_al, med_cs, days_lost_al,
            days_lost_cs, p_employed, rate_later, dt, u_pain_free, u_gain):  # pragma: no cover
    """The derived parameters that depend on the share of the effect in force (0 or
    effect_retained): hr_al^share, the care-seeking share, mean episode days, work days lost,
    the later-recurrence probability per cycle and the utility between episodes."""
    ln2 = math.log(2.0)
    a, c, h = hr_al ** share, hr_cs ** share, hr_rec ** share
    return (a, min(1.0, p_cs_share * c / a), med_al / ln2 / h, med_cs / ln2 / h,
            days_lost_al / h * p_employed, days_lost_cs / h * p_employed,
            -math.expm1(-(rate_later * a) * dt), u_pain_free + u_gain * share)


@numba.njit(cache=False, nogil=True)
def walkback_kernel(p, n_cycles, dt, start_c, end_c, start_o, end_o, start_u, end_u,
                    trans_c, trans_o, ages, qx_female, qx_male, out):  # pragma: no cover
    """Fill ``out`` (rows, 2 strategies, 14 measures) from ``p`` (41 columns, rows).

    ``start_*``/``end_*`` (T,) weigh the start and end counts of each cycle (within-cycle
    weight x discount factor) for costs, outcomes and undiscounted; ``trans_*`` (T,)
    discount each cycle's transition rewards. Strategy 0 is usual care (hazard ratios 1,
    no utility gain, no one-off costs), strategy 1 walkback.
    """
    ln2 = math.log(2.0)
    n_rows = p.shape[1]
    n_ages = ages.shape[0]
    for r in range(n_rows):
        age0, p_female, median_recur, sigma = p[0, r], p[1, r], p[2, r], p[3, r]
        p_recur_year, p_cs_share = p[4, r], p[5, r]
        effect_first, effect_later, retained = p[9, r], p[10, r], p[11, r]
        med_al, med_cs = p[12, r], p[13, r]
        u_pain_free, u_al, u_cs = p[14, r], p[16, r], p[17, r]
        k = 1.0 / sigma
        scale = median_recur / 365.25 / ln2 ** (1.0 / k)
        p_employed = p_female * p[30, r] + (1.0 - p_female) * p[31, r]
        c_wage_day = (p_female * p[32, r] + (1.0 - p_female) * p[33, r]) / 5.0 * p[34, r]
        c_day_lost = c_wage_day * p[35, r]
        days_lost_al, days_lost_cs = p[36, r], p[37, r]
        c_cs_episode = p[28, r] * p[29, r]
        c_programme = (p[18, r] + p[23, r] * (p[20, r] + p[21, r] * p[22, r]) * p[19, r]
                       * (1.0 - p[24, r] * (1.0 - p[25, r])) + p[26, r] + p[27, r])
        rate_later = -math.log1p(-p_recur_year) / 1.0
        for s in range(2):
            hr_al, hr_cs, hr_rec = (p[6, r], p[7, r], p[8, r]) if s == 1 else (1.0, 1.0, 1.0)
            u_gain = p[15, r] if s == 1 else 0.0
            # what changes when an effect ends: off (share 0) and in force (share retained)
            off = _effect(0.0 * retained, hr_al, hr_cs, hr_rec, p_cs_share, med_al, med_cs,
                          days_lost_al, days_lost_cs, p_employed, rate_later, dt, u_pain_free,
                          u_gain)
            on = _effect(1.0 * retained, hr_al, hr_cs, hr_rec, p_cs_share, med_al, med_cs,
                         days_lost_al, days_lost_cs, p_employed, rate_later, dt, u_pain_free,
                         u_gain)
            pf, al, cs, rec, dead = 1.0, 0.0, 0.0, 0.0, 0.0
            c_hc = c_int = c_abs = qaly = ly = 0.0
            o_cs = o_days = o_rec = o_work = 0.0
            c_hc_u = c_abs_u = qaly_u = ly_u = 0.0
            h0 = 0.0  # Weibull cumulative hazard at the start of the cycle, (t0 / scale)^k
            age_index = -1
            p_death = 0.0
            for t in range(n_cycles):
                year = float(t) * dt  # (cycle - 1) x cycle length, cycles counted from 1
                first = on if year < effect_first else off
                later = on if year < effect_later else off
                hr_al_f, cs_f, days_al_f, days_cs_f, work_al_f, work_cs_f = first[:6]
                cs_l, days_al_l, days_cs_l, work_al_l, work_cs_l = later[1:6]
                p_later, u = later[6], later[7]
                # background mortality: lookup(life, qx, age0 + year), steps of the table
                key = age0 + year
                j = age_index
                while j + 1 < n_ages and ages[j + 1] <= key:
                    j += 1
                if j != age_index:
                    age_index = j
                    q = p_female * qx_female[j] + (1.0 - p_female) * qx_male[j]
                    p_death = -math.expm1(math.log1p(-q) * (dt / 1.0))
                h1 = ((year + dt) / scale) ** k
                p_first = -math.expm1(-hr_al_f * (h1 - h0))
                h0 = h1
                alive_f = 1.0 - p_death
                to_al = p_first * alive_f * (1.0 - cs_f)
                to_cs = p_first * alive_f * cs_f
                stay = max(0.0, 1.0 - (to_al + to_cs + p_death))
                re_al = p_later * alive_f * (1.0 - cs_l)
                re_cs = p_later * alive_f * cs_l
                re_stay = max(0.0, 1.0 - (re_al + re_cs + p_death))
                # flows of this cycle's rewarded transitions
                f_al, f_cs, f_re_al, f_re_cs = pf * to_al, pf * to_cs, rec * re_al, rec * re_cs
                alive_before = pf + al + cs + rec
                pf, al, cs, rec, dead = (
                    pf * stay, f_al + f_re_al, f_cs + f_re_cs,
                    al * alive_f + cs * alive_f + rec * re_stay,
                    pf * p_death + al * p_death + cs * p_death + rec * p_death + dead)
                alive_after = pf + al + cs + rec
                # state rewards: utility u_between (per year) and life-years in the living
                occupied_o = start_o[t] * alive_before + end_o[t] * alive_after
                occupied_u = start_u[t] * alive_before + end_u[t] * alive_after
                qaly += dt * u * occupied_o
                qaly_u += dt * u * occupied_u
                ly += dt * occupied_o
                ly_u += dt * occupied_u
                # transition rewards: each episode counted on the transition that starts it
                loss = (-((u - u_al) * days_al_f / 365.25) * f_al
                        - ((u - u_cs) * days_cs_f / 365.25) * f_cs
                        - ((u - u_al) * days_al_l / 365.25) * f_re_al
                        - ((u - u_cs) * days_cs_l / 365.25) * f_re_cs)
                absence = (work_al_f * c_day_lost * f_al + work_cs_f * c_day_lost * f_cs
                           + work_al_l * c_day_lost * f_re_al
                           + work_cs_l * c_day_lost * f_re_cs)
                care = c_cs_episode * (f_cs + f_re_cs)
                qaly += trans_o[t] * loss
                qaly_u += loss
                c_abs += trans_c[t] * absence
                c_abs_u += absence
                c_hc += trans_c[t] * care
                c_hc_u += care
                o_cs += f_cs + f_re_cs
                o_rec += f_al + f_cs + f_re_al + f_re_cs
                o_days += (days_al_f * f_al + days_cs_f * f_cs + days_al_l * f_re_al
                           + days_cs_l * f_re_cs)
                o_work += (work_al_f * f_al + work_cs_f * f_cs + work_al_l * f_re_al
                           + work_cs_l * f_re_cs)
            if s == 1:  # one-off at time 0, undiscounted: programme, adverse events
                c_int = c_programme
                c_hc += p[38, r] * p[39, r]
                c_hc_u += p[38, r] * p[39, r]
                qaly += -p[38, r] * p[40, r]
                qaly_u += -p[38, r] * p[40, r]
            o = out[r, s]
            o[0], o[1], o[2], o[3], o[4] = c_hc, c_int, c_abs, qaly, ly
            o[5], o[6], o[7], o[8] = o_cs, o_days, o_rec, o_work
            o[9], o[10], o[11], o[12], o[13] = c_hc_u, c_int, c_abs_u, qaly_u, ly_u


class WalkBackReference:
    """The kernel's inputs that do not depend on the rows (weights, life table), from the spec.

    Conventions (checked): ``within_cycle = half_cycle`` (alpha_t = beta_t = 1/2),
    ``discount_timing = time_point`` (start count at (t - 1) dt, end count at t dt),
    transition rewards at (t - 1/2) dt (time_point's default) with weight 1.
    """

    def __init__(self, spec):
        s = spec.settings
        assert (s.within_cycle, s.discount_timing, s.transition_timing,
                s.transition_reward_weights) == ("half_cycle", "time_point", "middle", "one"), \
            "the kernel implements half_cycle, time_point, middle, one"
        assert spec.strategy_names == ("usual care", "walkback")
        self.n_cycles, self.dt = s.n_cycles, s.cycle_years
        t = np.arange(1.0, self.n_cycles + 1)
        half = np.full(self.n_cycles, 0.5)
        self.weights = []
        for rate in (s.discount_costs, s.discount_outcomes, 0.0):
            self.weights += [half * (1 + rate) ** -((t - 1) * self.dt),
                             half * (1 + rate) ** -(t * self.dt)]
        self.transitions = [(1 + rate) ** -((t - 0.5) * self.dt)
                            for rate in (s.discount_costs, s.discount_outcomes)]
        life = spec.tables["life"]
        self.ages = life.keys
        self.qx_female = np.asarray(life.columns["qx_female"])
        self.qx_male = np.asarray(life.columns["qx_male"])

    def __call__(self, params: np.ndarray) -> np.ndarray:
        """``params`` (41 columns of WALKBACK_COLUMNS, rows) -> (rows, 2, 14 measures)."""
        out = np.empty((params.shape[1], 2, len(WALKBACK_MEASURES)))
        walkback_kernel(params, self.n_cycles, self.dt, *self.weights, *self.transitions,
                        self.ages, self.qx_female, self.qx_male, out)
        return out

    @staticmethod
    def columns(table) -> np.ndarray:
        """The kernel's parameter matrix (columns, rows), each parameter contiguous."""
        params = np.ascontiguousarray(table[list(WALKBACK_COLUMNS)].to_numpy(dtype=float).T)
        assert (params[0] >= 40).all(), "the life table starts at age 40"
        return params


def walkback_numba(spec, table) -> dict[str, np.ndarray]:
    """The WalkBack model over every row of ``table``: measure -> (rows, strategies)."""
    reference = WalkBackReference(spec)
    out = reference(reference.columns(table))
    return {m: out[:, :, i] for i, m in enumerate(WALKBACK_MEASURES)}

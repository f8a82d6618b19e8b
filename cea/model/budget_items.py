"""What each row of the ``budget`` sheet may say: its item, the columns it uses, its default.

One place declares the items; the reader (:mod:`cea.workbook.budget`) checks a sheet
against them, the template documents them, and ``docs/budget-impact.md`` explains them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUDGET_ITEMS", "BudgetItem", "ENTRY", "ITEM_BY_KEY", "MAX_YEARS"]

#: How entrants are spread over their year of entry.
ENTRY = ("spread", "start")
#: Budget years at most (a payer's financial estimates run 1-10 years; 50 is generous).
MAX_YEARS = 50


@dataclass(frozen=True)
class BudgetItem:
    key: str
    doc: str
    allowed: str
    default: str = ""
    #: per year (the ``year`` column: blank for every year, or 1..years)
    yearly: bool = False
    #: the ``strategy`` or ``state`` column it needs
    needs: str = ""
    #: may appear on more than one row (per year, strategy or state)
    repeated: bool = False
    #: takes a one-way range (the low and high columns)
    ranged: bool = False


BUDGET_ITEMS: tuple[BudgetItem, ...] = (
    BudgetItem("years", "Budget years reported, from year 1.", "a whole number from 1 to "
               f"{MAX_YEARS}", "5"),
    BudgetItem("eligible", "People newly eligible in the year (they enter the model in "
               "that year); low and high give its one-way range, description and source its "
               "derivation.", "a number >= 0; year blank for every year",
               yearly=True, repeated=True, ranged=True),
    BudgetItem("uptake_with", "Share of the year's eligible people on the strategy in the "
               "world with the new strategy; the comparator (the first strategy) takes "
               "the rest.", "a share in [0, 1]; the strategies' shares of a year sum to at "
               "most 1", yearly=True, needs="strategy", repeated=True, ranged=True),
    BudgetItem("uptake_without", "The same share in the world without the new strategy "
               "(today's practice).", "a share in [0, 1]", "0", yearly=True,
               needs="strategy", repeated=True, ranged=True),
    BudgetItem("new_strategy", "The strategy whose adoption is costed (the number treated "
               "counts its users).", "a strategy of the base case", "the second strategy"),
    BudgetItem("perspective", "The payer's perspective: which cost categories the budget "
               "counts.", "a perspective of the settings", "the first perspective"),
    BudgetItem("existing", "People already in a state at the start of year 1 (an open "
               "cohort's prevalent patients), on the strategies of year 1's uptake.",
               "a number >= 0 per state", "none", needs="state", repeated=True),
    BudgetItem("discount", "Annual discount rate of the budget's costs (year 1 not "
               "discounted); budget impact is usually reported undiscounted.",
               "a rate in [0, 1)", "0"),
    BudgetItem("entry", "When in their year of entry people enter: spread (evenly through "
               "the year) or start (all on its first day).", " or ".join(ENTRY), "spread"),
    BudgetItem("price_year", "Price year of the budget's money.", "a year",
               "the settings' price_year"),
)

ITEM_BY_KEY = {item.key: item for item in BUDGET_ITEMS}

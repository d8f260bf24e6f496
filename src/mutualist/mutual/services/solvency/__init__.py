"""Will the fund hold? The solvency simulator (``mutualist.engines.solvency``)
run on a fund's own figures: its rules, who takes part, what it holds, and
its history, with priors while the history is short.

What this package does, in order:

1. **The model** (``solvency_model``): database rows become the engine's
   model, in float major units of the fund's currency.

   - Sick pay: members per tier from the active participations; each tier's
     deposit and gift, the waiting period, the longest period, the account
     cap and the month its excess is refunded, and the most members, from
     the rules; the money at the start is what the members' own accounts
     hold (``fund_accounts``). How often members fall sick, for how long and
     how often at 50 % is calibrated from the fund's sick claims of the last
     36 months (``sick_pay_history``, ``calibrate_sick_pay``); how many join
     and leave a month from the participations of the same window.
   - Payment guarantee: invoices that fell due in the 24 months before
     ``overdue_days`` ago (so each one's lateness is known; no earlier than
     the month the collective's first invoice fell due), their net amounts
     in the fund's currency; of those the guarantee would cover (clients
     with a signed agreement, when any has signed), which were late and how
     late, which were never paid, which are still outstanding
     (``guarantee_history``, ``calibrate_guarantee``); the levy is the
     guarantee's share in the bylaws in force; what the fund pays on a late
     invoice is the members' share of it (what the split leaves them) times
     the rules' ``cap_percent``.
   - Income gap and savings are not modelled (``reason`` says why), nor a
     sick-pay fund nobody takes part in yet.

2. **The run**: ``simulate_fund`` for 60 months from the 1st of next month,
   ``MUTUAL_SOLVENCY_PATHS`` paths, and ``recommend_contribution`` for the
   deposit (as a share of the gift) or levy that keeps the five-year risk
   under ``TARGET``. The seed is derived from the fund and the day
   (``seed_of``): the same inputs give the same figures, and every report
   of the fund that day meets the same simulated futures, so a comparison
   of two sets of rules is not blurred by sampling noise.

3. **The cache**: each run is stored as a ``SolvencyRun`` (fund, digest of
   the inputs, day); a page that asks again the same day with the same
   inputs reads the stored figures. A draft (rules no proposal carries, and
   not those in force) is never stored; its figures are kept in the
   process for the day (at most ``DRAFT_CACHE_SIZE`` drafts), so previewing
   the same rules again does not simulate them again.

4. **Refusals**: should the engine refuse what the rows made of it (a
   ``ValueError``), the report is not modelled and its ``reason`` says, in
   one line, that it could not be worked out and why: never an error page.

Money goes in as floats (``float(Decimal)``) and comes out rounded to the
currency's minor unit as ``Decimal``/``Money``, stored as decimal strings:
the simulator estimates probabilities, it moves no money.

Callers have fetched the fund (or the proposal) through a
permission-scoped selector (``fund_get_for_user``, governance's
``proposal_get_for_user``); nothing here checks who is asking.

The modules, each re-exported here:

- ``history``: what the fund's rows say: the sick-pay and guarantee
  histories over their windows, and exchange rates on record.
- ``model``: rows to the engine's model and the assumptions shown beside
  it (``solvency_model``), and the rules a report is about (``rules_now``).
- ``report``: the report's dataclasses, the results a run stores, and a
  report read back from them.
- ``run``: the digest and the seed, computing, storing and reading back a
  ``SolvencyRun``, the draft cache, pruning old runs.
- ``interface``: what callers ask for (``solvency_for_fund``,
  ``solvency_for_rules``, ``solvency_compared``, ``solvency_for_proposal``).
- ``export``: a report as JSON (``solvency_report_json``).
"""

from __future__ import annotations

from mutualist.mutual.services.solvency.export import solvency_report_json
from mutualist.mutual.services.solvency.history import (
    GuaranteeFigures,
    MembershipFlows,
    guarantee_history,
    sick_pay_history,
)
from mutualist.mutual.services.solvency.interface import (
    solvency_compared,
    solvency_for_fund,
    solvency_for_proposal,
    solvency_for_rules,
)
from mutualist.mutual.services.solvency.model import (
    NOBODY_YET,
    NOT_MODELLED,
    SolvencyModel,
    first_month_after,
    rules_now,
    solvency_model,
)
from mutualist.mutual.services.solvency.report import (
    HORIZONS,
    TARGET,
    Assumption,
    HorizonRisk,
    RecommendationView,
    SolvencyReport,
)
from mutualist.mutual.services.solvency.run import (
    KEEP_DAYS,
    UNWORKABLE,
    seed_of,
    solvency_drafts_forget,
    solvency_runs_prune,
)

__all__ = [
    "KEEP_DAYS",
    "solvency_runs_prune",
    "HORIZONS",
    "NOBODY_YET",
    "NOT_MODELLED",
    "TARGET",
    "UNWORKABLE",
    "Assumption",
    "GuaranteeFigures",
    "HorizonRisk",
    "MembershipFlows",
    "RecommendationView",
    "SolvencyModel",
    "SolvencyReport",
    "first_month_after",
    "guarantee_history",
    "rules_now",
    "seed_of",
    "sick_pay_history",
    "solvency_compared",
    "solvency_drafts_forget",
    "solvency_for_fund",
    "solvency_for_proposal",
    "solvency_for_rules",
    "solvency_model",
    "solvency_report_json",
]

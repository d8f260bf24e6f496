"""Engines: pure computations the apps call, with no Django and no database.

- ``matching``: the team matching engine, the cheapest team that covers a
  job's hours (a MILP solved by HiGHS through ``scipy.optimize.milp``);
- ``solvency``: the fund solvency simulator, Monte Carlo in NumPy: the
  classical ruin model, the monthly model of a sick-pay or guarantee fund,
  the contribution that keeps its risk under a target, and calibration
  from a fund's history.

The arrows point one way: apps import engines, engines import nothing of
the apps (``tests/test_engines_stand_alone.py`` checks it).
"""

"""Macros ("runnables"), as `dataiku.runnables` in DSS: the `Runnable` base class and `ResultTable`."""

from dataiku.runnables.result import ResultTable
from dataiku.runnables.runnable import Runnable

__all__ = ["ResultTable", "Runnable"]

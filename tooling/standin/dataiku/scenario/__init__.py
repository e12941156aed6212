"""Handle to the running scenario, as `dataiku.scenario` in DSS."""

from dataiku.scenario.scenario import Scenario

__all__ = ["Scenario"]

"""The test gate: the evidence DSS holds for one bundle, the verdict engine that judges it, and re-checks."""

"""Test-Gated Deployment: the logic behind the plugin's scenario steps and macros.

Layers, each importing only those below it: `components` (steps and macros) -> `release` and `reports` ->
`gate` -> `testing` -> `dss` (the only layer that talks to DSS) -> `settings`, `redaction`, `errors`.
"""

__version__ = "0.1.0"

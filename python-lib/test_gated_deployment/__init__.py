"""Test-Gated Deployment: the logic behind the plugin's scenario steps and macros.

Each module has one job; the step.py and runnable.py files are thin adapters over them.
"""

__version__ = "0.1.0"

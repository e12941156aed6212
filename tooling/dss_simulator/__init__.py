"""An HTTP-level simulator of the DSS public API subset the plugin uses (see README.md in this folder)."""

from .engine import InstalledPlugin, StepEngine, plugin_step_type
from .errors import DSSError
from .govern import Artifact, BundleItems, Govern, SignOff
from .node import Node
from .project import BundleSnapshot, SimProject
from .runs import Run, StepRun, TriggerFire
from .simulator import Simulator
from .specs import ScenarioSpec
from .step_context import StepContext

__all__ = [
    "Artifact",
    "BundleItems",
    "BundleSnapshot",
    "DSSError",
    "Govern",
    "InstalledPlugin",
    "Node",
    "Run",
    "ScenarioSpec",
    "SignOff",
    "SimProject",
    "Simulator",
    "StepContext",
    "StepEngine",
    "StepRun",
    "TriggerFire",
    "plugin_step_type",
]

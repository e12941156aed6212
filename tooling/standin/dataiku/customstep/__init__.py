"""Settings of a plugin scenario step, read the way DSS's `dataiku.customstep` reads them (DSS 9 source, verbatim
contract): plain `json.loads` of environment variables set by the backend before it starts `step.py`."""

import json
import os


def get_step_config():
    """The step's own params as stored in the scenario: PRESET params are still {"mode": ..., "name": ...} refs."""
    return json.loads(os.getenv("DKU_PLUGIN_STEP_CONFIG"))


def get_plugin_config():
    """{"config": step params with presets resolved, "pluginConfig": plugin-level params} (reference §2.4)."""
    return json.loads(os.getenv("DKU_PLUGIN_CONFIG"))


def get_step_resource():
    """Absolute path of the plugin's read-only `resource/` folder."""
    return os.getenv("DKU_CUSTOM_RESOURCE_FOLDER")

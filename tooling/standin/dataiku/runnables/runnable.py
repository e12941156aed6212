"""The base class of a macro. Same contract as DSS 9 `dataiku/runnables/runnable.py`."""


class Runnable:
    """The base interface for a Python runnable (macro)."""

    def __init__(self, project_key, config, plugin_config):
        """project_key: the project the macro runs in; config: the macro params (presets resolved);
        plugin_config: the plugin-level settings."""
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self):
        """None, or (target, unit) with unit in SIZE | FILES | RECORDS | NONE to report progress."""
        return None  # noqa: RET501 - DSS's base class says it explicitly: "no progress reporting"

    def run(self, progress_callback):
        """Do the work; return a string, a dict, an object with to_json() (ResultTable) or None."""
        raise Exception("unimplemented")

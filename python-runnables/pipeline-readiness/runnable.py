# "Check pipeline readiness" macro. DSS loads this file and runs its one Runnable subclass; the logic is in python-lib.
import dataiku
from dataiku.runnables import Runnable
from test_gated_deployment.components.check_pipeline_readiness import check_pipeline_readiness_page
from test_gated_deployment.components.macro_runtime import MacroRuntime
from test_gated_deployment.components.python_compat import provide_getargspec

provide_getargspec()  # older DSS servers count the constructor's arguments with it


class CheckPipelineReadinessMacro(Runnable):
    def __init__(self, project_key, config, plugin_config):
        super().__init__(project_key, config, plugin_config)
        self.runtime = MacroRuntime(project_key, config, dataiku.api_client)

    def run(self, progress_callback):
        return self.runtime.call(check_pipeline_readiness_page)

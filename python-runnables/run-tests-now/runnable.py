# "Run test scenarios now" macro. DSS loads this file and runs its one Runnable subclass; the logic is in python-lib.
import dataiku
from dataiku.runnables import Runnable
from test_gated_deployment.components.macro_runtime import MacroRuntime
from test_gated_deployment.components.python_compat import provide_getargspec
from test_gated_deployment.components.run_tests_now import plan_tests, run_tests_now

provide_getargspec()  # older DSS servers count the constructor's arguments with it


class RunTestsNowMacro(Runnable):
    def __init__(self, project_key, config, plugin_config):
        super().__init__(project_key, config, plugin_config)
        self.runtime = MacroRuntime(project_key, config, dataiku.api_client)
        self.plan = None

    def get_progress_target(self):
        # One unit per test scenario: run() reports each one that has finished.
        self.plan = self.runtime.attempt(plan_tests)
        return (self.plan.total, "NONE") if self.plan is not None else None

    def run(self, progress_callback):
        plan = self.plan or self.runtime.call(plan_tests)
        return self.runtime.call(run_tests_now, plan, progress_callback)

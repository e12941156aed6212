# "Run test scenarios" scenario step. DSS runs this file as a script; the logic lives in python-lib.
import gc

# No garbage collection while the imports run: they allocate much and free little, so it only slows the start.
gc.disable()
import dataiku
from dataiku.customstep import get_plugin_config, get_step_config
from dataiku.scenario import Scenario
from test_gated_deployment.components.run_test_scenarios import run_test_scenarios
from test_gated_deployment.components.step_runtime import run_step

gc.enable()
run_step(run_test_scenarios, get_step_config(), get_plugin_config(), Scenario(), dataiku.api_client,
         dataiku.default_project_key(), dataiku.Folder)

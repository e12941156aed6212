# "Assert Govern sign-off" scenario step. DSS runs this file as a script; the logic lives in python-lib.
import gc

# No garbage collection while the imports run: they allocate much and free little, so it only slows the start.
gc.disable()
import dataiku
from dataiku.customstep import get_plugin_config, get_step_config
from dataiku.scenario import Scenario
from test_gated_deployment.components.assert_govern_signoff import assert_govern_signoff
from test_gated_deployment.components.step_runtime import run_step

gc.enable()
run_step(assert_govern_signoff, get_step_config(), get_plugin_config(), Scenario(), dataiku.api_client,
         dataiku.default_project_key(), dataiku.Folder)

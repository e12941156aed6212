# "Check pipeline readiness" scenario step. DSS runs this file as a script; the logic lives in python-lib.
import gc

# No garbage collection while the imports run: they allocate much and free little, so it only slows the start.
gc.disable()
import dataiku
from dataiku.customstep import get_plugin_config, get_step_config
from dataiku.scenario import Scenario
from test_gated_deployment.components.check_pipeline_readiness import check_pipeline_readiness_step
from test_gated_deployment.components.step_runtime import run_step

gc.enable()
run_step(check_pipeline_readiness_step, get_step_config(), get_plugin_config(), Scenario(), dataiku.api_client,
         dataiku.default_project_key(), dataiku.Folder)

# Fills the steps' dynamic dropdowns. DSS calls do() with the form's config, presets resolved.
import dataiku
from test_gated_deployment.components.choices import deployment_choices
from test_gated_deployment.components.python_compat import provide_getargspec

provide_getargspec()  # older DSS servers count do()'s arguments with it

DEPLOYMENT_PARAMS = ("deployment_id", "gate_deployment_id", "source_deployment_id", "qa_deployment_id",
                     "prod_deployment_id")


def do(payload, config, plugin_config, inputs):
    if payload.get("parameterName") in DEPLOYMENT_PARAMS:
        return {"choices": deployment_choices(config, dataiku.api_client)}
    return {"choices": []}

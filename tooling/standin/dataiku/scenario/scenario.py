"""`Scenario`: callbacks from a step into the scenario run that started it, through the backend's tintercom API.

Same endpoints and form fields as DSS 9 `dataiku/scenario/scenario.py`; the DSS simulator implements them and keeps
the variables in its run state.
"""

import json
import os

from dataiku import _intercom


class Scenario:
    """Handle to the current (running) scenario."""

    def __init__(self):
        self.project_key = os.getenv("DKU_CURRENT_PROJECT_KEY")
        trigger_file = os.getenv("DKU_CURRENT_SCENARIO_TRIGGER_FILE")
        if trigger_file:
            with open(trigger_file) as f:
                self.scenario_trigger = json.load(f)
        else:
            self.scenario_trigger = None

    def set_scenario_variables(self, **kwargs):
        """Define additional variables in this scenario run (visible to later steps as ${name})."""
        return _intercom.json_call("scenarios/set-variables/", data={"variables": json.dumps(kwargs)},
                                   err_msg="Failed to set scenario variables")

    def get_all_variables(self):
        """All variables of the run: project, global and scenario-level ones (dict)."""
        return _intercom.json_call("scenarios/get-all-variables", err_msg="Failed to get variables")

    def get_previous_steps_outputs(self):
        """[{stepName, result}] of the steps already run; DSS says the structure is not precisely defined."""
        return _intercom.json_call("scenarios/get-step-outputs/", err_msg="Failed to read step outputs")

    def get_trigger_type(self):
        return self.scenario_trigger["trigger"]["type"] if self.scenario_trigger is not None else None

    def get_trigger_name(self):
        return self.scenario_trigger["trigger"].get("name") if self.scenario_trigger is not None else None

    def get_trigger_params(self):
        return self.scenario_trigger["params"] if self.scenario_trigger is not None else None

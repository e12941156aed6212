"""The "Check pipeline readiness" macro and step: what the Automate Deployment pipeline will need, checked without
changing anything (`release.readiness`).

The macro shows one page of green and red lines; the step, run first in a pipeline, logs the same lines, sets
variables, and fails on a red line, naming it and its next action. One module serves both: they are the same check.
"""

import logging
from typing import Optional

from ..errors import PluginError
from ..release.readiness import FAIL, OK, PipelinePlan, Readiness, check_readiness
from ..settings import Field, read_variable_prefix
from ..testing.discovery import find_caller
from .fields import DeploymentRef, QaAndProduction, connect_deployer

log = logging.getLogger(__name__)

F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")


def _check(context, settings: QaAndProduction, caller=None, dss_url_known: Optional[bool] = None) -> Readiness:
    deployer, where = connect_deployer(context, DeploymentRef(settings.deployer, settings.qa_deployment_id))
    plan = PipelinePlan(qa_deployment=settings.qa_deployment_id, prod_deployment=settings.prod_deployment_id,
                        qa_node_presets=list(settings.qa_nodes), caller=caller, dss_url_known=dss_url_known)
    return check_readiness(deployer, where, plan, context.node_client)


def check_pipeline_readiness_page(context) -> str:
    """Entry point of python-runnables/pipeline-readiness: the page of green and red lines."""
    # Imported here: the step, which shares this module, renders no page, and Jinja2 costs it 30 ms of start-up.
    from ..reports.pages import render
    settings = QaAndProduction.read(context)
    readiness = _check(context, settings)
    return render("macro_readiness.html", settings=settings, readiness=readiness)


def check_pipeline_readiness_step(context) -> Readiness:
    """Entry point of python-steps/check-pipeline-readiness: the lines in the log, and a failure on a red one."""
    settings = QaAndProduction.read(context)
    prefix = read_variable_prefix(context.reader, F_VARIABLE_PREFIX, "readiness")
    variables = context.variables
    readiness = _check(context, settings, find_caller(variables),
                       bool(variables.get("dssURL") or variables.get("scenarioRunURL")))
    for line in readiness.lines:
        text = "%s %s: %s%s" % (line.status.upper(), line.subject, line.found,
                                " -> " + line.next_action if line.status != OK and line.next_action else "")
        (log.error if line.status == FAIL else log.info)(text)
    context.set_variables({prefix + "_ready": readiness.ready,
                           prefix + "_failures": ["%s: %s" % (f.subject, f.found) for f in readiness.failures]})
    if not readiness.ready:
        first = readiness.failures[0]
        raise PluginError("The pipeline is not ready: %d red line(s), the first: %s: %s. %s" % (
            len(readiness.failures), first.subject, first.found, first.next_action))
    return readiness

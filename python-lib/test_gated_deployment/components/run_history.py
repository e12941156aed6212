"""How long each test scenario ran last time, for the runner to look at a run just after it should end."""

import logging
from typing import Dict
from xml.etree.ElementTree import ParseError  # noqa: S405 - only the exception type

from ..dss.answers import dss_call
from ..dss.testing_status import last_test_runs_report
from ..errors import PluginError
from ..gate.junit import parse_report, run_durations
from ..testing.discovery import Target

log = logging.getLogger(__name__)


def last_durations(target: Target, where: str) -> Dict[str, float]:
    """The durations of the scenarios' last runs, in one call per project (its last-test-runs report); empty when
    DSS cannot tell (no run yet, an older DSS, no right to read it): the runner then looks on its timer."""
    if not target.scenarios:
        return {}
    try:
        report = dss_call("Reading the last test runs of project %s" % target.project_key, where,
                          last_test_runs_report, target.client, target.project_key, None)
        durations = run_durations(parse_report(report))
    except (PluginError, ParseError) as error:
        log.info("The last test runs of project %s on %s could not be read (%s): runs are looked at on a timer.",
                 target.project_key, where, error)
        return {}
    wanted = {s.id for s in target.scenarios}
    return {sid: seconds for sid, seconds in durations.items() if sid in wanted}

"""A fixed sample of the single-fault exploration (`make faults` runs every point): for each flow and each fault
kind, one request of the flow's clean run, picked at a fixed spread of positions."""

import pytest
from explorer import EXPLORED, FLOWS, KINDS, explore, record


@pytest.fixture(scope="module")
def baselines():
    return {}


def _baseline(baselines, flow):
    if flow.name not in baselines:
        baselines[flow.name] = record(flow)
    return baselines[flow.name]


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
@pytest.mark.parametrize("flow", FLOWS, ids=[f.name for f in FLOWS])
def test_one_fault_at_one_request(baselines, flow, kind):
    baseline = _baseline(baselines, flow)
    assert baseline.requests, "the clean run of %s sent no request" % flow.name
    # Spread the sampled requests over the whole flow: a different position for each kind.
    position = (KINDS.index(kind) * 7 + FLOWS.index(flow) * 3) % len(baseline.requests)
    result = explore(flow, baseline, baseline.requests[position], kind)
    EXPLORED.append(result)
    assert result.held, "%s, %s at %s: %s" % (flow.name, kind.name, result.request, "; ".join(result.broken))

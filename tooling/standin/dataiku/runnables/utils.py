"""The trivial part of DSS's `dataiku.runnables.utils`.

`get_admin_dss_client` is deliberately missing: in DSS it writes an admin API key into DIP_HOME, which this plugin
must never do (a macro must not get more rights than its user).
"""

import json
import re


def json_dumpf(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=4)


def json_loadf(path):
    with open(path) as f:
        return json.load(f)


def make_unique_project_key(admin_client, base_name):
    """Upper-cased `base_name` with non-alphanumerics as '_', suffixed _1, _2... until unused on that instance."""
    base_project_key = re.sub(r"[^A-Z0-9]+", "_", base_name.upper())
    existing_keys = admin_client.list_project_keys()
    project_key = base_project_key
    i = 0
    while project_key in existing_keys:
        i += 1
        project_key = f"{base_project_key}_{i}"
    return project_key

"""A project's managed folders, as the public API lists them (each a dict with at least `id` and `name`)."""

from typing import List, Tuple

from .answers import dss_call
from .transport import DSSClient


def managed_folders(client: DSSClient, project_key: str, where: str) -> List[Tuple[str, str]]:
    """(id, name) of each managed folder of the project."""
    listed = dss_call("Listing the managed folders of project %s" % project_key, where,
                      client.get_project(project_key).list_managed_folders) or []
    return [(str(f.get("id") or ""), str(f.get("name") or "")) for f in listed if isinstance(f, dict)]

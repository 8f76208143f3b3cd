"""Settings for the learners' Jupyter servers on a shared JupyterHub machine (The Littlest JupyterHub, the rehearsal).

Twenty learners' servers on one machine pick their kernels' TCP ports independently, so now and then a kernel starts on
a port another learner's kernel (or connection) has just taken, fails to bind it and is restarted by jupyter_client's
restarter. Two settings make that restart work:

- ``KernelManager.cache_ports = False``: the restart takes really new ports (with the port cache it retries the taken
  one, five times, and the kernel dies);
- ``ServerApp.kernel_manager_class = WorkshopKernelManager``: after such a restart the server watches the kernel's new
  IOPub port. jupyter_server does this after a restart asked for through its API, not after the restarter's own
  (jupyter_server issue #481): it keeps watching the old port, the kernel's state stays "starting" and every
  notebook's websocket times out waiting for it, a kernel stuck "connecting" for good.

A room that starts at once pays every learner's server start at the same moment, so the same file also keeps the
servers light (each setting measured with the rehearsal's learners' environment, .venv-hub):

- ``ServerApp.jpserver_extensions``: ``jupyter_lsp`` off. It serves language servers to JupyterLab's LSP features;
  a learner's environment has no language server and the course uses none (completion comes from the kernel).
  It is the only default server extension the course cannot use at all; turning it off saves about 0.1 CPU-s of a
  1.8 s server start. Notebook 7 (``notebook``, ``notebook_shim``) and terminals (``jupyter_server_terminals``)
  stay: they cost nothing measurable at start, and an instructor may want them.
- ``LabApp``: no news feed and no update check (each would have every learner's server fetch a page from the
  internet when JupyterLab opens; the hub's admin updates the software, not the learner), and the extension
  manager read-only (learners of a shared hub do not install JupyterLab extensions).

`SERVER_CONFIG` is that ``jupyter_server_config.json``; docs/instructors.md gives the same JSON.

`PAGE_CONFIG` is JupyterLab's ``labconfig/page_config.json`` (beside it, in the same Jupyter config folder), for
what JupyterLab asks its server each time a learner opens it:

- ``buildCheck``/``buildAvailable`` false: no "is a rebuild needed?" check (on a machine with Node.js it runs a
  ``node`` process, 0.4 CPU-s, for every learner; learners cannot rebuild a shared hub's JupyterLab anyway);
- ``@jupyterlab/notebook-extension:export`` disabled: the "Save and Export Notebook As" menu, whose list of formats
  makes the server import nbconvert and its exporters (0.3 CPU-s per learner). File > Download stays.
- ``@jupyterlab/notebook-extension:update-raw-mimetype`` disabled: it asks the server for the same list when the
  first notebook opens, to name the formats a raw cell can be written for in the property inspector (the course has
  no raw cells). With it, opening notebook 00 in JupyterLab cost the learner's server 0.81 CPU-s; without it 0.44.
- ``@jupyterlab/apputils-extension:announcements`` disabled: JupyterLab's "Would you like to get notified about
  official Jupyter news?" prompt, which every learner would otherwise meet on their first slider's screen (the news
  feed and update check are off on the server already, above; the hub's admin updates the software).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

SERVER_CONFIG = {
    "KernelManager": {"cache_ports": False},
    "ServerApp": {"kernel_manager_class": "bplab.course.workshop.WorkshopKernelManager",
                  "jpserver_extensions": {"jupyter_lsp": False}},
    "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
               "extension_manager": "readonly"},
}
PAGE_CONFIG = {
    "buildAvailable": False,
    "buildCheck": False,
    "disabledExtensions": {"@jupyterlab/notebook-extension:export": True,
                           "@jupyterlab/notebook-extension:update-raw-mimetype": True,
                           "@jupyterlab/apputils-extension:announcements": True},
}


class WorkshopKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager that also follows a kernel the restarter moved to new ports."""

    restart_timeout = 120.0  # seconds a restart may take before the follower gives up

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._followers: set[asyncio.Future] = set()

    async def _finish_kernel_start(self, kernel_id: str) -> None:
        await super()._finish_kernel_start(kernel_id)
        if kernel_id in self:
            self.add_restart_callback(kernel_id, lambda: self._follow_restart(kernel_id), "restart")

    def _follow_restart(self, kernel_id: str) -> None:
        # The restarter calls this just before it restarts the kernel: wait for the new launch, then look.
        previous_launch = self.get_kernel(kernel_id).ready
        follower = asyncio.ensure_future(self._watch_after_restart(kernel_id, previous_launch))
        self._followers.add(follower)  # a reference, so the task is not garbage-collected while it waits
        follower.add_done_callback(self._followers.discard)

    async def _watch_after_restart(self, kernel_id: str, previous_launch) -> None:
        deadline = time.monotonic() + self.restart_timeout
        while kernel_id in self and self.get_kernel(kernel_id).ready is previous_launch:
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)
        if kernel_id in self:
            with contextlib.suppress(Exception):  # a failed launch: the restarter tries again, or reports "dead"
                ready = self.get_kernel(kernel_id).ready
                await (ready if isinstance(ready, asyncio.Future) else asyncio.wrap_future(ready))
                self.watch_new_ports(kernel_id)

    def watch_new_ports(self, kernel_id: str) -> bool:
        """Watch the kernel's activity on its current IOPub port if a restart changed its ports; True if it did."""
        if kernel_id not in self or self._get_changed_ports(kernel_id) is None:
            return False
        self.stop_watching_activity(kernel_id)
        self.get_kernel(kernel_id).execution_state = "starting"  # until the new kernel reports its state
        self.start_watching_activity(kernel_id)
        self.log.warning("Kernel %s restarted on new ports: watching its activity there", kernel_id)
        return True

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

`SERVER_CONFIG` is the ``jupyter_server_config.json`` with both; docs/instructors.md gives the same JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

SERVER_CONFIG = {
    "KernelManager": {"cache_ports": False},
    "ServerApp": {"kernel_manager_class": "bplab.course.workshop.WorkshopKernelManager"},
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

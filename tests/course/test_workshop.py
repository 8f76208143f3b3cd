"""The learners' kernel manager on a shared hub (bplab.course.workshop): a kernel that dies while starting (as after
a port collision with another learner's kernel) is restarted by jupyter_client's restarter on new ports, and the
server must then watch the new ports to see the kernel become ready (jupyter_server issue #481)."""

import asyncio
import concurrent.futures
import os
import signal
import time

import pytest
from traitlets.config import Config

pytest.importorskip("jupyter_server")
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager  # noqa: E402

from bplab.course.workshop import SERVER_CONFIG, WorkshopKernelManager  # noqa: E402


async def _state_after_a_restart_on_new_ports(manager_class, root_dir) -> tuple[bool, str]:
    """Start a kernel, kill it before it has answered anything, let the restarter restart it, ask it for its
    kernel_info on its new ports (what a notebook's websocket does), and return whether the ports changed and the
    execution state the server then reports."""
    config = Config(SERVER_CONFIG)
    config.KernelRestarter.time_to_dead = 0.5  # poll the kernel every 0.5 s instead of 3 s
    manager = manager_class(config=config, root_dir=str(root_dir))
    kernel_id = await manager.start_kernel(kernel_name="python3")
    kernel = manager.get_kernel(kernel_id)
    try:
        ports = list(kernel.ports)
        os.kill(kernel.provisioner.pid, signal.SIGKILL)  # dies while starting, like a kernel that could not bind
        deadline = time.monotonic() + 60
        while list(kernel.ports) == ports or not await kernel.is_alive():
            assert time.monotonic() < deadline, "the restarter did not restart the kernel"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the follower looks once the new launch is done
        client = kernel.client()
        client.start_channels()
        try:
            await asyncio.wait_for(client.kernel_info(reply=True), 60)
            deadline = time.monotonic() + 10
            while kernel.execution_state == "starting" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            client.stop_channels()
        return list(kernel.ports) != ports, kernel.execution_state
    finally:
        await manager.shutdown_kernel(kernel_id, now=True)


def _run_in_a_fresh_loop(coroutine):
    # in a thread of its own: another test in this worker may have left an event loop running in the main thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_workshop_manager_follows_a_kernel_restarted_on_new_ports(tmp_path):
    moved, state = _run_in_a_fresh_loop(_state_after_a_restart_on_new_ports(WorkshopKernelManager, tmp_path))
    assert moved and state == "idle", (moved, state)


def test_jupyter_servers_own_manager_does_not(tmp_path):
    """The bug the workshop manager works around; if this fails, jupyter_server fixed it: drop the workaround."""
    moved, state = _run_in_a_fresh_loop(_state_after_a_restart_on_new_ports(AsyncMappingKernelManager, tmp_path))
    assert moved and state == "starting", (moved, state)


def test_server_config_names_the_workshop_manager():
    cls = SERVER_CONFIG["ServerApp"]["kernel_manager_class"]
    module, name = cls.rsplit(".", 1)
    assert getattr(__import__(module, fromlist=[name]), name) is WorkshopKernelManager
    assert SERVER_CONFIG["KernelManager"] == {"cache_ports": False}

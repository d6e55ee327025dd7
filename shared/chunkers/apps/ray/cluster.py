"""Connecting to a Ray cluster, or starting a local one, with clear errors."""

from __future__ import annotations

import os
import socket
from typing import Any

from .specs import DistributedError

RAY_INSTALL = 'pip install "rag-chunkers[ray]"'


def require_ray() -> Any:
    """The ``ray`` module, or a `DistributedError` saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise DistributedError(f"Ray is not installed ({exc}); install it with: {RAY_INSTALL}") from None
    return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A clear error if nothing listens at ``host:port`` (Ray itself would retry for a long time)."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        host, port = hostport, "6379"
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise DistributedError(
            f"cannot reach a Ray cluster at {address!r} ({exc.strerror or exc}); start one with `ray start --head` "
            "or check the address"
        ) from None


def init_ray(address: str | None = None, num_cpus: int | None = None, object_store_memory: int | None = None) -> Any:
    """Connect to the Ray cluster at ``address`` ("auto", "host:port", "ray://host:port"), or start a local Ray
    (``num_cpus``, ``object_store_memory`` in bytes, no dashboard) when it is None. Usage stats stay off.
    Returns the ``ray`` module; does nothing if Ray is already initialised."""
    ray = require_ray()
    if address and address != "auto":
        _check_reachable(address)
    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    kwargs: dict[str, Any] = {"ignore_reinit_error": True, "configure_logging": True, "logging_level": "warning"}
    if address:
        kwargs["address"] = address
    else:
        kwargs.update(include_dashboard=False, num_cpus=num_cpus, object_store_memory=object_store_memory)
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DistributedError(f"cannot connect to Ray at {address!r}: {first}") from None
    return ray

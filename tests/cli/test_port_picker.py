"""PortPicker: free loopback ports with a free gRPC twin, never handed out twice."""

from __future__ import annotations

import socket

import pytest

from lakebook.cli.stack.services import GRPC_OFFSET
from lakebook.cli.stack.supervisor import PortPicker

HOST = "127.0.0.1"


def test_ports_come_from_the_range_once_each() -> None:
    pick = PortPicker(HOST, range(31000, 31010))
    ports = [pick() for _ in range(5)]
    assert len(set(ports)) == 5
    assert all(31000 <= port < 31010 for port in ports)


def test_a_port_or_its_grpc_twin_in_use_is_skipped() -> None:
    with socket.create_server((HOST, 31020)), socket.create_server((HOST, 31021 + GRPC_OFFSET)):
        pick = PortPicker(HOST, range(31020, 31023))
        assert pick() == 31022
        with pytest.raises(RuntimeError, match="no free port pair"):
            pick()

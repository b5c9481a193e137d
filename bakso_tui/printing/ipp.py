"""Asking CUPS how a print job ended, with one IPP request (Get-Job-Attributes).

``lpstat -W completed`` lists a job once it has *ended*, which includes a job
cancelled by its backend or aborted: it cannot tell a printed batch from a
failed one. CUPS's own protocol can: the job's ``job-state`` is 9 (completed),
7 (canceled) or 8 (aborted). pycups needs a C build, and ipptool is not
always installed, so this module sends the one request itself (RFC 8011
§4.3.4; the encoding is RFC 8010) to the server every CUPS client uses:
``CUPS_SERVER`` (a socket path or host[:port]), else the local socket, else
localhost:631.
"""

from __future__ import annotations

import getpass
import http.client
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

STATES = {3: "pending", 4: "pending-held", 5: "processing", 6: "processing-stopped",
          7: "canceled", 8: "aborted", 9: "completed"}
DEFAULT_SOCKETS = (Path("/run/cups/cups.sock"), Path("/var/run/cups/cups.sock"))


class IppError(Exception):
    pass


@dataclass(frozen=True)
class JobState:
    state: str
    reasons: tuple[str, ...]

    @property
    def ended(self) -> bool:
        return self.state in ("canceled", "aborted", "completed")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _connection(timeout: float) -> http.client.HTTPConnection:
    server = os.environ.get("CUPS_SERVER", "")
    if server.startswith("/"):
        return _UnixConnection(server, timeout)
    if not server:
        for path in DEFAULT_SOCKETS:
            if path.exists():
                return _UnixConnection(str(path), timeout)
        server = "localhost"
    host, _, port = server.partition(":")
    return http.client.HTTPConnection(host, int(port or 631), timeout=timeout)


def _attribute(tag: int, name: str, value: bytes) -> bytes:
    raw = name.encode()
    return struct.pack(">BH", tag, len(raw)) + raw + struct.pack(">H", len(value)) + value


def _request(job_id: int) -> bytes:
    body = struct.pack(">BBHI", 2, 0, 0x0009, 1)  # IPP 2.0, Get-Job-Attributes, request 1
    body += b"\x01"  # operation attributes
    body += _attribute(0x47, "attributes-charset", b"utf-8")
    body += _attribute(0x48, "attributes-natural-language", b"en")
    body += _attribute(0x45, "job-uri", f"ipp://localhost/jobs/{job_id}".encode())
    body += _attribute(0x42, "requesting-user-name", getpass.getuser().encode())
    body += _attribute(0x44, "requested-attributes", b"job-state")
    body += _attribute(0x44, "", b"job-state-reasons")
    return body + b"\x03"


def _parse(data: bytes) -> JobState:
    if len(data) < 9:
        raise IppError("short IPP response")
    status = struct.unpack(">H", data[2:4])[0]
    if status >= 0x0400:
        raise IppError(f"IPP status 0x{status:04x}")
    pos, name, state, reasons = 8, "", None, []
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == 0x03:
            break
        if tag < 0x10:  # a group delimiter
            continue
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        if length:
            name = data[pos:pos + length].decode("utf-8", "replace")
        pos += length
        (vlen,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        value = data[pos:pos + vlen]
        pos += vlen
        if name == "job-state" and tag == 0x23 and vlen == 4:
            state = STATES.get(struct.unpack(">i", value)[0], "unknown")
        elif name == "job-state-reasons":
            reasons.append(value.decode("utf-8", "replace"))
    if state is None:
        raise IppError("no job-state in the IPP response")
    return JobState(state, tuple(reasons))


def job_state(job_id: int, *, timeout: float = 10) -> JobState:
    conn = _connection(timeout)
    try:
        conn.request("POST", "/", body=_request(job_id),
                     headers={"Content-Type": "application/ipp"})
        response = conn.getresponse()
        data = response.read()
    except OSError as exc:
        raise IppError(str(exc)) from None
    finally:
        conn.close()
    if response.status != 200:
        raise IppError(f"HTTP {response.status}")
    return _parse(data)

"""The parser children: a scrubbed environment, no network where the platform
allows, and plain frames (JSON and bytes) instead of pickles between them and
the parent, whose replies are checked before use."""

from __future__ import annotations

import os
import pickle
import socket
import sys
import textwrap

import hostile
import pytest

from bakso_tui.attachments import inspect as inspect_mod
from bakso_tui.attachments.child import (
    ENV_ALLOWED, MAX_JSON, WireError, child_env, encode, read_frame,
)
from bakso_tui.attachments.inspect import InspectorPool
from bakso_tui.config import Limits


@pytest.fixture
def pool():
    pool = InspectorPool(Limits(timeout_s=30), size=1)
    yield pool
    pool.close()


def _parent_reaches_postgres() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def test_a_child_gets_only_the_allowed_environment(pool, monkeypatch):
    monkeypatch.setenv("BAKSO_DATABASE_URL", "postgresql://bakso:rahasia@db/bakso")
    monkeypatch.setenv("PGPASSWORD", "rahasia")
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    report = pool.sandbox()
    assert "BAKSO_DATABASE_URL" not in report["env"]
    assert set(report["env"]) <= set(ENV_ALLOWED) | {"LC_CTYPE"}  # Python may set LC_CTYPE
    assert not {"PGPASSWORD", "HOME", "AWS_SECRET_ACCESS_KEY"} & set(report["env"])


def test_the_allow_list():
    env = child_env({"PATH": "/usr/bin", "LANG": "id_ID.UTF-8", "BAKSO_DATABASE_URL": "x",
                     "HOME": "/home/v", "SSH_AUTH_SOCK": "/tmp/agent"})
    assert env == {"PATH": "/usr/bin", "LANG": "id_ID.UTF-8"}


def test_a_child_cannot_reach_the_database_port_when_isolation_is_available(pool):
    report = pool.sandbox()
    if report["network"] == "none":
        pytest.skip("no network namespace on this machine (see docs/security.md)")
    if sys.platform.startswith("linux"):
        assert report["network"] in ("netns", "userns")
    assert _parent_reaches_postgres(), "the test needs PostgreSQL on 127.0.0.1:5432"
    assert report["tcp_127_0_0_1_5432"] != "connected"


def test_inspection_and_drawing_still_work_inside(pool):
    result = pool.inspect(hostile.text_pdf("Akta Kelahiran", pages=2), "akta.pdf")
    assert result.ok and result.pages == 2 and "Akta Kelahiran" in result.page_info[0].text
    page = pool.render(hostile.text_pdf("Akta Kelahiran", pages=2), 2, 600)
    assert page.number == 2 and page.width <= 600 and len(page.pixels) == page.width * page.height * 3


def test_frames_are_json_and_bytes_and_junk_is_refused(tmp_path):
    def frame_fd(data: bytes) -> int:
        path = tmp_path / "frame"
        path.write_bytes(data)
        fd = os.open(path, os.O_RDONLY)
        opened.append(fd)
        return fd

    opened: list[int] = []

    message, payload = read_frame(frame_fd(encode({"page": {"number": 1}}, b"\x00\x01")))
    assert message == {"page": {"number": 1}} and payload == b"\x00\x01"
    evil = pickle.dumps({"inspection": "x"})
    with pytest.raises(WireError):  # a pickle is not a frame
        read_frame(frame_fd(len(evil).to_bytes(4, "big") + (0).to_bytes(4, "big") + evil))
    with pytest.raises(WireError):  # nor is a frame claiming gigabytes
        read_frame(frame_fd((MAX_JSON + 1).to_bytes(4, "big") + (0).to_bytes(4, "big")))
    with pytest.raises(WireError):  # JSON, but not an object
        read_frame(frame_fd((2).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"[]"))
    with pytest.raises(EOFError):
        read_frame(frame_fd(encode({"a": 1})[:-2]))
    for fd in opened:
        os.close(fd)


#: A child taken over by a file: it says it is ready, then answers nonsense.
LYING_CHILD = textwrap.dedent("""
    import json, struct, sys
    out = sys.stdout.buffer
    def send(message, payload=b""):
        body = json.dumps(message).encode()
        out.write(struct.pack(">II", len(body), len(payload)) + body + payload); out.flush()
    send({"ready": True, "network": "none"})
    while True:
        head = sys.stdin.buffer.read(8)
        if len(head) < 8:
            break
        n, m = struct.unpack(">II", head)
        job = json.loads(sys.stdin.buffer.read(n)); sys.stdin.buffer.read(m)
        if job["kind"] == "inspect":
            send({"inspection": {"name": 1, "size": "big", "sha256": [], "page_info": [{}],
                                 "problems": []}})
        else:
            send({"page": {"number": 1, "pages": 1, "width": 99999, "height": 1,
                           "text": "", "has_text_layer": False}}, b"x")
""")


def test_a_lying_child_gets_a_problem_not_a_crash(monkeypatch):
    monkeypatch.setattr(inspect_mod, "child_command",
                        lambda limits: [sys.executable, "-c", LYING_CHILD])
    pool = InspectorPool(Limits(timeout_s=30), size=1)
    try:
        result = pool.inspect(b"%PDF-1.7 x", "a.pdf")
        assert not result.ok and [p.code for p in result.problems] == ["crashed"]
        page = pool.render(b"%PDF-1.7 x", 1, 800)
        assert page.code == "unreadable"
    finally:
        pool.close()


def test_the_pool_has_no_pickle_path():
    from bakso_tui.attachments import child

    for module in (inspect_mod, child):
        source = open(module.__file__, encoding="utf-8").read()
        assert "multiprocessing" not in source and "import pickle" not in source

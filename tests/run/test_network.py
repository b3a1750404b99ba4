"""A build opens no network connection and makes no name lookup.

Every test build runs with ``tests/run/fixtures/netguard`` on ``PYTHONPATH``: its
``sitecustomize`` makes each Python process (the build, its workers and their kernels, which
inherit the environment) refuse and log any non-loopback, non-unix connection and any DNS
lookup. The build must succeed with the guard and leave the log empty. Kernels talk to their
worker over ZMQ, which libzmq opens in C (invisible to the guard): the warm kernels use the
``ipc`` transport (unix sockets), checked here from inside a kernel.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from analysis import config
from tests.run.fixtures import buildkit


def guarded(tmp_path, code: str) -> tuple[subprocess.CompletedProcess, str]:
    net_log = tmp_path / "net.log"
    net_log.touch()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=config.PROJ_ROOT,
        env=buildkit.build_env(net_log, "network-test"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc, net_log.read_text()


def test_the_guard_refuses_and_logs_connections_and_lookups(tmp_path):
    """Without this, an empty log would prove nothing."""
    proc, log = guarded(tmp_path, """
        import socket, urllib.request
        for attempt in (lambda: urllib.request.urlopen("http://example.org", timeout=2),
                        lambda: socket.getaddrinfo("pypi.org", 443),
                        lambda: socket.socket().connect(("192.0.2.1", 80))):
            try:
                attempt()
                print("reached")
            except OSError:
                print("refused")
        server = socket.socket()          # loopback stays allowed
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=2).close()
        print("loopback ok")
    """)
    assert proc.stdout.split() == ["refused"] * 3 + ["loopback", "ok"], proc.stderr
    assert "create_connection ('example.org', 80)" in log
    assert "getaddrinfo 'pypi.org'" in log
    assert "connect ('192.0.2.1', 80)" in log
    assert "127.0.0.1" not in log


@pytest.mark.slow
def test_kernels_inherit_the_guard_and_use_unix_sockets(tmp_path):
    nb = buildkit.FIXTURES / "net_nb.py"
    proc, log = guarded(tmp_path, f"""
        import os
        from analysis.run.executor import WarmKernel, execute
        print(f"parent pid={{os.getpid()}}")
        with WarmKernel(preload=("json",)) as kernel:
            result = execute({str(nb)!r}, {{}}, {str(tmp_path / "net.ipynb")!r}, kernel=kernel)
        assert result.ok, result.error_value
        for cell in result.notebook.cells:
            for output in cell.get("outputs", []):
                print(output.get("text", ""), end="")
    """)
    assert proc.returncode == 0, proc.stderr
    assert "transport=ipc" in proc.stdout, proc.stdout
    assert "refused: network disabled in tests" in proc.stdout, proc.stdout
    kernel_lines = [line for line in log.splitlines() if "192.0.2.1" in line]
    assert len(kernel_lines) == 1, log  # logged by the kernel process, not the parent
    parent = proc.stdout.split("parent pid=", 1)[1].split()[0]
    assert not kernel_lines[0].endswith(f"pid={parent}"), (kernel_lines, parent)


@pytest.mark.slow
def test_a_build_makes_no_network_attempt(tmp_path_factory):
    """The reference builds (shared with the fault and reproducibility tests) ran guarded."""
    for version in ("A", "B"):
        ref = buildkit.reference(tmp_path_factory, version)
        assert (ref.out / "final" / "son_dong" / "report.pdf").is_file()
        assert (ref.out / "final" / "bac_giang" / "report.html").is_file()
        assert ref.net_log.read_text() == "", ref.net_log.read_text()

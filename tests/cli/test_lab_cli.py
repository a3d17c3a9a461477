"""``equilibria lab``: the parser and ``import equilibria.lab`` load no web stack or JAX; the served lab prints its
URL, answers, warns about a non-loopback host, and stops cleanly (exit 0) on Ctrl-C; a taken port exits 2."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from equilibria.cli import main


def test_the_parser_and_the_lab_package_import_no_web_stack() -> None:
    program = ("import sys\nfrom equilibria.cli import build_parser\nbuild_parser()\nimport equilibria.lab\n"
               "print([m for m in ('starlette', 'uvicorn', 'jax', 'httpx') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_lab_help() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lab", "--help"]) == 0
    assert "--port" in out.getvalue() and "--reports" in out.getvalue() and "--host" in out.getvalue()


def test_a_taken_port_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["lab", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("equilibria: error: lab: cannot listen on 127.0.0.1:") and "\n" not in err
    assert main(["lab", "--port", "70000"]) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_serves_warns_and_stops_cleanly_on_ctrl_c(tmp_path: os.PathLike[str]) -> None:
    pytest.importorskip("uvicorn")
    child = subprocess.Popen([sys.executable, "-m", "equilibria", "lab", "--port", "0", "--host", "0.0.0.0",
                              "--reports", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("equilibria lab: serving on http://0.0.0.0:"), line
        port = int(line.split("http://0.0.0.0:")[1].split("/")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/limits", timeout=30) as response:
            assert json.load(response)["max_steps"] == 5000
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert "WARNING: serving on 0.0.0.0" in err and "Traceback" not in err

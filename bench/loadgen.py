"""HTTP load for home_requests: wrk when it is on PATH, else a small Python load generator.

The Python one runs several processes (one per simulated client, so the GIL does not cap it), each
with one http.client connection that is kept alive and reopened whenever the server closes it, as
gunicorn's sync workers do after every response. All clients start and stop on the same clock and
the figure is responses per second over that window.

Standalone: `python -m bench.loadgen http://127.0.0.1:8000/ --seconds 5 --clients 4`.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import re
import shutil
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

CLIENTS = 4


@dataclass
class LoadResult:
    requests_per_s: float
    ok: int
    bad: int  # responses outside 2xx/3xx
    errors: int  # connection or protocol errors
    seconds: float
    tool: str


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def load(url: str, *, seconds: float, clients: int = CLIENTS, tool: str | None = None) -> LoadResult:
    """Hammer one URL for `seconds` with `clients` concurrent connections."""
    tool = tool or ("wrk" if wrk_available() else "python")
    if tool == "wrk":
        return _wrk(url, seconds, clients)
    return _python(url, seconds, clients)


def _wrk(url: str, seconds: float, clients: int) -> LoadResult:
    # One wrk thread is plenty for a few thousand requests per second and leaves the second core
    # to the server.
    command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if rate is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    bad_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = int(bad_match.group(1)) if bad_match else 0
    # wrk counts a server closing a kept-alive connection as a read error; those requests were
    # answered, so only connect, write and timeout errors are failures.
    errors = sum(int(socket_errors.group(index)) for index in (1, 3, 4)) if socket_errors else 0
    requests = int(total.group(1))
    return LoadResult(float(rate.group(1)), requests - bad, bad, errors, seconds, "wrk")


def _python(url: str, seconds: float, clients: int) -> LoadResult:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Spawned, not forked: the caller may be a process with threads and open connections (pytest).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=clients, mp_context=context) as pool:
        # Every client starts at the same moment, after all have been spawned.
        start_at = time.time() + 1.0 + 0.2 * clients
        futures = [pool.submit(_client, parts.hostname or "127.0.0.1", parts.port or 80, path, start_at, seconds)
                   for _ in range(clients)]
        counts = [future.result() for future in futures]
    ok = sum(count[0] for count in counts)
    bad = sum(count[1] for count in counts)
    errors = sum(count[2] for count in counts)
    return LoadResult((ok + bad) / seconds, ok, bad, errors, seconds, "python")


def _client(host: str, port: int, path: str, start_at: float, seconds: float) -> tuple[int, int, int]:
    ok = bad = errors = 0
    connection = http.client.HTTPConnection(host, port, timeout=10)
    time.sleep(max(0.0, start_at - time.time()))
    end = start_at + seconds
    while time.time() < end:
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            response.read()
            if 200 <= response.status < 400:
                ok += 1
            else:
                bad += 1
            if response.will_close:
                connection.close()  # the next request opens a new connection
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
    connection.close()
    return ok, bad, errors


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description="Requests per second of one URL.")
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--tool", choices=("wrk", "python"))
    args = parser.parse_args()
    result = load(args.url, seconds=args.seconds, clients=args.clients, tool=args.tool)
    print(f"{result.requests_per_s:,.0f} req/s ({result.tool}; {result.ok} ok, {result.bad} non-2xx/3xx, "
          f"{result.errors} errors)")


if __name__ == "__main__":
    main()

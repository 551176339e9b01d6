"""The reference upstream of SPEC §9: pages rendered to bytes beforehand, served by the standard
library's HTTP server.

A benchmark that compares the product with "merely fetching the pages" must not be slowed by our
own simulator's page generation, so the pages are rendered once, by the project's simulator (its
`ses` dialect, over HTTP, as a sync would read them), into a directory; a server process of its
own (so its work shares no interpreter lock with the benchmark) loads them into memory and answers
each `GET {path}?…&recordsPerPage=N&page=P` with the bytes as they are — HTTP/1.1 keep-alive,
`ThreadingHTTPServer`, no authentication check, nothing else. A page past the end is `[]`.

    render_pages({"resources": 200_000}, page_size=50, out=Path("pages"))   # once
    with reference_server(Path("pages")) as (settings, pid):                # per benchmark
        ...  # `settings` point the product's Config at it, as Simulator.settings does

Also a script: `python benchmarks/verify_reference.py render DIR --resources 200000` and
`python benchmarks/verify_reference.py serve DIR --port N`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tui_inventory.simulator import Simulator

EMPTY = b"[]"


def render_pages(
    sizes: dict[str, int], *, page_size: int = 50, out: Path, seed: int = 1
) -> dict[str, Any]:
    """Render every page of the simulator's `ses` listings of `sizes` into `out`; returns (and
    writes to `out/index.json`) what the server needs: the page size, each path's page count and
    the simulator's settings (with its address, replaced by the server's when served)."""
    counts = {"services": 0, "carriers": 0, "resources": 0, **sizes}
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {"page_size": page_size, "paths": {}, "settings": {}}
    with Simulator(
        services=counts["services"],
        carriers=counts["carriers"],
        resources=counts["resources"],
        seed=seed,
    ) as sim:
        settings = sim.settings("ses")
        index["settings"] = {k: v for k, v in settings.items()}
        index["base_url"] = sim.base_url
        with httpx.Client(timeout=120) as client:
            for kind in (k for k, n in sizes.items() if n):
                api = "tmf639" if kind == "resources" else "tmf638"
                path = (
                    settings[f"{api}.url"].removeprefix(sim.base_url)
                    + settings[f"{api}.{kind}_path"]
                )
                auth = (sim.usernames[api], sim.passwords[api])
                page = 1
                while True:
                    reply = client.get(
                        sim.base_url + path,
                        params={"status": 1, "recordsPerPage": page_size, "page": page},
                        auth=auth,
                    )
                    reply.raise_for_status()
                    (out / f"{kind}-{page}.json").write_bytes(reply.content)
                    if len(reply.json()) < page_size:
                        break
                    page += 1
                index["paths"][path] = {"kind": kind, "pages": page}
    (out / "index.json").write_text(json.dumps(index))
    return index


def load(pages_dir: Path) -> tuple[int, dict[tuple[str, int], bytes]]:
    index = json.loads((pages_dir / "index.json").read_text())
    pages = {
        (path, n): (pages_dir / f"{info['kind']}-{n}.json").read_bytes()
        for path, info in index["paths"].items()
        for n in range(1, info["pages"] + 1)
    }
    return int(index["page_size"]), pages


def make_server(pages_dir: Path, port: int = 0) -> ThreadingHTTPServer:
    page_size, pages = load(pages_dir)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as any real server

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            try:
                number = int(query["page"][0])
                size = int(query["recordsPerPage"][0])
            except (KeyError, ValueError):
                self._send(400, b'{"error": "page and recordsPerPage are required"}')
                return
            if size != page_size:
                self._send(400, b'{"error": "rendered for another page size"}')
                return
            self._send(200, pages.get((url.path, number), EMPTY))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def reference_server(pages_dir: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """The server in a process of its own; yields the Config settings that point at it (the
    rendering simulator's, with the server's address) and the server's pid."""
    index = json.loads((pages_dir / "index.json").read_text())
    port = _free_port()
    script = [sys.executable, __file__, "serve", str(pages_dir), "--port", str(port)]
    proc = subprocess.Popen(script, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise SystemExit(f"the reference server did not start: {err}") from None
                time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        settings = {
            k: v.replace(index["base_url"], base) if isinstance(v, str) else v
            for k, v in index["settings"].items()
        }
        yield settings, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render")
    r.add_argument("dir", type=Path)
    for kind in ("services", "carriers", "resources"):
        r.add_argument(f"--{kind}", type=int, default=0)
    r.add_argument("--page-size", type=int, default=50)
    s = sub.add_parser("serve")
    s.add_argument("dir", type=Path)
    s.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.command == "render":
        sizes = {k: getattr(args, k) for k in ("services", "carriers", "resources")}
        render_pages(sizes, page_size=args.page_size, out=args.dir)
        return
    server = make_server(args.dir, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

"""Fetch an artifact from Maven Central into the stack cache, verified against the checksums Maven publishes."""

from __future__ import annotations

import hashlib
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

#: Checksum files Maven Central may publish beside an artifact, strongest first; each one found must match.
CHECKSUMS = ("sha512", "sha256", "sha1")
CHUNK = 1 << 20


class StackError(RuntimeError):
    """A stack component could not be installed, started, reached or stopped."""


def maven_url(repository: str, group: str, artifact: str, version: str, ext: str, classifier: str = "") -> str:
    """Return the URL of ``group:artifact:version[:classifier]@ext`` in a Maven repository."""
    name = f"{artifact}-{version}{'-' + classifier if classifier else ''}.{ext}"
    return f"{repository.rstrip('/')}/{group.replace('.', '/')}/{artifact}/{version}/{name}"


def _get(url: str, timeout: float) -> bytes | None:
    """The body at ``url``; None on 404 (a checksum kind not published); StackError on any other failure."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response's socket
        if exc.code == 404:
            return None
        raise StackError(f"GET {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise StackError(f"GET {url} failed: {exc}") from exc


def published_checksums(url: str, timeout: float = 30.0) -> dict[str, str]:
    """The checksums published beside ``url`` (algorithm -> lowercase hex); StackError if none is."""
    out: dict[str, str] = {}
    for algo in CHECKSUMS:
        body = _get(f"{url}.{algo}", timeout)
        if body is not None:
            out[algo] = body.decode().split()[0].strip().lower()
    if not out:
        raise StackError(f"no checksum ({', '.join(CHECKSUMS)}) is published for {url}; refusing to use it")
    return out


def download_verified(
    url: str, dest: Path, *, timeout: float = 60.0, progress: Callable[[str], None] | None = None
) -> dict[str, str]:
    """Download ``url`` to ``dest`` (atomically) and check it against every published checksum.

    Returns the verified checksums. A partial or mismatching download is deleted and raises StackError.
    """
    expected = published_checksums(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    hashers = {algo: hashlib.new(algo) for algo in expected}
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, part.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done, next_report = 0, 0.1
            while chunk := resp.read(CHUNK):
                out.write(chunk)
                for h in hashers.values():
                    h.update(chunk)
                done += len(chunk)
                if progress and total and done / total >= next_report:
                    progress(f"{dest.name}: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB")
                    next_report += 0.1
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise StackError(f"download of {url} failed: {exc}") from exc
    got = {algo: h.hexdigest() for algo, h in hashers.items()}
    bad = {algo: (got[algo], want) for algo, want in expected.items() if got[algo] != want}
    if bad:
        part.unlink(missing_ok=True)
        raise StackError(f"checksum mismatch for {url}: " + "; ".join(f"{a} got {g}, published {w}"
                                                                      for a, (g, w) in bad.items()))
    shutil.move(part, dest)
    if progress:
        progress(f"{dest.name}: verified {', '.join(sorted(got))} in {time.monotonic() - started:.0f} s")
    return got

"""The cadc.gradients/v1 files: per-shard .npy arrays written atomically with a completion marker
(written last, holding each file's sha256), the check that makes a restart skip complete shards, and
the merge that writes index.json."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from typing import Callable, Dict, List, Optional

import numpy as np

FORMAT = "cadc.gradients/v1"
# name → (dtype, description); shapes: traj [n, T, D], loss/sqnorm [n, T], the rest [n].
ARRAYS = {
    "traj": "float16",
    "loss": "float32",
    "sqnorm": "float32",
    "selfinf": "float32",
    "line": "int64",
    "record": "int64",
}


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomic(path: str, data: bytes) -> None:
    """Writes to a temporary file in the same folder, fsyncs, renames over `path`."""
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=d)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def clean_stale_temps(out_dir: str, prefixes: List[str]) -> None:
    """Removes temporary files a killed process left behind for the given shards."""
    for f in os.listdir(out_dir):
        if f.endswith(".tmp") and any(f.startswith(p) for p in prefixes):
            os.unlink(os.path.join(out_dir, f))


def shard_name(i: int) -> str:
    return f"shard-{i:05d}"


def marker_path(out_dir: str, i: int) -> str:
    return os.path.join(out_dir, shard_name(i) + ".json")


def write_shard(out_dir: str, i: int, arrays: Dict[str, np.ndarray], meta: dict, on_file: Optional[Callable[[str], None]] = None) -> dict:
    """Writes the shard's arrays, then its marker (the shard is complete once the marker exists)."""
    files = {}
    for key, dtype in ARRAYS.items():
        a = np.ascontiguousarray(arrays[key], dtype=dtype)
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        name = f"{shard_name(i)}.{key}.npy"
        data = buf.getvalue()
        write_atomic(os.path.join(out_dir, name), data)
        files[key] = {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "shape": list(a.shape), "dtype": dtype}
        if on_file:
            on_file(key)
    marker = {**meta, "files": files}
    write_atomic(marker_path(out_dir, i), (json.dumps(marker, indent=1, sort_keys=True) + "\n").encode())
    return marker


def complete_shard(out_dir: str, i: int, fingerprint: str) -> Optional[dict]:
    """The shard's marker when the shard is complete, made by this job configuration, and every file's
    sha256 matches; None otherwise (it will be recomputed)."""
    try:
        with open(marker_path(out_dir, i), "rb") as f:
            marker = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("fingerprint") != fingerprint or not isinstance(marker.get("files"), dict):
        return None
    for key in ARRAYS:
        entry = marker["files"].get(key)
        if not isinstance(entry, dict):
            return None
        p = os.path.join(out_dir, str(entry.get("file")))
        if not os.path.isfile(p) or os.path.getsize(p) != entry.get("bytes") or sha256_file(p) != entry.get("sha256"):
            return None
    return marker


def merge(out_dir: str, header: dict, n_shards: int, fingerprint: str) -> dict:
    """Checks every shard and writes index.json (deterministic: the same bytes whatever the rank count)."""
    shards = []
    covered = 0
    for i in range(n_shards):
        m = complete_shard(out_dir, i, fingerprint)
        if m is None:
            raise RuntimeError(f"{shard_name(i)} is missing, incomplete or does not match its checksums; rerun the job (complete shards are kept)")
        if m["samples"][0] != covered:
            raise RuntimeError(f"{shard_name(i)} starts at sample {m['samples'][0]}, expected {covered}")
        covered = m["samples"][1]
        shards.append({"name": shard_name(i), "samples": m["samples"], "lines": m["lines"], "files": m["files"]})
    if covered != header["dataset"]["samples"]:
        raise RuntimeError(f"the shards cover {covered} samples, the dataset has {header['dataset']['samples']}")
    index = {**header, "shards": shards}
    write_atomic(os.path.join(out_dir, "index.json"), (json.dumps(index, indent=1, sort_keys=True) + "\n").encode())
    return index


def load_arrays(out_dir: str, index: dict, key: str) -> np.ndarray:
    """One array over all shards, in sample order (for tests and small pools)."""
    return np.concatenate([np.load(os.path.join(out_dir, s["files"][key]["file"]), allow_pickle=False) for s in index["shards"]])

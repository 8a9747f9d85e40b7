"""Shared helpers for the job's tests: tiny checkpoints, running the job as real processes (one per
rank, with the env:// variables torchrun sets), comparing output folders byte for byte."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG))
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, PKG)

from cadc_gradients.tiny import TinyConfig, TinyVLM, save_checkpoint  # noqa: E402

LRS = [0.003, 0.001]


def make_checkpoints(folder: str, adam: bool = False):
    """Two checkpoints of the tiny model (the second a perturbed first), optionally with Adam states."""
    torch.manual_seed(0)
    m = TinyVLM(TinyConfig())
    paths, states = [], []
    for t in range(2):
        if t:
            with torch.no_grad():
                for p in m.parameters():
                    p.add_(0.05 * torch.randn_like(p))
        p = os.path.join(folder, f"ck{t}.pt")
        save_checkpoint(m, p)
        paths.append(p)
        if adam:
            st = {n + "": {"exp_avg": 1e-3 * torch.randn_like(w), "exp_avg_sq": 1e-6 * torch.rand_like(w)} for n, w in m.named_parameters()}
            sp = os.path.join(folder, f"adam{t}.pt")
            torch.save({"state": st, "betas": (0.9, 0.999), "eps": 1e-8}, sp)
            states.append(sp)
    return paths, states


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    return make_checkpoints(str(tmp_path_factory.mktemp("ck")))[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job_args(dataset: str, out: str, checkpoints, extra=()):
    args = ["run", dataset, "--out", out, "--model", "tiny", "--shard-size", "7", "--batch-size", "4", "--max-tokens", "96", "--dim", "64", "--threads", "1", "--timeout", "60"]
    for c, lr in zip(checkpoints, LRS):
        args += ["--checkpoint", c, "--lr", str(lr)]
    return args + list(extra)


def start_ranks(world: int, args, env_extra=None):
    """Starts `world` ranks of the job as torchrun would (MASTER_ADDR/PORT, RANK, WORLD_SIZE, LOCAL_RANK)."""
    port = free_port()
    procs = []
    for r in range(world):
        env = {**os.environ, "PYTHONPATH": PKG, "CADC_TEST": "1", "OMP_NUM_THREADS": "1"}
        if world > 1:
            env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(r), WORLD_SIZE=str(world), LOCAL_RANK=str(r), LOCAL_WORLD_SIZE=str(world))
        env.update((env_extra or {}).get(r, {}))
        procs.append(subprocess.Popen([sys.executable, "-m", "cadc_gradients", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def wait_all(procs, timeout=150):
    out = []
    for p in procs:
        try:
            o, e = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            o, e = p.communicate()
        out.append((p.returncode, o + e))
    return out


def run_job(world: int, args, env_extra=None):
    res = wait_all(start_ranks(world, args, env_extra))
    for code, log in res:
        assert code == 0, log
    return [log for _, log in res]


def folder_bytes(folder: str):
    """Every file of an output folder (name → bytes)."""
    return {f: open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder))}


@pytest.fixture(scope="session")
def one_rank(tmp_path_factory, checkpoints):
    """The job on the mixed fixture with one rank: the reference for the other runs."""
    out = str(tmp_path_factory.mktemp("one"))
    run_job(1, job_args(os.path.join(FIXTURES, "mixed.jsonl"), out, checkpoints))
    return out

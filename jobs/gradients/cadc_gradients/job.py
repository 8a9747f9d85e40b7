"""The distributed, resumable gradient job: env:// initialisation (torchrun, srun, any launcher that
sets RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT), fixed shards of the dataset assigned round-robin to the
ranks (so the files do not depend on the rank count), complete shards skipped on restart, rank 0
merges the index."""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import signal
import sys
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch

from . import JOB_VERSION
from .dataset import read_dataset
from .gradients import AdamStates, Projector, batch_gradients, hooked_layers
from .shards import FORMAT, clean_stale_temps, complete_shard, merge, shard_name, sha256_file, write_shard


@dataclass
class Checkpoint:
    path: str
    lr: float
    adam: Optional[str] = None  # optimizer states file (LESS preconditioning)


@dataclass
class JobConfig:
    dataset: str
    out: str
    checkpoints: List[Checkpoint]
    model: str = "tiny"  # "tiny" or "hf"
    base: Optional[str] = None  # hf: the base model (or processor) path when checkpoints are adapters
    layers: str = r"(q|k|v|o)_proj$"
    k_out: int = 16
    k_in: int = 16
    dim: int = 512  # 0: keep the concatenated k_out·k_in blocks
    seed: int = 0
    batch_size: int = 32
    max_tokens: int = 1024
    shard_size: int = 4096
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    threads: int = 0
    timeout: float = 1800.0
    image_root: Optional[str] = None
    log: bool = True
    merge_only: bool = False  # compute nothing: check the shards and write the index


def _log(cfg: JobConfig, rank: int, msg: str) -> None:
    if cfg.log:
        print(f"[rank {rank}] {msg}", file=sys.stderr, flush=True)


def _die_point(shard: int, point: str) -> None:
    """Test hook (CADC_TEST=1 only): CADC_GRADIENTS_DIE_AT=<shard>:<batch1|write> kills this process there."""
    if os.environ.get("CADC_TEST") == "1" and os.environ.get("CADC_GRADIENTS_DIE_AT") == f"{shard}:{point}":
        os.kill(os.getpid(), signal.SIGKILL)


def make_backend(cfg: JobConfig, device):
    if cfg.model == "tiny":
        from .tiny import TinyBackend

        return TinyBackend.from_checkpoint(cfg.checkpoints[0].path, device)
    if cfg.model == "hf":
        from .hf import HFBackend

        return HFBackend(cfg.base or cfg.checkpoints[0].path, device, image_root=cfg.image_root or os.path.dirname(os.path.abspath(cfg.dataset)))
    raise ValueError(f"unknown model backend {cfg.model!r} (tiny or hf)")


def compute_dtype(cfg: JobConfig, device) -> Optional[torch.dtype]:
    if cfg.dtype == "float32" or (cfg.dtype == "auto" and device.type != "cuda"):
        return None
    if cfg.dtype == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bfloat16": torch.bfloat16, "float16": torch.float16}[cfg.dtype]


def header_of(cfg: JobConfig, ds, backend, layers, projector, dtype) -> dict:
    def ck_entry(c: Checkpoint) -> dict:
        e = {"path": c.path, "lr": c.lr, "preconditioning": "adam" if c.adam else "none"}
        if os.path.isfile(c.path):
            e["sha256"] = sha256_file(c.path)
        if c.adam and os.path.isfile(c.adam):
            e["adamStatesSha256"] = sha256_file(c.adam)
        return e

    return {
        "format": FORMAT,
        "job": {"name": "cadc-gradients", "version": JOB_VERSION},
        "dataset": {"file": os.path.basename(ds.path), "sha256": ds.sha256, "bytes": ds.bytes, "lines": ds.lines, "records": ds.records, "samples": len(ds.samples), "container": ds.container},
        "model": backend.describe(),
        "checkpoints": [ck_entry(c) for c in cfg.checkpoints],
        "layers": {"pattern": cfg.layers, "modules": [{"name": s.name, "dOut": s.d_out, "dIn": s.d_in} for s in layers]},
        "projection": {"kind": "logra-factorised", "seed": cfg.seed, "kOut": cfg.k_out, "kIn": cfg.k_in, "dense": cfg.dim, "dim": projector.width},
        "trajectory": {"checkpoints": len(cfg.checkpoints), "dim": projector.width, "dtype": "float16", "normalised": True},
        "options": {"batchSize": cfg.batch_size, "maxTokens": cfg.max_tokens, "shardSize": cfg.shard_size, "computeDtype": str(dtype or torch.float32).replace("torch.", "")},
    }


def compute_shard(cfg, backend, projector, adams, samples, dtype, shard: int) -> dict:
    """The arrays of one shard: every checkpoint, batches of similar length, in a fixed order."""
    T, D, n = len(cfg.checkpoints), projector.width, len(samples)
    encoded = [backend.encode(s, cfg.max_tokens) for s in samples]
    order = sorted(range(n), key=lambda j: (-int(encoded[j]["input_ids"].shape[0]), j))
    g_all = np.zeros((n, T, D), dtype=np.float32)
    loss = np.zeros((n, T), dtype=np.float32)
    for t in range(T):
        model = backend.activate(t)
        for b0 in range(0, n, cfg.batch_size):
            idx = order[b0 : b0 + cfg.batch_size]
            batch = backend.collate([encoded[j] for j in idx])
            g, l = batch_gradients(backend, model, projector, batch, adams[t], dtype)
            g_all[idx, t] = g.cpu().numpy()
            loss[idx, t] = l.cpu().numpy()
            if b0 == 0 and t == 0:
                _die_point(shard, "batch1")
    sq = (g_all.astype(np.float64) ** 2).sum(axis=2)
    norms = np.sqrt(sq)
    traj = np.where(norms[..., None] > 0, g_all / np.maximum(norms, 1e-300)[..., None], 0.0)
    lrs = np.array([c.lr for c in cfg.checkpoints], dtype=np.float64)
    return {
        "traj": traj.astype(np.float16),
        "loss": loss,
        "sqnorm": sq.astype(np.float32),
        "selfinf": (sq * lrs[None]).sum(axis=1).astype(np.float32),
        "line": np.array([s.line for s in samples], dtype=np.int64),
        "record": np.array([s.record for s in samples], dtype=np.int64),
    }


def launcher_env(env=None) -> dict:
    """The torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK) this process runs under: torchrun's own,
    else derived from Slurm's srun variables, else none (one process). Reads `env`, never changes it."""
    env = os.environ if env is None else env
    if "RANK" not in env and "SLURM_PROCID" in env and "MASTER_ADDR" in env:
        return {"RANK": env["SLURM_PROCID"], "WORLD_SIZE": env.get("SLURM_NTASKS", "1"), "LOCAL_RANK": env.get("SLURM_LOCALID", "0")}
    return {k: env[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK") if k in env}


def ranks_from_env(env=None) -> tuple:
    """(rank, world size, local rank): torchrun's variables, else Slurm's (srun), else one process."""
    v = launcher_env(env)
    return int(v.get("RANK", "0")), int(v.get("WORLD_SIZE", "1")), int(v.get("LOCAL_RANK", "0"))


def run(cfg: JobConfig) -> Optional[dict]:
    """Runs this rank's share of the job; rank 0 returns the merged index."""
    rank, world, local = ranks_from_env()
    # torch's env:// rendezvous reads RANK/WORLD_SIZE from the environment: under Slurm, export the
    # values derived from its variables (this process only; nothing else reads them).
    os.environ.update(launcher_env())
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist = world > 1
    if dist:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo", init_method="env://", timeout=datetime.timedelta(seconds=cfg.timeout))
    try:
        os.makedirs(cfg.out, exist_ok=True)
        ds = read_dataset(cfg.dataset)
        backend = make_backend(cfg, device)
        backend.prepare([c.path for c in cfg.checkpoints])
        backend.model.eval()
        for p in backend.model.parameters():
            p.requires_grad_(False)
        layers = hooked_layers(backend.model, cfg.layers)
        projector = Projector(layers, cfg.seed, cfg.k_out, cfg.k_in, cfg.dim, device)
        adams = [AdamStates.load(c.adam, device) if c.adam else None for c in cfg.checkpoints]
        dtype = compute_dtype(cfg, device)
        header = header_of(cfg, ds, backend, layers, projector, dtype)
        fingerprint = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()
        n = len(ds.samples)
        n_shards = math.ceil(n / cfg.shard_size)
        mine = [i for i in range(n_shards) if i % world == rank]
        clean_stale_temps(cfg.out, [shard_name(i) + "." for i in mine])
        _log(cfg, rank, f"{n} samples, {n_shards} shards ({len(mine)} on this rank), {len(layers)} layers, D = {projector.width}, device {device}")
        for i in mine if not cfg.merge_only else []:
            if complete_shard(cfg.out, i, fingerprint) is not None:
                _log(cfg, rank, f"skip {shard_name(i)} (complete)")
                continue
            lo, hi = i * cfg.shard_size, min(n, (i + 1) * cfg.shard_size)
            arrays = compute_shard(cfg, backend, projector, adams, ds.samples[lo:hi], dtype, i)
            meta = {"fingerprint": fingerprint, "samples": [lo, hi], "lines": [ds.samples[lo].line, ds.samples[hi - 1].line]}
            write_shard(cfg.out, i, arrays, meta, on_file=lambda key, i=i: _die_point(i, "write") if key == "loss" else None)
            _log(cfg, rank, f"wrote {shard_name(i)} ({hi - lo} samples)")
        if dist:
            torch.distributed.barrier()
        index = None
        if rank == 0:
            header["samples"] = n
            index = merge(cfg.out, header, n_shards, fingerprint)
            _log(cfg, rank, f"wrote {os.path.join(cfg.out, 'index.json')}")
        if dist:
            torch.distributed.barrier()
        return index
    finally:
        if dist:
            torch.distributed.destroy_process_group()

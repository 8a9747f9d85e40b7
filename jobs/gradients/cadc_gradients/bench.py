"""`npm run bench:gradients`: the job on the tiny model on CPU (samples/s, bytes per sample) on the
repository's demo data, and, when CUDA is present, a SmolVLM-256M-shaped text stack (random weights) at
batch 8/32/64 on every GPU. Writes bench/results/gradients.json with the device named."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import torch

from . import JOB_VERSION
from .gradients import Projector, batch_gradients, hooked_layers
from .job import Checkpoint, JobConfig, run
from .tiny import TinyBackend, TinyConfig, TinyVLM, save_checkpoint

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# SmolVLM-256M's text model (SmolLM2-135M-shaped: 30 layers, d 576, 9 heads, MLP 1536); its SigLIP
# vision tower adds 12 layers × 4 projections, so the real model has 168 hooked layers to this 120.
SMOL = TinyConfig(d_model=576, n_heads=9, n_layers=30, d_ff=1536, d_vision=768, patches=64, max_positions=1024)


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_job(folder: str, samples: int, checkpoints: int, batch: int, max_tokens: int, dim: int) -> dict:
    """The whole job (read, encode, hooks, write shards, merge) on the first `samples` demo records."""
    data = os.path.join(folder, "pool.jsonl")
    with open(os.path.join(REPO, "demo", "demo.jsonl"), encoding="utf-8") as src, open(data, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= samples:
                break
            dst.write(line)
    torch.manual_seed(0)
    model = TinyVLM(TinyConfig())
    cks = []
    for t in range(checkpoints):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01 * torch.randn_like(p))
        path = os.path.join(folder, f"ck{t}.pt")
        save_checkpoint(model, path)
        cks.append(Checkpoint(path, 0.003 * (1 - t / checkpoints)))
    out = os.path.join(folder, f"out-b{batch}")
    cfg = JobConfig(dataset=data, out=out, checkpoints=cks, model="tiny", batch_size=batch, max_tokens=max_tokens, dim=dim, shard_size=256, log=False)
    t0 = time.perf_counter()
    index = run(cfg)
    secs = time.perf_counter() - t0
    n = index["samples"]
    total = sum(f["bytes"] for s in index["shards"] for f in s["files"].values())
    return {
        "model": "tiny", "device": "cpu", "samples": n, "checkpoints": checkpoints, "batch": batch, "maxTokens": max_tokens,
        "layers": len(index["layers"]["modules"]), "dim": index["trajectory"]["dim"], "seconds": round(secs, 2),
        "samplesPerSecond": round(n * checkpoints / secs, 1), "bytesPerSample": round(total / n, 1),
        "bytesPerSampleFormula": f"T*D*2 + T*8 + 20 = {checkpoints * index['trajectory']['dim'] * 2 + checkpoints * 8 + 20} + npy headers",
    }


def bench_gpu(batches, tokens: int, iters: int) -> list:
    """Samples/s per GPU on the SmolVLM-shaped stack: hooked, projected, batched backward (bf16)."""
    rows = []
    for dev in range(torch.cuda.device_count()):
        device = torch.device(f"cuda:{dev}")
        backend = TinyBackend(SMOL, device)
        for p in backend.model.parameters():
            p.requires_grad_(False)
        proj = Projector(hooked_layers(backend.model, r"(q|k|v|o)_proj$"), 0, 16, 16, 512, device)
        for b in batches:
            items = [{"input_ids": torch.randint(0, 256, (tokens,)), "labels": torch.randint(0, 256, (tokens,)), "patch_feats": torch.randn(tokens, SMOL.d_vision), "is_patch": torch.arange(tokens) < 64} for _ in range(b)]
            batch = backend.collate(items)
            batch_gradients(backend, backend.model, proj, batch, None, torch.bfloat16)
            torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            for _ in range(iters):
                batch_gradients(backend, backend.model, proj, batch, None, torch.bfloat16)
            torch.cuda.synchronize(device)
            rows.append({"model": "smolvlm-256m-text-shape", "device": torch.cuda.get_device_name(device), "gpu": dev, "batch": b, "tokens": tokens, "layers": len(proj.layers), "samplesPerSecond": round(b * iters / (time.perf_counter() - t0), 1)})
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="cadc_gradients.bench")
    p.add_argument("--out", help="results file (default: print only)")
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--checkpoints", type=int, default=4)
    p.add_argument("--batches", default="8,32")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    batches = [int(x) for x in a.batches.split(",")]
    with tempfile.TemporaryDirectory(prefix="cadc-grad-bench-") as folder:
        cpu = [bench_job(folder, a.samples, a.checkpoints, b, a.max_tokens, a.dim) for b in batches]
    result = {
        "bench": "gradients", "job": JOB_VERSION, "torch": torch.__version__, "python": platform.python_version(),
        "cpu": {"name": cpu_name(), "cores": os.cpu_count(), "threads": torch.get_num_threads(), "loadAverageAfter": [round(x, 2) for x in os.getloadavg()], "runs": cpu},
        "gpu": bench_gpu([8, 32, 64], 700, 5) if torch.cuda.is_available() else None,
    }
    text = json.dumps(result, indent=2) + "\n"
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            f.write(text)
        os.replace(a.out + ".tmp", a.out)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

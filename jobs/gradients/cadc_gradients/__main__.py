"""Command line: `python -m cadc_gradients run DATASET --out DIR --checkpoint PATH --lr LR …` (see README)."""
from __future__ import annotations

import argparse
import sys

from .dataset import DatasetError
from .job import Checkpoint, JobConfig, run


def parse(argv):
    p = argparse.ArgumentParser(prog="cadc_gradients", description="Per-sample projected gradient trajectories (cadc.gradients/v1).")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="compute this rank's shards (all ranks), then rank 0 writes index.json")
    r.add_argument("dataset")
    r.add_argument("--out", required=True, help="output folder (shards and index.json)")
    r.add_argument("--model", default="hf", choices=["hf", "tiny"], help="hf: transformers (+ peft); tiny: the test model")
    r.add_argument("--base", help="hf: the base model when the checkpoints are LoRA adapters")
    r.add_argument("--checkpoint", action="append", required=True, help="a checkpoint (model or adapter); repeat, in training order")
    r.add_argument("--lr", action="append", type=float, required=True, help="its learning rate η_t; one per --checkpoint")
    r.add_argument("--adam-states", action="append", help="optimizer states for LESS preconditioning; one per --checkpoint")
    r.add_argument("--layers", default=r"(q|k|v|o)_proj$", help="regex on Linear module names (re.search)")
    r.add_argument("--k-out", type=int, default=16)
    r.add_argument("--k-in", type=int, default=16)
    r.add_argument("--dim", type=int, default=512, help="final dimension D (0: keep layers × k_out × k_in)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--batch-size", type=int, default=32)
    r.add_argument("--max-tokens", type=int, default=1024)
    r.add_argument("--shard-size", type=int, default=4096)
    r.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    r.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    r.add_argument("--timeout", type=float, default=1800.0, help="seconds a rank waits for the others")
    r.add_argument("--image-root", help="folder image paths are relative to (default: the dataset's)")
    r.add_argument("--merge-only", action="store_true", help="compute nothing; check the shards and write index.json")
    a = p.parse_args(argv)
    if len(a.lr) != len(a.checkpoint):
        p.error("give one --lr per --checkpoint")
    if a.adam_states and len(a.adam_states) != len(a.checkpoint):
        p.error("give one --adam-states per --checkpoint, or none")
    cks = [Checkpoint(c, lr, a.adam_states[i] if a.adam_states else None) for i, (c, lr) in enumerate(zip(a.checkpoint, a.lr))]
    return JobConfig(
        dataset=a.dataset, out=a.out, checkpoints=cks, model=a.model, base=a.base, layers=a.layers, k_out=a.k_out, k_in=a.k_in,
        dim=a.dim, seed=a.seed, batch_size=a.batch_size, max_tokens=a.max_tokens, shard_size=a.shard_size, dtype=a.dtype,
        threads=a.threads, timeout=a.timeout, image_root=a.image_root, merge_only=a.merge_only,
    )


def main(argv=None) -> int:
    cfg = parse(sys.argv[1:] if argv is None else argv)
    try:
        run(cfg)
    except (DatasetError, RuntimeError, ValueError, KeyError, OSError) as e:
        print(f"cadc_gradients: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

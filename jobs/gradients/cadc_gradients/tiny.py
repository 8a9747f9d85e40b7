"""A tiny VLM-shaped model and its byte-level encoder: a vision stub producing patch embeddings and
a small causal transformer (attention q/k/v/o Linear layers, MLP, LM head). Used by the tests and the
CPU benchmark; a checkpoint is a torch.save'd {"config", "state_dict"} file."""
from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, USER, ASSISTANT, SYSTEM, IMAGE = 256, 257, 258, 259, 260, 261
VOCAB = 262
ROLE_TOKEN = {"user": USER, "assistant": ASSISTANT, "system": SYSTEM}


@dataclass
class TinyConfig:
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 64
    d_vision: int = 24
    patches: int = 4  # patch embeddings per image
    max_positions: int = 1024


class Attention(nn.Module):
    def __init__(self, c: TinyConfig):
        super().__init__()
        self.h = c.n_heads
        self.q_proj = nn.Linear(c.d_model, c.d_model)
        self.k_proj = nn.Linear(c.d_model, c.d_model)
        self.v_proj = nn.Linear(c.d_model, c.d_model)
        self.o_proj = nn.Linear(c.d_model, c.d_model)

    def forward(self, x, attention_mask):
        B, L, D = x.shape
        hd = D // self.h
        q = self.q_proj(x).view(B, L, self.h, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.h, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.h, hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        causal = torch.ones(L, L, dtype=torch.bool, device=x.device).tril()
        allowed = causal[None, None] & attention_mask[:, None, None, :].bool()
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(B, L, D))


class Block(nn.Module):
    def __init__(self, c: TinyConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(c.d_model)
        self.attn = Attention(c)
        self.ln2 = nn.LayerNorm(c.d_model)
        self.up = nn.Linear(c.d_model, c.d_ff)
        self.down = nn.Linear(c.d_ff, c.d_model)

    def forward(self, x, attention_mask):
        x = x + self.attn(self.ln1(x), attention_mask)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class TinyVLM(nn.Module):
    def __init__(self, c: TinyConfig):
        super().__init__()
        self.config = c
        self.vision = nn.Sequential(nn.Linear(c.d_vision, c.d_model), nn.GELU(), nn.Linear(c.d_model, c.d_model))
        self.embed = nn.Embedding(VOCAB, c.d_model)
        self.pos = nn.Embedding(c.max_positions, c.d_model)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model)
        self.lm_head = nn.Linear(c.d_model, VOCAB, bias=False)

    def forward(self, input_ids, attention_mask, patch_feats, is_patch):
        tok = self.embed(input_ids)
        vis = self.vision(patch_feats)
        x = torch.where(is_patch[..., None], vis, tok)
        x = x + self.pos(torch.arange(input_ids.shape[1], device=input_ids.device))[None]
        for layer in self.layers:
            x = layer(x, attention_mask)
        return self.lm_head(self.norm(x))


def image_patches(ref: str, c: TinyConfig) -> torch.Tensor:
    """The vision stub's input for one image reference: seeded by its name (no pixels needed)."""
    seed = int.from_bytes(hashlib.sha256(ref.encode("utf-8")).digest()[:8], "little") & ((1 << 63) - 1)
    return torch.randn(c.patches, c.d_vision, generator=torch.Generator().manual_seed(seed))


def encode(turns: Sequence, images: Sequence[str], c: TinyConfig, max_tokens: int) -> Dict[str, torch.Tensor]:
    """Token ids (bytes + role tokens), labels on the answer tokens only (-100 elsewhere), image patches first."""
    ids: List[int] = [BOS]
    labels: List[int] = [-100]
    feats = [image_patches(r, c) for r in images]
    n_patch = c.patches * len(images)
    ids += [IMAGE] * n_patch
    labels += [-100] * n_patch
    for role, text in turns:
        body = list(text.encode("utf-8"))
        ids.append(ROLE_TOKEN[role])
        labels.append(-100)
        ids += body
        labels += body if role == "assistant" else [-100] * len(body)
    limit = min(max_tokens, c.max_positions)
    ids, labels = ids[:limit], labels[:limit]
    is_patch = torch.zeros(len(ids), dtype=torch.bool)
    is_patch[1 : 1 + min(n_patch, len(ids) - 1)] = True
    pf = torch.zeros(len(ids), c.d_vision)
    if feats:
        allp = torch.cat(feats)[: int(is_patch.sum())]
        pf[1 : 1 + allp.shape[0]] = allp
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "patch_feats": pf, "is_patch": is_patch}


def collate(items: List[Dict[str, torch.Tensor]], device) -> Dict[str, torch.Tensor]:
    """Right-padded batch with its attention mask."""
    L = max(int(it["input_ids"].shape[0]) for it in items)
    B = len(items)
    d_v = items[0]["patch_feats"].shape[1]
    out = {
        "input_ids": torch.full((B, L), PAD, dtype=torch.long),
        "labels": torch.full((B, L), -100, dtype=torch.long),
        "attention_mask": torch.zeros(B, L, dtype=torch.long),
        "patch_feats": torch.zeros(B, L, d_v),
        "is_patch": torch.zeros(B, L, dtype=torch.bool),
    }
    for b, it in enumerate(items):
        n = it["input_ids"].shape[0]
        out["input_ids"][b, :n] = it["input_ids"]
        out["labels"][b, :n] = it["labels"]
        out["attention_mask"][b, :n] = 1
        out["patch_feats"][b, :n] = it["patch_feats"]
        out["is_patch"][b, :n] = it["is_patch"]
    return {k: v.to(device) for k, v in out.items()}


class TinyBackend:
    """The job's model interface for the tiny model: encode, collate, load a checkpoint, logits."""

    kind = "tiny"

    def __init__(self, config: TinyConfig, device):
        self.config = config
        self.device = device
        self.model = TinyVLM(config).to(device)

    @classmethod
    def from_checkpoint(cls, path: str, device):
        blob = torch.load(path, map_location="cpu")
        return cls(TinyConfig(**blob["config"]), device)

    def describe(self) -> dict:
        return {"backend": "tiny", "name": "tiny-vlm", "config": asdict(self.config)}

    def encode(self, sample, max_tokens: int):
        return encode(sample.turns, sample.images, self.config, max_tokens)

    def collate(self, items):
        return collate(items, self.device)

    def prepare(self, checkpoints) -> None:
        """Keeps every checkpoint's weights on the CPU so switching is a copy."""
        self._states = [torch.load(c, map_location="cpu")["state_dict"] for c in checkpoints]

    def activate(self, t: int):
        self.model.load_state_dict(self._states[t])
        return self.model

    def logits(self, model, batch):
        return model(batch["input_ids"], batch["attention_mask"], batch["patch_feats"], batch["is_patch"])


def save_checkpoint(model: TinyVLM, path: str) -> None:
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict()}, path)

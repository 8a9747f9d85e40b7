"""Per-sample projected gradients of chosen Linear layers (LoGra-style): forward hooks keep each
layer's input projected by P_in, hooks on the layer's output gradient project δ by P_out, and the
per-sample gradient Σ_t (P_out δ_t)(P_in x_t)ᵀ is formed in fp32 for the whole padded batch, padding
masked out. With Adam states (LESS) the full per-sample gradient is preconditioned, then projected."""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


def _generator(seed: int, name: str, side: str) -> torch.Generator:
    h = hashlib.sha256(f"{seed}:{name}:{side}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(h[:8], "little") & ((1 << 63) - 1))


@dataclass
class LayerSpec:
    name: str
    d_out: int
    d_in: int


def hooked_layers(model: nn.Module, pattern: str) -> List[LayerSpec]:
    """The Linear modules whose qualified name matches `pattern` (re.search), in model order."""
    rx = re.compile(pattern)
    out = [LayerSpec(n, m.out_features, m.in_features) for n, m in model.named_modules() if isinstance(m, nn.Linear) and rx.search(n)]
    if not out:
        raise ValueError(f"no Linear layer matches {pattern!r}")
    return out


class Projector:
    """Seeded factorised projection: per layer P_out (k_out × d_out), P_in (k_in × d_in), each N(0, 1/k),
    generated on the CPU from (seed, layer name) so every device and rank gets the same matrices; with
    dim > 0 a seeded dense N(0, 1/dim) map from the concatenated k_out·k_in blocks to dim."""

    def __init__(self, layers: List[LayerSpec], seed: int, k_out: int, k_in: int, dim: int, device):
        self.layers, self.seed, self.k_out, self.k_in, self.dim = layers, seed, k_out, k_in, dim
        self.p_out: Dict[str, torch.Tensor] = {}
        self.p_in: Dict[str, torch.Tensor] = {}
        self.dense: Dict[str, torch.Tensor] = {}
        for s in layers:
            self.p_out[s.name] = (torch.randn(k_out, s.d_out, generator=_generator(seed, s.name, "out")) / k_out**0.5).to(device)
            self.p_in[s.name] = (torch.randn(k_in, s.d_in, generator=_generator(seed, s.name, "in")) / k_in**0.5).to(device)
            if dim > 0:
                self.dense[s.name] = (torch.randn(k_out * k_in, dim, generator=_generator(seed, s.name, "dense")) / dim**0.5).to(device)

    @property
    def width(self) -> int:
        return self.dim if self.dim > 0 else len(self.layers) * self.k_out * self.k_in

    def project_full(self, name: str, g: torch.Tensor) -> torch.Tensor:
        """[B, d_out, d_in] full per-sample gradients → [B, k_out·k_in]."""
        return torch.einsum("ko,bod,id->bki", self.p_out[name], g, self.p_in[name]).reshape(g.shape[0], -1)

    def combine(self, blocks: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Per-layer [B, k_out·k_in] blocks → [B, width]."""
        if self.dim > 0:
            return sum(blocks[s.name] @ self.dense[s.name] for s in self.layers)
        return torch.cat([blocks[s.name] for s in self.layers], dim=1)


class AdamStates:
    """LESS's preconditioning: Γ(g) = m'/sqrt(v' + ε) with m' = β1 m + (1−β1) g, v' = β2 v + (1−β2) g²
    (LESS, obtain_gradients_with_adam). `states` maps "<module>.weight" to {"exp_avg", "exp_avg_sq"}."""

    def __init__(self, states: Dict[str, Dict[str, torch.Tensor]], betas=(0.9, 0.999), eps=1e-8, device="cpu"):
        self.m = {k: v["exp_avg"].float().to(device) for k, v in states.items()}
        self.v = {k: v["exp_avg_sq"].float().to(device) for k, v in states.items()}
        self.betas, self.eps = betas, eps

    @classmethod
    def load(cls, path: str, device):
        blob = torch.load(path, map_location="cpu")
        return cls(blob["state"], tuple(blob.get("betas", (0.9, 0.999))), float(blob.get("eps", 1e-8)), device)

    def apply(self, name: str, g: torch.Tensor) -> torch.Tensor:
        key = name + ".weight"
        if key not in self.m:
            raise KeyError(f"the optimizer states have no entry for {key}")
        b1, b2 = self.betas
        m = b1 * self.m[key] + (1 - b1) * g
        v = b2 * self.v[key] + (1 - b2) * g * g
        return m / torch.sqrt(v + self.eps)


class Capture:
    """Installs the hooks on the hooked layers of `model` for one forward/backward pass."""

    def __init__(self, model: nn.Module, projector: Projector, adam: Optional[AdamStates] = None):
        self.projector, self.adam = projector, adam
        self.modules = dict(model.named_modules())
        self.mask: Optional[torch.Tensor] = None  # [B, L] 1 for real tokens
        self.scale = 1.0  # static loss scale (fp16): output gradients are divided by it
        self.blocks: Dict[str, torch.Tensor] = {}
        self.zeros: List[torch.Tensor] = []
        self._handles = []

    def _hook(self, name: str):
        proj = self.projector

        def forward_hook(module, inputs, output):
            with torch.autocast(device_type=output.device.type, enabled=False):  # the hooks work in fp32
                mask = self.mask.to(torch.float32)[..., None]
                x = inputs[0].float() * mask
                saved = x if self.adam is not None else x @ proj.p_in[name].T  # [B, L, d_in] or [B, L, k_in]
            zero = torch.zeros((), device=output.device, requires_grad=True)
            self.zeros.append(zero)
            out = output + zero  # makes the output part of the graph even when no parameter needs grad

            def backward_hook(grad):
                d = grad.float() * mask
                if self.scale != 1.0:
                    d = d / self.scale
                if self.adam is not None:
                    g = torch.einsum("blo,bli->boi", d, saved)
                    self.blocks[name] = proj.project_full(name, self.adam.apply(name, g))
                else:
                    a = d @ proj.p_out[name].T  # [B, L, k_out]
                    self.blocks[name] = torch.einsum("blo,bli->boi", a, saved).reshape(d.shape[0], -1)

            out.register_hook(backward_hook)
            return out

        return forward_hook

    @contextmanager
    def installed(self):
        for s in self.projector.layers:
            self._handles.append(self.modules[s.name].register_forward_hook(self._hook(s.name)))
        try:
            yield self
        finally:
            for h in self._handles:
                h.remove()
            self._handles = []


def per_sample_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over each sample's answer tokens (labels != -100), next-token shifted; [B]."""
    lg = logits[:, :-1].float()
    lb = labels[:, 1:]
    ce = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), lb.reshape(-1), ignore_index=-100, reduction="none").view(lb.shape)
    n = (lb != -100).sum(dim=1)
    return ce.sum(dim=1) / n.clamp(min=1)


def batch_gradients(backend, model, projector: Projector, batch, adam: Optional[AdamStates] = None, autocast_dtype=None):
    """(projected gradients [B, width] fp32, losses [B] fp32) for one padded batch."""
    cap = Capture(model, projector, adam)
    cap.mask = batch["attention_mask"]
    cap.scale = 1024.0 if autocast_dtype == torch.float16 else 1.0
    with cap.installed():
        if autocast_dtype is not None:
            with torch.autocast(device_type=batch["input_ids"].device.type, dtype=autocast_dtype):
                logits = backend.logits(model, batch)
        else:
            logits = backend.logits(model, batch)
        losses = per_sample_loss(logits, batch["labels"])
        # Samples are independent in the batch, so d(Σ losses)/d(output) holds each sample's own δ.
        torch.autograd.grad(losses.sum() * cap.scale, cap.zeros, allow_unused=True)
    missing = [s.name for s in projector.layers if s.name not in cap.blocks]
    if missing:
        raise RuntimeError(f"no output gradient reached {missing[0]} (is it on the loss's path?)")
    return projector.combine(cap.blocks), losses.detach()


def reference_gradients(backend, model, projector: Projector, batch_of_one, adam: Optional[AdamStates] = None) -> torch.Tensor:
    """The explicit per-sample gradient (autograd on the weights, one unpadded sample) projected the same way: [width]."""
    mods = dict(model.named_modules())
    weights = [mods[s.name].weight for s in projector.layers]
    loss = per_sample_loss(backend.logits(model, batch_of_one), batch_of_one["labels"])[0]
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    blocks = {}
    for s, g in zip(projector.layers, grads):
        g = torch.zeros(s.d_out, s.d_in) if g is None else g.float()
        if adam is not None:
            g = adam.apply(s.name, g)
        blocks[s.name] = projector.project_full(s.name, g[None])
    return projector.combine(blocks)[0]

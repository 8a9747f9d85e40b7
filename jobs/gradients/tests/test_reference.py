"""The hooked, projected, batched per-sample gradients equal explicit per-sample autograd gradients
(one unpadded sample at a time) projected the same way, with padding and many lengths in one batch."""
import os

import pytest
import torch
from conftest import FIXTURES, make_checkpoints

from cadc_gradients.dataset import read_dataset
from cadc_gradients.gradients import AdamStates, Projector, batch_gradients, hooked_layers, per_sample_loss, reference_gradients
from cadc_gradients.tiny import TinyBackend, TinyConfig


def build(pattern=r"(q|k|v|o)_proj$", dim=0):
    torch.manual_seed(1)
    backend = TinyBackend(TinyConfig(), torch.device("cpu"))
    model = backend.model
    layers = hooked_layers(model, pattern)
    return backend, model, Projector(layers, seed=3, k_out=4, k_in=5, dim=dim, device="cpu")


def samples(n=9):
    return read_dataset(os.path.join(FIXTURES, "mixed.jsonl")).samples[:n]


@pytest.mark.parametrize("pattern,dim", [(r"(q|k|v|o)_proj$", 0), (r"(q|k|v|o)_proj$|up$|down$|lm_head|vision\.0", 48)])
def test_hooked_equals_explicit_per_sample(pattern, dim):
    backend, model, proj = build(pattern, dim)
    items = [backend.encode(s, 80) for s in samples()]
    lengths = {int(it["input_ids"].shape[0]) for it in items}
    assert len(lengths) >= 5, lengths  # several sequence lengths, so most rows are padded
    g, losses = batch_gradients(backend, model, proj, backend.collate(items))
    assert g.shape == (len(items), proj.width)
    for b, it in enumerate(items):
        one = backend.collate([it])
        ref = reference_gradients(backend, model, proj, one)
        ref_loss = per_sample_loss(backend.logits(model, one), one["labels"])[0]
        assert torch.allclose(g[b], ref, rtol=1e-4, atol=1e-6), (b, (g[b] - ref).abs().max())
        assert torch.allclose(losses[b], ref_loss, rtol=1e-5)
        assert ref.norm() > 0


def test_padding_does_not_leak_between_samples():
    backend, model, proj = build()
    items = [backend.encode(s, 80) for s in samples(4)]
    alone = batch_gradients(backend, model, proj, backend.collate(items[:1]))[0][0]
    for others in (items[1:2], items[1:]):
        together = batch_gradients(backend, model, proj, backend.collate([items[0], *others]))[0][0]
        assert torch.allclose(alone, together, rtol=1e-4, atol=1e-6)


def test_adam_preconditioned_equals_explicit(tmp_path):
    backend, model, proj = build()
    _, states = make_checkpoints(str(tmp_path), adam=True)
    blob = torch.load(states[0])
    st = {k: v for k, v in blob["state"].items()}
    adam = AdamStates(st)
    items = [backend.encode(s, 80) for s in samples(5)]
    g, _ = batch_gradients(backend, model, proj, backend.collate(items), adam)
    plain, _ = batch_gradients(backend, model, proj, backend.collate(items))
    for b, it in enumerate(items):
        ref = reference_gradients(backend, model, proj, backend.collate([it]), adam)
        assert torch.allclose(g[b], ref, rtol=1e-4, atol=1e-6)
    assert not torch.allclose(g, plain, rtol=1e-2)  # the preconditioning changes the vectors


def test_projection_is_seeded_and_device_independent():
    _, model, _ = build()
    layers = hooked_layers(model, r"q_proj$")
    a = Projector(layers, 5, 4, 4, 16, "cpu")
    b = Projector(layers, 5, 4, 4, 16, "cpu")
    c = Projector(layers, 6, 4, 4, 16, "cpu")
    n = layers[0].name
    assert torch.equal(a.p_out[n], b.p_out[n]) and torch.equal(a.dense[n], b.dense[n])
    assert not torch.equal(a.p_in[n], c.p_in[n])


def test_no_layer_matches():
    _, model, _ = build()
    with pytest.raises(ValueError, match="no Linear layer matches"):
        hooked_layers(model, r"nothing_here$")


def test_bfloat16_autocast_accumulates_in_fp32_close_to_fp32():
    backend, model, proj = build()
    batch = backend.collate([backend.encode(s, 80) for s in samples(6)])
    ref, ref_loss = batch_gradients(backend, model, proj, batch)
    g, losses = batch_gradients(backend, model, proj, batch, None, torch.bfloat16)
    assert g.dtype == torch.float32 and losses.dtype == torch.float32
    cos = torch.nn.functional.cosine_similarity(g, ref, dim=1)
    assert (cos > 0.98).all(), cos
    assert torch.allclose(losses, ref_loss, rtol=0.05)
    assert not torch.equal(g, ref)  # it did compute in bfloat16

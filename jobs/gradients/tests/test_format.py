"""The output folder is cadc.gradients/v1: index.json validates against the JSON Schema (ajv, as the
engine validates manifests), the arrays have the documented dtypes and shapes, trajectories are unit
rows, self-influence is Σ_t η_t ‖g̃_t‖², and every valid sample of the dataset is covered once."""
import json
import os
import subprocess

import numpy as np
import pytest
from conftest import FIXTURES, LRS, REPO

from cadc_gradients.dataset import read_dataset
from cadc_gradients.shards import load_arrays, sha256_file

SCHEMA = os.path.join(REPO, "schemas", "cadc.gradients.v1.schema.json")
VALIDATE = """
const Ajv2020 = require('ajv/dist/2020').default;
const fs = require('fs');
const v = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')));
const ok = v(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
console.log(JSON.stringify({ ok, errors: v.errors }));
"""


def validate(index_path):
    if not os.path.isdir(os.path.join(REPO, "node_modules", "ajv")):
        pytest.skip("node_modules is not installed")
    r = subprocess.run(["node", "-e", VALIDATE, SCHEMA, index_path], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def test_index_validates_and_describes_the_run(one_rank):
    path = os.path.join(one_rank, "index.json")
    assert validate(path) == {"ok": True, "errors": None}
    index = json.load(open(path))
    ds = read_dataset(os.path.join(FIXTURES, "mixed.jsonl"))
    assert index["dataset"]["sha256"] == sha256_file(ds.path) == ds.sha256
    assert (index["dataset"]["lines"], index["dataset"]["samples"]) == (ds.lines, len(ds.samples))
    assert [c["lr"] for c in index["checkpoints"]] == LRS
    assert index["trajectory"] == {"checkpoints": 2, "dim": 64, "dtype": "float16", "normalised": True}
    assert [m["name"] for m in index["layers"]["modules"]][:2] == ["layers.0.attn.q_proj", "layers.0.attn.k_proj"]
    for s in index["shards"]:
        for f in s["files"].values():
            assert sha256_file(os.path.join(one_rank, f["file"])) == f["sha256"]


def test_schema_rejects_a_broken_index(one_rank, tmp_path):
    index = json.load(open(os.path.join(one_rank, "index.json")))
    del index["shards"][0]["files"]["traj"]
    index["dataset"]["sha256"] = "not-a-hash"
    bad = tmp_path / "index.json"
    bad.write_text(json.dumps(index))
    res = validate(str(bad))
    assert res["ok"] is False
    paths = {e["instancePath"] for e in res["errors"]}
    assert "/dataset/sha256" in paths and "/shards/0/files" in paths


def test_arrays_cover_every_sample_once(one_rank):
    index = json.load(open(os.path.join(one_rank, "index.json")))
    ds = read_dataset(os.path.join(FIXTURES, "mixed.jsonl"))
    n = len(ds.samples)
    traj = load_arrays(one_rank, index, "traj")
    loss, sq, si = (load_arrays(one_rank, index, k) for k in ("loss", "sqnorm", "selfinf"))
    line, record = load_arrays(one_rank, index, "line"), load_arrays(one_rank, index, "record")
    assert traj.dtype == np.float16 and traj.shape == (n, 2, 64)
    assert loss.dtype == np.float32 and loss.shape == (n, 2) and sq.shape == (n, 2) and si.shape == (n,)
    assert line.tolist() == [s.line for s in ds.samples] and record.tolist() == [s.record for s in ds.samples]
    assert len(set(line.tolist())) == n
    norms = np.linalg.norm(traj.astype(np.float64), axis=2)
    assert np.allclose(norms, 1, atol=2e-3)
    assert np.allclose(si, (sq * np.array(LRS)).sum(axis=1), rtol=1e-6)
    assert (loss > 0).all() and (sq > 0).all()
    assert not np.allclose(traj[:, 0], traj[:, 1], atol=1e-2)  # the two checkpoints differ

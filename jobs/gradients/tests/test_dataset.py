"""The Python reader keeps the TypeScript reader's semantics (src/core/dataset/reader.ts): the same
valid samples with the same 1-based start lines and record indices, the same sha256 and line count,
on the repository's real datasets and on hostile records."""
import glob
import json
import os
import subprocess

import pytest
from conftest import FIXTURES, REPO

from cadc_gradients.dataset import DatasetError, read_dataset

TS = """
const m = await import('./src/core/dataset/reader.ts');
const readDataset = m.readDataset ?? m.default.readDataset;
const out = [];
for (const f of process.argv.slice(1)) {
  const rows = [];
  const s = await readDataset(f, { checkImages: false }, (x) => rows.push([x.line, x.recordIndex, x.turns.map((t) => [t.role, t.text]), x.images.map((i) => i.raw)]));
  out.push({ sha256: s.sha256, lines: s.lines, records: s.records, container: s.container, rows });
}
console.log(JSON.stringify(out));
"""

FILES = [os.path.join(REPO, "demo", "demo.jsonl"), *sorted(glob.glob(os.path.join(REPO, "test", "fixtures", "formats", "*.json*"))), *sorted(glob.glob(os.path.join(FIXTURES, "mixed.json*")))]


def test_same_samples_as_the_typescript_reader():
    if not os.path.isdir(os.path.join(REPO, "node_modules", "tsx")):
        pytest.skip("node_modules is not installed")
    r = subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", TS, *FILES], cwd=REPO, capture_output=True, text=True, check=True)
    expected = json.loads(r.stdout)
    assert len(expected) == len(FILES) >= 5
    for f, want in zip(FILES, expected):
        ds = read_dataset(f)
        got = {"sha256": ds.sha256, "lines": ds.lines, "records": ds.records, "container": ds.container, "rows": [[s.line, s.record, [list(t) for t in s.turns], s.images] for s in ds.samples]}
        assert got == want, f


def test_identity_is_the_line_or_the_array_index():
    jl = read_dataset(os.path.join(FIXTURES, "mixed.jsonl"))
    raw = open(jl.path, encoding="utf-8").read().split("\n")
    for s in jl.samples:  # JSONL: the 1-based line holds the record
        assert json.loads(raw[s.line - 1]) is not None
    assert 4 not in [s.line for s in jl.samples]  # the blank line
    arr = read_dataset(os.path.join(FIXTURES, "mixed.json"))
    assert arr.container == "json-array"
    whole = json.loads(open(arr.path).read())
    assert [s.record for s in arr.samples] == [0, 1, 2, 3, 4, 5, 7]  # 6 is a number, 8 has no answer
    assert len(whole) == 9


def test_not_a_dataset(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text('\n{"foo": 1}\n')
    with pytest.raises(DatasetError, match="no usable record"):
        read_dataset(str(p))

"""Ranks started as torchrun starts them (env://, gloo on CPU): 2 ranks write the same files as 1; a
rank killed mid-shard (SIGKILL) or mid-write, then restarted, resumes and gives the identical result;
a corrupted shard is recomputed; the merge refuses an incomplete folder."""
import json
import os
import shutil

from conftest import FIXTURES, folder_bytes, job_args, run_job, start_ranks, wait_all

DATASET = os.path.join(FIXTURES, "mixed.jsonl")


def test_two_ranks_equal_one(one_rank, checkpoints, tmp_path):
    out = str(tmp_path / "two")
    logs = run_job(2, job_args(DATASET, out, checkpoints))
    assert "shards (2 on this rank)" in logs[0] and "shards (2 on this rank)" in logs[1]
    assert "wrote shard-00001" in logs[1] and "wrote shard-00001" not in logs[0]  # sharded by rank
    ref, got = folder_bytes(one_rank), folder_bytes(out)
    assert sorted(ref) == sorted(got)
    assert len([f for f in ref if f.endswith(".npy")]) == 4 * 6
    for name in ref:
        assert got[name] == ref[name], name


def test_killed_rank_resumes_to_identical_result(one_rank, checkpoints, tmp_path):
    out = str(tmp_path / "killed")
    args = job_args(DATASET, out, checkpoints)
    # Rank 1 owns shards 1 and 3: it is killed (SIGKILL) after the first batch of shard 3.
    res = wait_all(start_ranks(2, args, {1: {"CADC_GRADIENTS_DIE_AT": "3:batch1"}}))
    assert res[1][0] == -9, res[1]
    assert res[0][0] != 0  # rank 0 cannot finish without its peer
    assert os.path.exists(os.path.join(out, "shard-00001.json")) and not os.path.exists(os.path.join(out, "shard-00003.json"))
    assert not os.path.exists(os.path.join(out, "index.json"))
    logs = run_job(2, args)
    assert "skip shard-00000 (complete)" in logs[0] and "skip shard-00002 (complete)" in logs[0]
    assert "skip shard-00001 (complete)" in logs[1] and "wrote shard-00003" in logs[1]
    assert folder_bytes(out) == folder_bytes(one_rank)


def test_killed_mid_write_and_corrupted_shard_are_recomputed(one_rank, checkpoints, tmp_path):
    out = str(tmp_path / "midwrite")
    args = job_args(DATASET, out, checkpoints)
    res = wait_all(start_ranks(1, args, {0: {"CADC_GRADIENTS_DIE_AT": "2:write"}}))
    assert res[0][0] == -9
    left = sorted(f for f in os.listdir(out) if f.startswith("shard-00002"))
    assert left == ["shard-00002.loss.npy", "shard-00002.traj.npy"]  # files without their marker
    # A complete shard damaged on disk must not be trusted either.
    p = os.path.join(out, "shard-00000.traj.npy")
    data = bytearray(open(p, "rb").read())
    data[-1] ^= 0xFF
    open(p, "wb").write(bytes(data))
    log = run_job(1, args)[0]
    assert "skip shard-00001 (complete)" in log
    assert "wrote shard-00000" in log and "wrote shard-00002" in log and "wrote shard-00003" in log
    assert folder_bytes(out) == folder_bytes(one_rank)


def test_changed_options_do_not_reuse_shards(one_rank, checkpoints, tmp_path):
    out = str(tmp_path / "changed")
    shutil.copytree(one_rank, out)
    log = run_job(1, job_args(DATASET, out, checkpoints, ["--seed", "9"]))[0]
    assert "skip" not in log and "wrote shard-00000" in log
    assert json.load(open(os.path.join(out, "index.json")))["projection"]["seed"] == 9


def test_merge_only_refuses_a_missing_shard(one_rank, checkpoints, tmp_path):
    out = str(tmp_path / "missing")
    shutil.copytree(one_rank, out)
    os.unlink(os.path.join(out, "shard-00002.json"))
    os.unlink(os.path.join(out, "index.json"))
    res = wait_all(start_ranks(1, job_args(DATASET, out, checkpoints, ["--merge-only"])))
    assert res[0][0] == 1
    assert "shard-00002 is missing, incomplete or does not match its checksums" in res[0][1]
    assert not os.path.exists(os.path.join(out, "index.json"))

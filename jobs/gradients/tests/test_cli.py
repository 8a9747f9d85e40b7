"""The command line and the launcher variables: Slurm's srun variables stand in for torchrun's, and
mismatched checkpoint options are refused before anything runs."""
import os

import pytest

from cadc_gradients.__main__ import parse
from cadc_gradients.job import ranks_from_env


def test_slurm_variables_map_to_ranks(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SLURM_PROCID", "11")
    monkeypatch.setenv("SLURM_NTASKS", "16")
    monkeypatch.setenv("SLURM_LOCALID", "3")
    monkeypatch.setenv("MASTER_ADDR", "node-a")
    assert ranks_from_env() == (11, 16, 3)
    # Reading the launcher's variables never changes the environment (later ranks started from this
    # process would otherwise inherit a world size of 16).
    assert "RANK" not in os.environ and "WORLD_SIZE" not in os.environ


def test_torchrun_variables_win_and_default_is_one_process(monkeypatch):
    monkeypatch.setenv("SLURM_PROCID", "5")
    monkeypatch.setenv("MASTER_ADDR", "node-a")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert ranks_from_env() == (1, 2, 1)
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(k)
    assert ranks_from_env() == (0, 1, 0)


def test_checkpoints_pair_with_learning_rates(capsys):
    cfg = parse(["run", "d.jsonl", "--out", "o", "--checkpoint", "a", "--lr", "0.1", "--checkpoint", "b", "--lr", "0.05", "--adam-states", "sa", "--adam-states", "sb"])
    assert [(c.path, c.lr, c.adam) for c in cfg.checkpoints] == [("a", 0.1, "sa"), ("b", 0.05, "sb")]
    with pytest.raises(SystemExit):
        parse(["run", "d.jsonl", "--out", "o", "--checkpoint", "a", "--checkpoint", "b", "--lr", "0.1"])
    assert "one --lr per --checkpoint" in capsys.readouterr().err

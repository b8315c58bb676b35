"""PyTorch (CPU) runner, run in ``bench/envs/torch``: the bench's workloads with a plain
training loop (shuffle, slice, forward, cross-entropy, backward, Adam step), same protocol
as ``layerflow_runner.py`` (see ``bench/common.py``).

The models end in logits and use ``CrossEntropyLoss`` on one-hot targets (softmax +
categorical cross-entropy, as PyTorch users write it). Images are NCHW (C=1: same numbers).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import common  # noqa: E402
import numpy as np  # noqa: E402
import workloads  # noqa: E402


def framework() -> str:
    """The row label, e.g. ``torch 2.13.0 cpu``."""
    import torch

    return f"torch {torch.__version__.split('+')[0]} cpu"


class _LastLSTM:
    """Factory of an LSTM module that returns the last step's hidden state."""

    @staticmethod
    def make():
        import torch

        class LastLSTM(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(32, 128, batch_first=True)
                self.out = torch.nn.Linear(128, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.out(h[-1])

        return LastLSTM()


def build(name: str):
    """The model of workload ``name`` (logits out)."""
    import torch
    from torch import nn

    torch.manual_seed(workloads.SEED)
    if name == "W1":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    if name == "W2":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    return _LastLSTM.make()


def _data(config: dict, name: str, n: int):
    import torch

    x, y = workloads.load(config["data_dir"], name)
    x, y = x[:n], y[:n]
    if name == "W2":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return torch.from_numpy(x), torch.from_numpy(y)


def _epoch(model, opt, x, y, batch: int) -> None:
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(x))
    model.train()
    for start in range(0, len(x), batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    loss.item()


def _train(name: str, config: dict) -> list:
    import torch

    n = config["sizes"][name]["samples"]
    batch = workloads.SHAPES[name]["batch"]
    x, y = _data(config, name, n)
    model = build(name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    warm = common.warm_count(n, batch)
    values = common.train_throughput(lambda: _epoch(model, opt, x, y, batch),
                                     lambda: _epoch(model, opt, x[:warm], y[:warm], batch),
                                     n, config["sizes"]["repeats"])
    return [common.row(name, framework(), "samples/s", True, values)]


def _predict(config: dict) -> list:
    import torch

    x, _ = workloads.load(config["data_dir"], "W1")
    model = build("W1").eval()
    calls, repeats = config["sizes"]["p1_calls"], config["sizes"]["repeats"]

    def predict(a):
        with torch.no_grad():
            return torch.softmax(model(torch.from_numpy(a)), -1).numpy()

    one, big = x[:1], x[:1024]
    return [common.row("P1 predict b1", framework(), "us", False,
                       common.latency_us(lambda: predict(one), calls, repeats),
                       note="no_grad forward"),
            common.row("P1 model(x) b1", framework(), "us", False, common.latency_us(
                lambda: torch.softmax(model(torch.from_numpy(one)), -1).detach().numpy(),
                calls, repeats)),
            common.row("P1 predict b1024", framework(), "us", False,
                       common.latency_us(lambda: predict(big), max(calls // 20, 5), repeats))]


def _eager(config: dict) -> list:
    import torch

    sizes = config["sizes"]
    rng = np.random.default_rng(workloads.SEED)
    small = [torch.from_numpy(rng.random((10, 10), dtype=np.float32)) for _ in range(2)]
    big = [torch.from_numpy(rng.random((1024, 1024), dtype=np.float32)) for _ in range(2)]
    return [common.row("E1 add 10x10", framework(), "us", False, common.block_time_us(
                lambda: torch.add(*small), sizes["e1_small"], sizes["repeats"])),
            common.row("E1 matmul 1024", framework(), "us", False, common.block_time_us(
                lambda: torch.matmul(*big), sizes["e1_big"], sizes["repeats"]))]


def _load(config: dict) -> list:
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                          nn.Linear(2048, 10))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        torch.save(model.state_dict(), path)
        values = []
        for _ in range(config["sizes"]["repeats"] + 1):
            start = time.perf_counter()
            fresh = nn.Sequential(nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048),
                                  nn.ReLU(), nn.Linear(2048, 10))
            fresh.load_state_dict(torch.load(path))
            values.append((time.perf_counter() - start) * 1e3)
    return [common.row("L1 load 20MB", framework(), "ms", False, values[1:],
                       note="state_dict (+ init)")]


def _memory(config: dict) -> list:
    import torch

    n = config["sizes"]["mem_samples"]
    x, y = _data(config, "W1", n)
    model = build("W1")
    _epoch(model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y, 128)
    return [common.row("MEM peak RSS W1", framework(), "MiB", False, [common.peak_rss_mb()])]


def run_workload(name: str, config: dict) -> list:
    """Rows of workload ``name`` on PyTorch CPU."""
    if name in ("W1", "W2", "W3"):
        return _train(name, config)
    return {"P1": _predict, "E1": _eager, "L1": _load, "MEM": _memory}[name](config)


if __name__ == "__main__":
    common.main(framework, run_workload)

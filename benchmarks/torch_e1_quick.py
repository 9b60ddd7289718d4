"""E1's quick form in PyTorch, as a whole process: the work `noether reproduce E1 --quick` trains.

Eight runs (experiments/E1.yaml's quick form: arms init-0.01 and init-10 and the control
one-init-scale's two arms, seeds 0 and 1) of a two-layer ReLU network 20-32-1 (PyTorch's default
initialisation times the init scale) on the staircase x₁ + x₁x₂ + x₁x₂x₃ over {±1}²⁰ (1000
training and 500 test samples), mean squared error, SGD, batch 100 from a per-epoch shuffle,
train and test loss every 50 steps, stopping at the first evaluation whose training loss is
≤ 0.01:

| arm | init scale | learning rate | step budget |
|---|---|---|---|
| init-0.01 | 0.01 | 0.05 | 1500 |
| init-10 | 10 | 0.0002 | 40000 (never stops early: the two runs that dominate) |
| control, both arms | 1 | 0.02 | 8000 |

Noether does more in the same run (symmetry tracking every 50 steps, checkpoints, metrics files,
the report, the run store); this is the bare training. Runs one after another on 2 threads, as
`noether reproduce E1 --quick` runs them two at a time.
"""
import argparse
import time

START = time.perf_counter()

import torch  # noqa: E402
from torch import nn  # noqa: E402


def staircase(n, dimension, degree, generator):
    x = torch.randint(0, 2, (n, dimension), generator=generator).float() * 2 - 1
    y = torch.zeros(n)
    term = torch.ones(n)
    for i in range(degree):
        term = term * x[:, i]
        y = y + term
    return x, y[:, None]


RUNS = [(0.01, 0.05, 1500), (10.0, 0.0002, 40000), (1.0, 0.02, 8000), (1.0, 0.02, 8000)]


def run(scale, learning_rate, steps, seed=0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x, y = staircase(1000, 20, 3, generator)
    x_test, y_test = staircase(500, 20, 3, generator)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss = nn.MSELoss()
    order = torch.randperm(1000, generator=generator)
    position = 0
    history = []
    for step in range(1, steps + 1):
        if position + 100 > 1000:
            order, position = torch.randperm(1000, generator=generator), 0
        batch = order[position:position + 100]
        position += 100
        optimizer.zero_grad(set_to_none=True)
        loss(model(x[batch]), y[batch]).backward()
        optimizer.step()
        if step % 50 == 0:
            with torch.no_grad():
                history.append((step, loss(model(x), y).item(), loss(model(x_test), y_test).item()))
            if history[-1][1] <= 0.01:
                break
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="E1's quick form in PyTorch.")
    parser.add_argument("--threads", type=int, default=2)
    torch.set_num_threads(parser.parse_args().threads)
    finals = [run(*arm, seed=seed)[-1] for seed in (0, 1) for arm in RUNS]
    print("steps " + ", ".join(str(final[0]) for final in finals) + "; test losses "
          + ", ".join(f"{final[2]:.3g}" for final in finals) + f"; {time.perf_counter() - START:.2f} s in-process")

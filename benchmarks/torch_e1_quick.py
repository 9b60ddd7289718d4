"""E1's quick form in PyTorch, as a whole process: the work `noether reproduce E1 --quick` trains.

Two runs of a two-layer ReLU network 20-32-1 (PyTorch's default initialisation times the init
scale, 0.01 and 1) on the staircase x₁ + x₁x₂ + x₁x₂x₃ over {±1}²⁰ (1000 training and 500 test
samples), mean squared error, SGD with learning rate 0.05, batch 100 from a per-epoch shuffle,
1500 steps, train and test loss every 50 steps. Noether does more in the same run (symmetry
tracking every 50 steps, checkpoints, metrics files, the report); this is the bare training.
"""
import time

START = time.perf_counter()

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(2)


def staircase(n, dimension, degree, generator):
    x = torch.randint(0, 2, (n, dimension), generator=generator).float() * 2 - 1
    y = torch.zeros(n)
    term = torch.ones(n)
    for i in range(degree):
        term = term * x[:, i]
        y = y + term
    return x, y[:, None]


def run(scale, seed=0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x, y = staircase(1000, 20, 3, generator)
    x_test, y_test = staircase(500, 20, 3, generator)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss = nn.MSELoss()
    order = torch.randperm(1000, generator=generator)
    position = 0
    history = []
    for step in range(1, 1501):
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
    return history


if __name__ == "__main__":
    finals = [run(scale)[-1] for scale in (0.01, 1.0)]
    print(f"test losses {finals[0][2]:.3g} (init 0.01), {finals[1][2]:.3g} (init 1); "
          f"{time.perf_counter() - START:.2f} s in-process")

"""PyTorch modules that mirror Noether's model specs: the same parameter names, orientation and
computation (the README's "Exchanging weights with PyTorch"), so a Noether checkpoint loads with
`load_state_dict(..., strict=True)`. Used by scripts/pytorch_parity.py and
benchmarks/side_by_side.py.
"""
import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "identity": nn.Identity,
    "sin": lambda: Lambda(torch.sin),
}


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


def activation(name, slope=0.01):
    return nn.LeakyReLU(slope) if name == "leaky_relu" else ACTIVATIONS[name]()


class GatedLinear(nn.Module):
    """v ⊙ (W x) + b with a DCS gate v."""

    def __init__(self, n_in, n_out, bias, gate_size):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self.gate = nn.Parameter(torch.ones(gate_size))

    def forward(self, x):
        y = (x @ self.weight.T) * self.gate
        return y + self.bias if self.bias is not None else y


class MLP(nn.Module):
    def __init__(self, spec, linear_only=False):
        super().__init__()
        sizes = [spec["input"]] + spec.get("hidden", []) + [spec["output"]]
        bias = False if linear_only else spec.get("bias", True)
        gates = "none" if linear_only else spec.get("gates", "none")
        self.residual = not linear_only and spec.get("residual", False)
        self.act = nn.Identity() if linear_only else activation(spec.get("activation", "relu"), spec.get("leaky_slope", 0.01))
        layers = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            if gates == "none":
                layers.append(nn.Linear(n_in, n_out, bias=bias))
            else:
                layers.append(GatedLinear(n_in, n_out, bias, 1 if gates == "layer" else n_out))
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers[:-1]:
            h = self.act(layer(x))
            x = x + h if self.residual and h.shape == x.shape else h
        return self.layers[-1](x)


class CNN(nn.Module):
    def __init__(self, spec):
        super().__init__()
        c, h, w = spec["input_shape"]
        self.shape = (c, h, w)
        self.act = activation(spec.get("activation", "relu"), spec.get("leaky_slope", 0.01))
        convs, self.pools = [], []
        for conv in spec["convolutions"]:
            convs.append(nn.Conv2d(c, conv["channels"], conv.get("kernel", 3), stride=conv.get("stride", 1),
                                   padding=conv.get("padding", conv.get("kernel", 3) // 2), bias=spec.get("bias", True)))
            self.pools.append((conv.get("pool", "max"), conv.get("pool_window", 2)))
            c = conv["channels"]
        self.convs = nn.ModuleList(convs)
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *self.shape)).shape[1]
        sizes = [flat] + spec.get("hidden", []) + [spec["output"]]
        self.layers = nn.ModuleList(nn.Linear(a, b, bias=spec.get("bias", True)) for a, b in zip(sizes, sizes[1:]))

    def features(self, x):
        for conv, (pool, window) in zip(self.convs, self.pools):
            x = self.act(conv(x))
            if pool == "max":
                x = nn.functional.max_pool2d(x, window)
            elif pool == "avg":
                x = nn.functional.avg_pool2d(x, window)
        return x.flatten(1)

    def forward(self, x):
        x = self.features(x.reshape(-1, *self.shape))
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        n, s, d = x.shape
        split = lambda t: t.reshape(n, s, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, s, d)
        return self.out_proj(attended)


class Block(nn.Module):
    def __init__(self, spec):
        super().__init__()
        d, ff, eps = spec["width"], spec.get("feed_forward", 4 * spec["width"]), spec.get("layer_norm_epsilon", 1e-5)
        self.attn = Attention(d, spec["heads"])
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.act = activation(spec.get("activation", "gelu"))

    def forward(self, x):
        x = self.norm1(x + self.attn(x))
        return self.norm2(x + self.mlp.fc2(self.act(self.mlp.fc1(x))))


class Transformer(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.shape = (spec["sequence_length"], spec["token_dimension"])
        self.embed = nn.Linear(spec["token_dimension"], spec["width"])
        self.blocks = nn.ModuleList(Block(spec) for _ in range(spec.get("depth", 1)))
        self.head = nn.Linear(spec["width"], spec["output"])

    def forward(self, x):
        x = self.embed(x.reshape(-1, *self.shape))
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(1))


def build(spec):
    kind = spec["kind"]
    if kind == "mlp":
        return MLP(spec)
    if kind == "deep_linear":
        return MLP(spec, linear_only=True)
    if kind == "cnn":
        return CNN(spec)
    if kind == "transformer":
        return Transformer(spec)
    raise SystemExit(f"unknown model kind {kind}")

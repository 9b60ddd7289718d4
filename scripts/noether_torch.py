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
    if kind in PRESETS:
        return PRESETS[kind](spec)
    raise SystemExit(f"unknown model kind {kind}")


# --- Layer-graph presets: resnet, vit, gpt -------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    """CIFAR-style ResNet (depth 6n + 2), torchvision's names; BatchNorm's running statistics
    are buffers in the state dict (num_batches_tracked is not saved by Noether)."""

    def __init__(self, spec):
        super().__init__()
        self.shape = tuple(spec["input_shape"])
        w, n = spec.get("width", 1), (spec.get("depth", 8) - 2) // 6
        self.conv1 = nn.Conv2d(self.shape[0], 16 * w, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16 * w)
        c = 16 * w
        for stage in range(3):
            blocks = []
            for b in range(n):
                stride = 2 if stage > 0 and b == 0 else 1
                blocks.append(BasicBlock(c, (16 << stage) * w, stride))
                c = (16 << stage) * w
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(c, spec["output"])

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x.reshape(-1, *self.shape))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean((2, 3)))


class GroupedAttention(nn.Module):
    """Noether's attention: q/k/v/out projections, grouped-query heads, optional causal mask
    and half-split RoPE."""

    def __init__(self, d, heads, kv_heads, bias, causal, rope, base):
        super().__init__()
        self.heads, self.kv, self.dh = heads, kv_heads, d // heads
        self.causal, self.rope, self.base = causal, rope, base
        self.q_proj = nn.Linear(d, heads * self.dh, bias=bias)
        self.k_proj = nn.Linear(d, kv_heads * self.dh, bias=bias)
        self.v_proj = nn.Linear(d, kv_heads * self.dh, bias=bias)
        self.out_proj = nn.Linear(heads * self.dh, d, bias=bias)

    def rotate(self, t):
        s, half = t.shape[-2], self.dh // 2
        inv = self.base ** (-torch.arange(half, dtype=t.dtype) * 2 / self.dh)
        angles = torch.arange(s, dtype=t.dtype)[:, None] * inv[None, :]
        cos, sin = torch.cat([angles.cos()] * 2, -1), torch.cat([angles.sin()] * 2, -1)
        rotated = torch.cat([-t[..., half:], t[..., :half]], -1)
        return t * cos + rotated * sin

    def forward(self, x):
        n, s, _ = x.shape
        split = lambda t, h: t.reshape(n, s, h, self.dh).transpose(1, 2)
        q, k, v = split(self.q_proj(x), self.heads), split(self.k_proj(x), self.kv), split(self.v_proj(x), self.kv)
        if self.rope:
            q, k = self.rotate(q), self.rotate(k)
        group = self.heads // self.kv
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        scores = q @ k.transpose(-1, -2) / self.dh ** 0.5
        if self.causal:
            scores = scores.masked_fill(torch.ones(s, s, dtype=torch.bool).triu(1), float("-inf"))
        return self.out_proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(n, s, -1))


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class PreNormBlock(nn.Module):
    def __init__(self, d, attention, mlp, norm):
        super().__init__()
        self.norm1, self.attn, self.norm2, self.mlp = norm(), attention, norm(), mlp

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PlainMLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class GatedMLP(nn.Module):
    def __init__(self, d, hidden, kind):
        super().__init__()
        self.gate_proj, self.up_proj = nn.Linear(d, hidden, bias=False), nn.Linear(d, hidden, bias=False)
        self.down_proj, self.kind = nn.Linear(hidden, d, bias=False), kind

    def forward(self, x):
        gate = nn.functional.silu(self.gate_proj(x)) if self.kind == "swiglu" else nn.functional.gelu(self.gate_proj(x))
        return self.down_proj(gate * self.up_proj(x))


class Holder(nn.Module):
    """A module that only holds named parameters (timm's cls_token / pos_embed under Noether's names)."""

    def __init__(self, **parameters):
        super().__init__()
        for name, shape in parameters.items():
            setattr(self, name, nn.Parameter(torch.zeros(*shape)))


class ViT(nn.Module):
    def __init__(self, spec):
        super().__init__()
        c, h, w = spec["input_shape"]
        p, d, eps = spec["patch"], spec["width"], spec.get("layer_norm_epsilon", 1e-6)
        self.shape, self.pool = (c, h, w), spec.get("pool", "cls")
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(c, d, p, stride=p)
        tokens = (h // p) * (w // p) + (1 if self.pool == "cls" else 0)
        if self.pool == "cls":
            self.cls = Holder(token=(1, 1, d))
        self.pos_embed = Holder(weight=(tokens, d))
        ff = spec.get("feed_forward", 4 * d)
        norm = lambda: nn.LayerNorm(d, eps=eps)
        self.blocks = nn.ModuleList(
            PreNormBlock(d, GroupedAttention(d, spec["heads"], spec["heads"], True, False, False, 1e4), PlainMLP(d, ff), norm)
            for _ in range(spec.get("depth", 2)))
        self.norm, self.head = norm(), nn.Linear(d, spec["output"])

    def forward(self, x):
        x = self.patch_embed.proj(x.reshape(-1, *self.shape)).flatten(2).transpose(1, 2)
        if self.pool == "cls":
            x = torch.cat([self.cls.token.expand(x.shape[0], -1, -1), x], 1)
        x = x + self.pos_embed.weight
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        return self.head(x[:, 0] if self.pool == "cls" else x.mean(1))


class DecoderLayer(nn.Module):
    """A pre-norm decoder block under LLaMA's names."""

    def __init__(self, attention, mlp, norm):
        super().__init__()
        self.input_layernorm, self.self_attn = norm(), attention
        self.post_attention_layernorm, self.mlp = norm(), mlp

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class GPT(nn.Module):
    def __init__(self, spec):
        super().__init__()
        v, s, d = spec["vocabulary"], spec["sequence_length"], spec["width"]
        heads, kv = spec["heads"], spec.get("kv_heads", spec["heads"])
        mlp = spec.get("mlp", "swiglu")
        ff = spec.get("feed_forward", 4 * d if mlp == "gelu" else (8 * d + 2) // 3)
        self.rope, self.tied = spec.get("positions", "rope") == "rope", spec.get("tie_embeddings", False)
        norm = (lambda: RMSNorm(d)) if spec.get("norm", "rms") == "rms" else (lambda: nn.LayerNorm(d))
        self.embed_tokens = nn.Embedding(v, d)
        if not self.rope:
            self.embed_positions = Holder(weight=(s, d))
        self.layers = nn.ModuleList(
            DecoderLayer(GroupedAttention(d, heads, kv, False, True, self.rope, spec.get("rope_base", 1e4)),
                         PlainMLP(d, ff) if mlp == "gelu" else GatedMLP(d, ff, mlp), norm)
            for _ in range(spec.get("depth", 2)))
        self.norm = norm()
        if not self.tied:
            self.lm_head = nn.Linear(d, v, bias=False)
        scored = spec.get("scored", "all")
        self.positions = slice(0, s) if scored == "all" else (slice(s - 1, s) if scored == "last" else slice(*scored))

    def forward(self, x):
        x = self.embed_tokens(x.long())
        if not self.rope:
            x = x + self.embed_positions.weight
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)
        logits = x @ self.embed_tokens.weight.T if self.tied else self.lm_head(x)
        return logits[:, self.positions].reshape(-1, logits.shape[-1])


PRESETS = {"resnet": ResNet, "vit": ViT, "gpt": GPT}

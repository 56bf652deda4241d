"""Shared code for the Stepwise built-in model training tools (offline only)."""
import gzip
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot"]

SYNONYMS = {
    "tshirt": "t-shirt", "t shirt": "t-shirt", "tee": "t-shirt", "tee shirt": "t-shirt",
    "top": "t-shirt", "t-shirts": "t-shirt", "tshirts": "t-shirt",
    "trousers": "trouser", "pants": "trouser", "jeans": "trouser", "slacks": "trouser",
    "sweater": "pullover", "jumper": "pullover", "pullovers": "pullover", "sweatshirt": "pullover",
    "dresses": "dress", "gown": "dress", "frock": "dress",
    "jacket": "coat", "coats": "coat", "overcoat": "coat", "parka": "coat",
    "sandals": "sandal", "flip-flop": "sandal", "flip-flops": "sandal",
    "shirts": "shirt", "blouse": "shirt",
    "shoe": "sneaker", "shoes": "sneaker", "sneakers": "sneaker", "trainer": "sneaker",
    "trainers": "sneaker", "running shoe": "sneaker",
    "handbag": "bag", "purse": "bag", "bags": "bag", "tote": "bag",
    "boot": "ankle boot", "boots": "ankle boot", "ankle boots": "ankle boot", "ankle-boot": "ankle boot",
}


def load_split(split):
    """Return (images uint8 [N,28,28], labels int64 [N]) for split 'train' or 't10k'."""
    with gzip.open(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"), "rb") as f:
        imgs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"), "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return imgs, labels


def to_tensor(imgs):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [-1, 1]."""
    return torch.from_numpy(imgs.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


# ---------------------------------------------------------------- schedules
def sd1_alphas_cumprod(timesteps=1000, linear_start=0.00085, linear_end=0.012):
    betas = torch.linspace(linear_start ** 0.5, linear_end ** 0.5, timesteps, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


# ---------------------------------------------------------------- UNet
def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def gn(ch):
    return nn.GroupNorm(min(8, ch // 4), ch)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.n1 = gn(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout)
        self.n2 = gn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.t(emb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class Attn(nn.Module):
    def __init__(self, ch, heads=4):
        super().__init__()
        self.heads = heads
        self.n = gn(ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, hh, ww = x.shape
        q, k, v = self.qkv(self.n(x)).reshape(b, 3, self.heads, c // self.heads, hh * ww).unbind(1)
        # plain MatMul (no Einsum) so the ONNX graph only uses widely supported ops
        w = torch.softmax(torch.matmul(q.transpose(2, 3), k) * (c // self.heads) ** -0.5, dim=-1)  # [b,h,n,m]
        o = torch.matmul(v, w.transpose(2, 3)).reshape(b, c, hh, ww)                             # [b,h,c,n]
        return x + self.proj(o)


class UNet(nn.Module):
    """Class-conditional UNet for 1x28x28 images.

    The 28x28 image is folded 2x2 into 4x14x14 (pixel unshuffle, like a patch-2 DiT),
    then a two-level UNet runs at 14x14 (ch0) and 7x7 (ch1) with self-attention at 7x7.
    Conditioning: emb = MLP(sinusoid(t)) + y @ E  (E: 10 x temb, no bias), so y=0 is
    unconditional and weighted prompts are linear combinations of class embeddings.
    """

    def __init__(self, ch0=64, ch1=128, temb=128, num_classes=10):
        super().__init__()
        self.config = dict(ch0=ch0, ch1=ch1, temb=temb, num_classes=num_classes)
        self.tdim = ch0
        self.tmlp = nn.Sequential(nn.Linear(ch0, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.cls = nn.Linear(num_classes, temb, bias=False)
        self.cin = nn.Conv2d(4, ch0, 3, padding=1)
        self.d0 = ResBlock(ch0, ch0, temb)
        self.down = nn.Conv2d(ch0, ch0, 3, stride=2, padding=1)
        self.d1 = ResBlock(ch0, ch1, temb)
        self.attn = Attn(ch1)
        self.m = ResBlock(ch1, ch1, temb)
        self.u1 = ResBlock(2 * ch1, ch1, temb)
        self.up = nn.Conv2d(ch1, ch0, 3, padding=1)
        self.u0 = ResBlock(2 * ch0, ch0, temb)
        self.nout = gn(ch0)
        self.cout = nn.Conv2d(ch0, 4, 3, padding=1)
        nn.init.zeros_(self.cout.weight)
        nn.init.zeros_(self.cout.bias)

    def forward(self, x, t, y):
        emb = self.tmlp(timestep_embedding(t, self.tdim)) + self.cls(y)
        emb = F.silu(emb)
        h = self.cin(F.pixel_unshuffle(x, 2))          # [B,ch0,14,14]
        h0 = self.d0(h, emb)
        h1 = self.d1(self.down(h0), emb)                # [B,ch1,7,7]
        m = self.m(self.attn(h1), emb)
        u = self.u1(torch.cat([m, h1], 1), emb)
        u = self.up(F.interpolate(u, scale_factor=2.0, mode="nearest"))
        u = self.u0(torch.cat([u, h0], 1), emb)
        return F.pixel_shuffle(self.cout(F.silu(self.nout(u))), 2)


def count_params(m):
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- classifier
class Classifier(nn.Module):
    def __init__(self, feat=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),   # 14x14
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))  # 7x7x64
        self.fc = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, feat), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(feat, 10))

    def forward(self, x):
        f = self.fc(self.body(x))
        return self.head(f), f

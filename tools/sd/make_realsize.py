"""Writes random-weight Stable Diffusion ONNX folders with SD1.5's (and SDXL's) real architectures, for timing
`stepwise bench pipeline` (the speed of a network does not depend on its weight values). Offline tool, not run
by CI; the folders are several GB and git-ignored (tools/sd/out/).

Usage: /usr/bin/python3 tools/sd/make_realsize.py sd15|sdxl [OUT_DIR] [--reduced]
  --reduced: the same code at a few layers per part (to test the script on SDXL where fp32 does not fit here).

diffusers/transformers are not packaged in Debian, so the architectures are written here from the published
configs (diffusers UNet2DConditionModel / AutoencoderKL configs of runwayml/stable-diffusion-v1-5 and
stabilityai/stable-diffusion-xl-base-1.0; CLIP ViT-L/14 and OpenCLIP ViT-bigG/14 text towers). The graphs are
traced with export_params=False over uninitialised weights (no memory touched), then every weight is written as
float32 random normal values scaled 1/sqrt(fan_in) into one external file <part>/model.onnx_data, one tensor at
a time, so even SDXL's 10 GB UNet is written without holding it in memory.
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import make_tiny  # noqa: E402  (tokenizer files, JSON writing, scheduler config)

torch.nn.Module.reset_parameters = lambda self: None   # weights stay uninitialised: tracing reads zero pages


def no_init():
    for cls in [nn.Linear, nn.Conv2d, nn.Embedding, nn.LayerNorm, nn.GroupNorm]:
        cls.reset_parameters = lambda self: None


no_init()


def attention(q, k, v, heads, mask=None):
    b, n, c = q.shape
    d = c // heads
    q = q.reshape(b, n, heads, d).transpose(1, 2)
    k = k.reshape(b, k.shape[1], heads, d).transpose(1, 2)
    v = v.reshape(b, v.shape[1], heads, d).transpose(1, 2)
    w = q @ k.transpose(-1, -2) / math.sqrt(d)
    if mask is not None:
        w = w + mask
    return (torch.softmax(w, dim=-1) @ v).transpose(1, 2).reshape(b, n, c)


def timestep_embedding(t, dim):
    # diffusers get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = t.float().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


# ---- CLIP text towers ---------------------------------------------------------------------------------------

class ClipLayer(nn.Module):
    def __init__(self, w, heads, mlp, quick):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(w), nn.LayerNorm(w)
        self.q, self.k, self.v, self.o = (nn.Linear(w, w) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(w, mlp), nn.Linear(mlp, w)
        self.heads, self.quick = heads, quick

    def forward(self, h, mask):
        x = self.ln1(h)
        h = h + self.o(attention(self.q(x), self.k(x), self.v(x), self.heads, mask))
        x = self.fc1(self.ln2(h))
        x = x * torch.sigmoid(1.702 * x) if self.quick else F.gelu(x)
        return h + self.fc2(x)


class ClipText(nn.Module):
    """input_ids [B,77] -> last_hidden_state, pooler_output (or text_embeds when projected), hidden_states.0..N."""

    def __init__(self, width, layers, heads, mlp, quick, projection=None):
        super().__init__()
        self.embed = nn.Embedding(49408, width)
        self.position = nn.Parameter(torch.empty(77, width))
        self.layers = nn.ModuleList(ClipLayer(width, heads, mlp, quick) for _ in range(layers))
        self.final = nn.LayerNorm(width)
        self.projection = None if projection is None else nn.Linear(width, projection, bias=False)

    def output_names(self):
        first = ["text_embeds", "last_hidden_state"] if self.projection is not None else ["last_hidden_state", "pooler_output"]
        return first + ["hidden_states.%d" % i for i in range(len(self.layers) + 1)]

    def forward(self, input_ids):
        ids = input_ids.long()
        h = self.embed(ids) + self.position
        mask = torch.full((77, 77), float("-inf")).triu(1)
        states = [h]
        for layer in self.layers:
            h = layer(h, mask)
            states.append(h)
        last = self.final(h)
        pooled = last[torch.arange(last.shape[0]), ids.argmax(dim=-1)]
        first = [self.projection(pooled), last] if self.projection is not None else [last, pooled]
        return tuple(first + states)


# ---- UNet ---------------------------------------------------------------------------------------------------

class Resnet(nn.Module):
    def __init__(self, cin, cout, temb, eps=1e-5):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(32, cin, eps=eps), nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout) if temb else None
        self.n2, self.c2 = nn.GroupNorm(32, cout, eps=eps), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(F.silu(emb))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class Block(nn.Module):
    """diffusers BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward."""

    def __init__(self, c, heads, ctx):
        super().__init__()
        self.n1, self.n2, self.n3 = nn.LayerNorm(c), nn.LayerNorm(c), nn.LayerNorm(c)
        self.q1, self.k1, self.v1 = (nn.Linear(c, c, bias=False) for _ in range(3))
        self.o1 = nn.Linear(c, c)
        self.q2 = nn.Linear(c, c, bias=False)
        self.k2, self.v2 = nn.Linear(ctx, c, bias=False), nn.Linear(ctx, c, bias=False)
        self.o2 = nn.Linear(c, c)
        self.ff1, self.ff2 = nn.Linear(c, 8 * c), nn.Linear(4 * c, c)
        self.heads = heads

    def forward(self, x, ctx):
        y = self.n1(x)
        x = x + self.o1(attention(self.q1(y), self.k1(y), self.v1(y), self.heads))
        y = self.n2(x)
        x = x + self.o2(attention(self.q2(y), self.k2(ctx), self.v2(ctx), self.heads))
        a, g = self.ff1(self.n3(x)).chunk(2, dim=-1)
        return x + self.ff2(a * F.gelu(g))


class Transformer2D(nn.Module):
    def __init__(self, c, heads, ctx, layers, linear):
        super().__init__()
        self.norm = nn.GroupNorm(32, c, eps=1e-6)
        self.linear = linear
        self.pin = nn.Linear(c, c) if linear else nn.Conv2d(c, c, 1)
        self.pout = nn.Linear(c, c) if linear else nn.Conv2d(c, c, 1)
        self.blocks = nn.ModuleList(Block(c, heads, ctx) for _ in range(layers))

    def forward(self, x, ctx):
        b, c, h, w = x.shape
        y = self.norm(x)
        if not self.linear:
            y = self.pin(y)
        y = y.flatten(2).transpose(1, 2)
        if self.linear:
            y = self.pin(y)
        for blk in self.blocks:
            y = blk(y, ctx)
        if self.linear:
            y = self.pout(y)
        y = y.transpose(1, 2).reshape(b, c, h, w)
        if not self.linear:
            y = self.pout(y)
        return x + y


class UNet(nn.Module):
    """UNet2DConditionModel: channels per level, transformer layers per level (0 = no attention), heads(c)."""

    def __init__(self, channels, attn, mid_layers, heads, ctx, linear, add_embed=None):
        super().__init__()
        temb = 4 * channels[0]
        self.conv_in = nn.Conv2d(4, channels[0], 3, padding=1)
        self.t1, self.t2 = nn.Linear(channels[0], temb), nn.Linear(temb, temb)
        self.add = add_embed
        if add_embed:
            self.a1, self.a2 = nn.Linear(add_embed, temb), nn.Linear(temb, temb)
        self.down, skips, c = nn.ModuleList(), [channels[0]], channels[0]
        for i, co in enumerate(channels):
            for _ in range(2):
                self.down.append(nn.ModuleList([Resnet(c, co, temb)] + (
                    [Transformer2D(co, heads(co), ctx, attn[i], linear)] if attn[i] else [])))
                c = co
                skips.append(c)
            if i < len(channels) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid1 = Resnet(c, c, temb)
        self.mida = Transformer2D(c, heads(c), ctx, mid_layers, linear)
        self.mid2 = Resnet(c, c, temb)
        self.up = nn.ModuleList()
        for i, co in enumerate(reversed(channels)):
            level = len(channels) - 1 - i
            for _ in range(3):
                self.up.append(nn.ModuleList([Resnet(c + skips.pop(), co, temb)] + (
                    [Transformer2D(co, heads(co), ctx, attn[level], linear)] if attn[level] else [])))
                c = co
            if level > 0:
                self.up.append(nn.Conv2d(c, c, 3, padding=1))   # after a nearest x2 upsampling
        self.norm_out, self.conv_out = nn.GroupNorm(32, c), nn.Conv2d(c, 4, 3, padding=1)
        self.c0 = channels[0]

    def forward(self, sample, timestep, ctx, text_embeds=None, time_ids=None):
        b = sample.shape[0]
        t = timestep.reshape(-1).expand(b) if timestep.dim() else timestep.reshape(1).expand(b)
        emb = self.t2(F.silu(self.t1(timestep_embedding(t, self.c0))))
        if self.add:
            ids = timestep_embedding(time_ids.reshape(-1), 256).reshape(b, -1)
            emb = emb + self.a2(F.silu(self.a1(torch.cat([text_embeds, ids], dim=1))))
        h = self.conv_in(sample)
        skips = [h]
        for m in self.down:
            if isinstance(m, nn.Conv2d):
                h = m(h)
            else:
                h = m[0](h, emb)
                if len(m) > 1:
                    h = m[1](h, ctx)
            skips.append(h)
        h = self.mid2(self.mida(self.mid1(h, emb), ctx), emb)
        for m in self.up:
            if isinstance(m, nn.Conv2d):
                h = m(F.interpolate(h, scale_factor=2.0, mode="nearest"))
            else:
                h = m[0](torch.cat([h, skips.pop()], dim=1), emb)
                if len(m) > 1:
                    h = m[1](h, ctx)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---- VAE decoder --------------------------------------------------------------------------------------------

class VaeDecoder(nn.Module):
    """AutoencoderKL's post_quant_conv and Decoder: block_out_channels (128,256,512,512), 2 layers per block
    (3 resnets per up block), one single-head mid attention."""

    def __init__(self, reduced=False):
        super().__init__()
        e = 1e-6
        self.pq = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, 512, 3, padding=1)
        self.m1, self.m2 = Resnet(512, 512, 0, e), Resnet(512, 512, 0, e)
        self.an = nn.GroupNorm(32, 512, eps=e)
        self.q, self.k, self.v, self.o = (nn.Linear(512, 512) for _ in range(4))
        self.up, c = nn.ModuleList(), 512
        for i, co in enumerate([512, 512, 256, 128]):
            for _ in range(1 if reduced else 3):
                self.up.append(Resnet(c, co, 0, e))
                c = co
            if i < 3:
                self.up.append(nn.Conv2d(c, c, 3, padding=1))
        self.norm_out, self.conv_out = nn.GroupNorm(32, 128, eps=e), nn.Conv2d(128, 3, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(self.pq(z))
        h = self.m1(h)
        b, c, hh, ww = h.shape
        y = self.an(h).flatten(2).transpose(1, 2)
        y = self.o(attention(self.q(y), self.k(y), self.v(y), 1))
        h = self.m2(h + y.transpose(1, 2).reshape(b, c, hh, ww))
        for m in self.up:
            h = m(F.interpolate(h, scale_factor=2.0, mode="nearest")) if isinstance(m, nn.Conv2d) else m(h)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---- export -------------------------------------------------------------------------------------------------

def export(module, args, path, inputs, outputs, dynamic, seed):
    """Traces without weights, then writes every weight as random values into model.onnx_data."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    named = dict(module.named_parameters())
    n = sum(p.numel() for p in named.values())
    print("%s: %.1f M parameters" % (path, n / 1e6), flush=True)
    with torch.no_grad():
        for k, p in enumerate(named.values()):
            # the exporter merges initializers of equal values: make each distinct (one page touched per tensor)
            p.view(-1)[0] = k + 1
    with torch.no_grad():
        torch.onnx.export(module.eval(), args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=14, export_params=False, do_constant_folding=False)
    model = onnx.load(path)
    rng = np.random.default_rng(seed)
    data = os.path.join(os.path.dirname(path), "model.onnx_data")
    keep, offset = [], 0
    with open(data, "wb") as f:
        for i in list(model.graph.input):
            if i.name in inputs:
                keep.append(i)
                continue
            p = named[i.name]
            shape = list(p.shape)
            if p.dim() >= 2:
                fan = int(np.prod(shape[1:]))
                v = rng.standard_normal(int(np.prod(shape)), dtype=np.float32) / np.float32(math.sqrt(fan))
            elif i.name.endswith("weight"):
                v = np.ones(shape, np.float32)      # norms' scales
            else:
                v = np.zeros(shape, np.float32)     # biases
            b = v.astype(np.float32).tobytes()
            f.write(b)
            t = TensorProto(name=i.name, data_type=TensorProto.FLOAT, dims=shape)
            t.data_location = TensorProto.EXTERNAL
            for k, val in [("location", "model.onnx_data"), ("offset", str(offset)), ("length", str(len(b)))]:
                e = t.external_data.add()
                e.key, e.value = k, val
            offset += len(b)
            model.graph.initializer.append(t)
    del model.graph.input[:]
    model.graph.input.extend(keep)
    onnx.save(model, path)


def make(name, out, reduced):
    sd15 = name == "sd15"
    r = (lambda full, small: small if reduced else full)
    dir = os.path.join(out, name + ("-reduced" if reduced else ""))
    os.makedirs(dir, exist_ok=True)
    comps = {"scheduler": ["diffusers", "PNDMScheduler" if sd15 else "EulerDiscreteScheduler"],
             "tokenizer": ["transformers", "CLIPTokenizer"], "text_encoder": ["transformers", "CLIPTextModel"],
             "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
    if not sd15:
        comps["tokenizer_2"] = ["transformers", "CLIPTokenizer"]
        comps["text_encoder_2"] = ["transformers", "CLIPTextModelWithProjection"]
    make_tiny.write_json(os.path.join(dir, "model_index.json"), dict(
        comps, _class_name="StableDiffusionPipeline" if sd15 else "StableDiffusionXLPipeline", _diffusers_version="0.30.0"))
    sched = make_tiny.FAMILIES["sd1" if sd15 else "sdxl"]["scheduler"]
    make_tiny.write_json(os.path.join(dir, "scheduler", "scheduler_config.json"), dict(sched, _diffusers_version="0.30.0"))
    ids = torch.zeros(1, 77, dtype=torch.int32)
    encoders = [("", make_tiny.EOS, ClipText(768, r(12, 2), 12, 3072, True))]
    if not sd15:
        encoders.append(("_2", "!", ClipText(1280, r(32, 2), 20, 5120, False, projection=1280)))
    for i, (suffix, pad, enc) in enumerate(encoders):
        make_tiny.tokenizer(os.path.join(dir, "tokenizer" + suffix), pad)
        outs = enc.output_names()
        dyn = {"input_ids": {0: "batch_size"}, **{o: {0: "batch_size"} for o in outs}}
        export(enc, (ids,), os.path.join(dir, "text_encoder" + suffix, "model.onnx"), ["input_ids"], outs, dyn, 10 + i)
    if sd15:
        unet = UNet((320, 640, 1280, 1280), (1, 1, 1, 0), 1, lambda c: 8, 768, False)
    else:
        unet = UNet((320, 640, 1280), (0, r(2, 1), r(10, 1)), r(10, 1), lambda c: c // 64, 2048, True, 2816)
    b = 2
    sample, t = torch.randn(b, 4, 16, 16), torch.full((b,), 500, dtype=torch.int64)
    spatial = {0: "batch_size", 2: "height", 3: "width"}
    names = ["sample", "timestep", "encoder_hidden_states"]
    args = [sample, t, torch.randn(b, 77, 768 if sd15 else 2048)]
    dyn = {"sample": spatial, "timestep": {0: "steps"}, "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
           "out_sample": spatial}
    if not sd15:
        names += ["text_embeds", "time_ids"]
        args += [torch.randn(b, 1280), torch.tensor([[1024.0, 1024, 0, 0, 1024, 1024]] * b)]
        dyn.update({"text_embeds": {0: "batch_size"}, "time_ids": {0: "batch_size"}})
    export(unet, tuple(args), os.path.join(dir, "unet", "model.onnx"), names, ["out_sample"], dyn, 20)
    export(VaeDecoder(reduced), (torch.randn(1, 4, 16, 16),), os.path.join(dir, "vae_decoder", "model.onnx"),
           ["latent_sample"], ["sample"], {"latent_sample": spatial, "sample": spatial}, 30)
    make_tiny.write_json(os.path.join(dir, "vae_decoder", "config.json"),
                         {"latent_channels": 4, "scaling_factor": 0.18215 if sd15 else 0.13025, "_class_name": "AutoencoderKL"})
    print("wrote", dir)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args or args[0] not in ("sd15", "sdxl"):
        sys.exit("usage: make_realsize.py sd15|sdxl [OUT_DIR] [--reduced]")
    out = args[1] if len(args) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    make(args[0], out, "--reduced" in sys.argv)


if __name__ == "__main__":
    main()

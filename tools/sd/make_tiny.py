"""Writes tiny random-weight Stable Diffusion model folders, laid out as the diffusers/optimum ONNX export
lays them out, for the stepwise-onnx tests (real weights cannot be downloaded here).

Usage: /usr/bin/python3 tools/sd/make_tiny.py
Needs Debian's python3-torch, python3-onnx and python3-numpy. Writes stepwise-onnx/src/test/resources/sd/<family>/.

Each folder has the export's file names, input/output names, dtypes and ranks; every network is a few
thousand weights (widths 8-48), so all folders together are a few MB (the CLIP vocabulary copies aside, which
git stores once). The networks are not trained, but every output depends on every input (tokens through a
causal mixing, the timestep through a sinusoidal embedding, the text through one cross-attention, SDXL's
text_embeds and time_ids through the time embedding), so prompts, CFG and timesteps all change the result.

Families (tiny widths stand in for the real ones: CLIP-L 768 -> 16 or 32, OpenCLIP-H 1024 -> 24, CLIP-G 1280 -> 24):
  sd1       eps, PNDM config of SD1.5; text_encoder with hidden_states.0..3; unet timestep int64 [B]
  sd2-v     v-prediction, DDIM config of SD2.1; tokenizer pads with "!"; no hidden states; timestep float32, 0-d
  sdxl      two text encoders (hidden_states; text_embeds from text_encoder_2), unet with text_embeds and time_ids
  sd3       transformer (hidden_states, encoder_hidden_states, pooled_projections, timestep), 16 latent channels,
            FlowMatchEulerDiscrete shift 3.0; text_encoder_3 a T5 v1.1-shaped encoder (input_ids int64 [B, S], S free
            -> last_hidden_state [B, S, 48], the transformer's width: T5-XXL's 4096 is SD3's joint width) with
            tokenizer_3/spiece.model, the test SentencePiece model of tools/sd/make_t5_tokenizer.py
  sd1-fp16  sd1's layout with float16 inputs and outputs (the graphs cast to float32 inside: ONNX Runtime's CPU
            provider has no float16 Conv kernel)

tools/sd/reference.py imports this file to rebuild the same modules (same seeds) and run them in torch.
"""
import json
import math
import os
import shutil
import sys

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "stepwise-onnx", "src", "test", "resources", "sd")
CLIP = os.path.join(ROOT, "stepwise-onnx", "src", "test", "resources", "clip")

SEQ = 77
TABLE = 61           # token ids are hashed into this many embedding rows (a prime, so ids spread)
EOS = "<|endoftext|>"
T5_DIR = os.path.join(ROOT, "stepwise-onnx", "src", "test", "resources", "t5")


class TextEncoder(nn.Module):
    """CLIP-shaped: input_ids [B,77] int32 -> last_hidden_state [B,77,W], pooler_output [B,W] (the row of the
    largest id, EOS, as CLIP pools), text_embeds [B,P] when projected, hidden_states.0..N when asked."""

    def __init__(self, width, layers, projection=None, hidden_states=True):
        super().__init__()
        self.embed = nn.Embedding(TABLE, width)
        self.position = nn.Parameter(torch.randn(SEQ, width) * 0.1)
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.mix = nn.ParameterList(nn.Parameter(torch.rand(1) * 0.5 + 0.25) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        # A trained CLIP's final layer norm has its own scale and shift; left at PyTorch's ones and zeros, every
        # token's mean would be 0 and A1111's weighting (which restores the mean) would divide 0 by 0. A generator
        # of its own, so the other weights keep the family seed's draws.
        g = torch.Generator().manual_seed(1000 + width + 100 * layers)
        with torch.no_grad():
            self.norm.weight.copy_(1 + 0.5 * torch.randn(width, generator=g))
            self.norm.bias.copy_(0.5 * torch.randn(width, generator=g))
        self.projection = None if projection is None else nn.Linear(width, projection, bias=False)
        self.hidden_states = hidden_states
        self.register_buffer("counts", torch.arange(1, SEQ + 1, dtype=torch.float32).view(1, SEQ, 1))

    def output_names(self):
        names = ["text_embeds"] if self.projection is not None else []
        names += ["last_hidden_state"] if self.projection is not None else ["last_hidden_state", "pooler_output"]
        if self.hidden_states:
            names += ["hidden_states.%d" % i for i in range(len(self.layers) + 1)]
        return names

    def forward(self, input_ids):
        ids = input_ids.long()
        h = self.embed(ids % TABLE) + self.position
        states = [h]
        for layer, mix in zip(self.layers, self.mix):
            # causal: each token sees the mean of itself and the tokens before it, as CLIP's causal mask allows
            context = torch.cumsum(h, dim=1) / self.counts
            h = h + torch.tanh(layer(h + mix * context))
            states.append(h)
        last = self.norm(h)
        pooled = last[torch.arange(last.shape[0]), ids.argmax(dim=-1)]
        if self.projection is not None:
            out = [self.projection(pooled), last]
        else:
            out = [last, pooled]
        if self.hidden_states:
            out += states
        return tuple(out)


class RmsNorm(nn.Module):
    """T5's layer norm: scale only, no mean subtraction, no bias (T5LayerNorm, eps 1e-6)."""

    def __init__(self, width):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.3 * torch.randn(width))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def relative_bucket(relative, buckets=32, max_distance=128):
    """T5's bidirectional relative-position bucket (Raffel et al. 2020, sec. 2.1; transformers'
    T5Attention._relative_position_bucket): half the buckets per direction, exact up to buckets/4, then log-spaced
    up to max_distance."""
    half = buckets // 2
    out = (relative > 0).long() * half
    distance = relative.abs()
    exact = half // 2
    large = exact + (torch.log(distance.float().clamp(min=1) / exact) / math.log(max_distance / exact)
                     * (half - exact)).long()
    large = torch.clamp(large, max=half - 1)
    return out + torch.where(distance < exact, distance, large)


class T5Encoder(nn.Module):
    """T5 v1.1-shaped encoder: input_ids [B,S] int64 -> last_hidden_state [B,S,W]. Pre-norm blocks of unscaled
    multi-head self-attention (no mask: ComfyUI and diffusers give SD3's T5 none) with a relative position bias
    computed once and shared by every layer, and a gated-GELU feed-forward (gelu_new(wi_0 x) * wi_1 x); the final
    RMS norm on the output. Token ids are hashed into TABLE rows, as the tiny CLIP encoders do."""

    def __init__(self, width, layers, heads, ff):
        super().__init__()
        self.heads, self.dk = heads, width // heads
        self.embed = nn.Embedding(TABLE, width)
        self.bias = nn.Embedding(32, heads)
        self.norms1 = nn.ModuleList(RmsNorm(width) for _ in range(layers))
        self.qkv = nn.ModuleList(nn.Linear(width, 3 * width, bias=False) for _ in range(layers))
        self.o = nn.ModuleList(nn.Linear(width, width, bias=False) for _ in range(layers))
        self.norms2 = nn.ModuleList(RmsNorm(width) for _ in range(layers))
        self.wi = nn.ModuleList(nn.Linear(width, 2 * ff, bias=False) for _ in range(layers))
        self.wo = nn.ModuleList(nn.Linear(ff, width, bias=False) for _ in range(layers))
        self.final = RmsNorm(width)

    def forward(self, input_ids):
        b, s = input_ids.shape
        h = self.embed(input_ids % TABLE)
        position = torch.arange(s)
        bias = self.bias(relative_bucket(position.view(1, s) - position.view(s, 1)))   # [S, S, heads]
        bias = bias.permute(2, 0, 1).unsqueeze(0)
        for n1, qkv, o, n2, wi, wo in zip(self.norms1, self.qkv, self.o, self.norms2, self.wi, self.wo):
            q, k, v = qkv(n1(h)).view(b, s, 3, self.heads, self.dk).permute(2, 0, 3, 1, 4)
            attn = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
            h = h + o((attn @ v).transpose(1, 2).reshape(b, s, -1))
            gate, up = wi(n2(h)).chunk(2, dim=-1)
            gelu = 0.5 * gate * (1 + torch.tanh(math.sqrt(2 / math.pi) * (gate + 0.044715 * gate ** 3)))
            h = h + wo(gelu * up)
        return self.final(h)


def timestep_embedding(t, dim):
    """The sinusoidal embedding of diffusion UNets (float timesteps, any shape broadcast to [N, dim])."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class Denoiser(nn.Module):
    """UNet- or transformer-shaped: conv in, time embedding added per channel, one single-head cross-attention
    over the text, conv out. SDXL adds text_embeds and time_ids to the time embedding; SD3 adds pooled_projections."""

    def __init__(self, channels, context, width=16, pooled=0, time_ids=False):
        super().__init__()
        self.conv_in = nn.Conv2d(channels, width, 3, padding=1)
        self.time = nn.Linear(32, width)
        self.pooled = nn.Linear(pooled + (6 * 8 if time_ids else 0), width) if pooled else None
        self.time_ids = time_ids
        self.q = nn.Linear(width, width, bias=False)
        self.k = nn.Linear(context, width, bias=False)
        self.v = nn.Linear(context, width, bias=False)
        self.mid = nn.Conv2d(width, width, 3, padding=1)
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, sample, timestep, context, pooled=None, time_ids=None):
        b, c, hh, ww = sample.shape
        h = self.conv_in(sample)
        emb = self.time(timestep_embedding(timestep / 1000.0 * 50.0, 32))
        if self.pooled is not None:
            extra = pooled
            if self.time_ids:
                # as SDXL embeds each of the six size numbers sinusoidally (here 8 values each)
                extra = torch.cat([pooled, timestep_embedding(time_ids / 64.0, 8).reshape(b, 6 * 8)], dim=1)
            emb = emb + self.pooled(extra)
        h = F.silu(h + emb.reshape(-1, h.shape[1], 1, 1))
        tokens = h.flatten(2).transpose(1, 2)                        # [B, HW, width]
        q, k, v = self.q(tokens), self.k(context), self.v(context)
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)
        tokens = tokens + attn @ v
        h = tokens.transpose(1, 2).reshape(b, -1, hh, ww)
        h = h + F.silu(self.mid(h))
        return 0.5 * sample + self.conv_out(h)


class VaeDecoder(nn.Module):
    """latent_sample [B,C,h,w] -> sample [B,3,8h,8w]: three nearest-neighbour x2 upsamplings with convs."""

    def __init__(self, channels):
        super().__init__()
        self.conv_in = nn.Conv2d(channels, 8, 3, padding=1)
        self.ups = nn.ModuleList(nn.Conv2d(8, 8, 3, padding=1) for _ in range(3))
        self.conv_out = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(z)
        for conv in self.ups:
            h = F.interpolate(h, scale_factor=2.0, mode="nearest")
            h = h + torch.tanh(conv(h))
        return self.conv_out(h)


class VaeEncoder(nn.Module):
    """sample [B,3,H,W] -> latent_parameters [B,2C,H/8,W/8] (mean, then log-variance, as optimum exports)."""

    def __init__(self, channels):
        super().__init__()
        self.downs = nn.ModuleList([nn.Conv2d(3, 8, 3, stride=2, padding=1),
                                    nn.Conv2d(8, 8, 3, stride=2, padding=1),
                                    nn.Conv2d(8, 8, 3, stride=2, padding=1)])
        self.conv_out = nn.Conv2d(8, 2 * channels, 3, padding=1)

    def forward(self, x):
        h = x
        for conv in self.downs:
            h = F.silu(conv(h))
        return self.conv_out(h)


class Half(nn.Module):
    """A float32 module behind float16 inputs and outputs (integer inputs pass as they are)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, *args):
        args = [a.float() if a.is_floating_point() else a for a in args]
        out = self.inner(*args)
        if isinstance(out, tuple):
            return tuple(o.half() for o in out)
        return out.half()


# ---- the families -------------------------------------------------------------------------------------------

SD_SCHEDULER = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "clip_sample": False,
                "num_train_timesteps": 1000, "set_alpha_to_one": False, "steps_offset": 1,
                "timestep_spacing": "leading", "trained_betas": None}

FAMILIES = {
    "sd1": dict(pipeline="StableDiffusionPipeline", seed=1, latent=4, scale=0.18215,
                scheduler=dict(SD_SCHEDULER, _class_name="PNDMScheduler", prediction_type="epsilon",
                               skip_prk_steps=True),
                encoders=[dict(width=32, layers=3, pad=EOS, hidden=True)], timestep="int64"),
    "sd2-v": dict(pipeline="StableDiffusionPipeline", seed=2, latent=4, scale=0.18215,
                  scheduler=dict(SD_SCHEDULER, _class_name="DDIMScheduler", prediction_type="v_prediction",
                                 rescale_betas_zero_snr=False),
                  encoders=[dict(width=24, layers=2, pad="!", hidden=False)], timestep="float32",
                  scalar_timestep=True),
    "sdxl": dict(pipeline="StableDiffusionXLPipeline", seed=3, latent=4, scale=0.13025,
                 scheduler=dict(SD_SCHEDULER, _class_name="EulerDiscreteScheduler", prediction_type="epsilon",
                                interpolation_type="linear", use_karras_sigmas=False, skip_prk_steps=True,
                                sample_max_value=1.0),
                 encoders=[dict(width=16, layers=3, pad=EOS, hidden=True),
                           dict(width=24, layers=3, pad="!", hidden=True, projection=24)], timestep="int64"),
    "sd3": dict(pipeline="StableDiffusion3Pipeline", seed=4, latent=16, scale=1.5305, shift=0.0609,
                scheduler={"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000,
                           "shift": 3.0},
                encoders=[dict(width=16, layers=2, pad=EOS, hidden=True, projection=16),
                          dict(width=24, layers=2, pad="!", hidden=True, projection=24)], timestep="float32",
                joint=48, t5=dict(layers=2, heads=4, ff=64)),
    "sd1-fp16": dict(pipeline="StableDiffusionPipeline", seed=5, latent=4, scale=0.18215, fp16=True,
                     scheduler=dict(SD_SCHEDULER, _class_name="PNDMScheduler", prediction_type="epsilon",
                                    skip_prk_steps=True),
                     encoders=[dict(width=32, layers=3, pad=EOS, hidden=True)], timestep="int64"),
}


def build(name):
    """The torch modules of a family, initialised from the family's seed (reference.py rebuilds them so)."""
    f = FAMILIES[name]
    torch.manual_seed(f["seed"])
    encoders = [TextEncoder(e["width"], e["layers"], e.get("projection"), e["hidden"]) for e in f["encoders"]]
    widths = [e["width"] for e in f["encoders"]]
    if name == "sd3":
        pooled = sum(e["projection"] for e in f["encoders"])
        denoiser = Denoiser(f["latent"], f["joint"], pooled=pooled)
    elif name == "sdxl":
        denoiser = Denoiser(f["latent"], sum(widths), pooled=f["encoders"][1]["projection"], time_ids=True)
    else:
        denoiser = Denoiser(f["latent"], widths[0])
    modules = dict(encoders=encoders, denoiser=denoiser, decoder=VaeDecoder(f["latent"]),
                   encoder=VaeEncoder(f["latent"]))
    if "t5" in f:
        # a seed of its own, drawn after the others, so that adding T5 left the other tiny weights as they were
        torch.manual_seed(f["seed"] + 100)
        modules["t5"] = T5Encoder(f["joint"], **f["t5"])
    for m in [*encoders, denoiser, modules["decoder"], modules["encoder"], *([modules["t5"]] if "t5" in modules else [])]:
        m.eval()
    return modules


def export(module, args, path, inputs, outputs, dynamic, fp16=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fp16:
        module = Half(module)
        args = tuple(a.half() if a.is_floating_point() else a for a in args)
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=14, do_constant_folding=True)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def tokenizer(dir, pad):
    os.makedirs(dir, exist_ok=True)
    for file in ["vocab.json", "merges.txt", "LICENSE"]:
        shutil.copyfile(os.path.join(CLIP, file), os.path.join(dir, file))
    special = {"bos_token": "<|startoftext|>", "eos_token": EOS, "unk_token": EOS, "pad_token": pad}
    write_json(os.path.join(dir, "special_tokens_map.json"), special)
    write_json(os.path.join(dir, "tokenizer_config.json"),
               dict(special, model_max_length=SEQ, do_lower_case=True, tokenizer_class="CLIPTokenizer"))


def t5_tokenizer(dir):
    """tokenizer_3/ as the export writes T5's: spiece.model and the slow tokenizer's config (T5: pad <pad> = 0,
    eos </s> = 1, unk <unk> = 2, no bos)."""
    os.makedirs(dir, exist_ok=True)
    shutil.copyfile(os.path.join(T5_DIR, "spiece.model"), os.path.join(dir, "spiece.model"))
    special = {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    write_json(os.path.join(dir, "special_tokens_map.json"), special)
    write_json(os.path.join(dir, "tokenizer_config.json"),
               dict(special, model_max_length=512, extra_ids=0, legacy=True, tokenizer_class="T5Tokenizer"))


def make(name):
    f = FAMILIES[name]
    m = build(name)
    dir = os.path.join(OUT, name)
    shutil.rmtree(dir, ignore_errors=True)
    fp16 = f.get("fp16", False)
    sd3 = name == "sd3"
    components = {"scheduler": ["diffusers", f["scheduler"]["_class_name"]], "tokenizer": ["transformers", "CLIPTokenizer"],
                  "text_encoder": ["transformers", "CLIPTextModelWithProjection" if sd3 else "CLIPTextModel"],
                  "vae": ["diffusers", "AutoencoderKL"]}
    components["transformer" if sd3 else "unet"] = ["diffusers", "SD3Transformer2DModel" if sd3 else "UNet2DConditionModel"]
    if len(f["encoders"]) > 1:
        components["tokenizer_2"] = ["transformers", "CLIPTokenizer"]
        components["text_encoder_2"] = ["transformers", "CLIPTextModelWithProjection"]
    if sd3:
        components["text_encoder_3"] = ["transformers", "T5EncoderModel"]
        components["tokenizer_3"] = ["transformers", "T5TokenizerFast"]
    write_json(os.path.join(dir, "model_index.json"),
               dict(components, _class_name=f["pipeline"], _diffusers_version="0.30.0"))
    write_json(os.path.join(dir, "scheduler", "scheduler_config.json"), dict(f["scheduler"], _diffusers_version="0.30.0"))

    ids = torch.zeros(1, SEQ, dtype=torch.int32)
    for i, (e, module) in enumerate(zip(f["encoders"], m["encoders"])):
        suffix = "" if i == 0 else "_%d" % (i + 1)
        tokenizer(os.path.join(dir, "tokenizer" + suffix), e["pad"])
        outs = module.output_names()
        dyn = {"input_ids": {0: "batch_size"}}
        dyn.update({o: {0: "batch_size"} for o in outs})
        export(module, (ids,), os.path.join(dir, "text_encoder" + suffix, "model.onnx"), ["input_ids"], outs, dyn,
               fp16)

    if "t5" in m:
        t5_tokenizer(os.path.join(dir, "tokenizer_3"))
        export(m["t5"], (torch.zeros(1, SEQ, dtype=torch.int64),), os.path.join(dir, "text_encoder_3", "model.onnx"),
               ["input_ids"], ["last_hidden_state"],
               {"input_ids": {0: "batch_size", 1: "sequence_length"},
                "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}, fp16)

    lat, b = f["latent"], 2
    sample = torch.randn(b, lat, 8, 8)
    widths = [e["width"] for e in f["encoders"]]
    tdtype = torch.int64 if f["timestep"] == "int64" else torch.float32
    scalar = f.get("scalar_timestep", False)
    timestep = torch.tensor(500, dtype=tdtype) if scalar else torch.full((b,), 500, dtype=tdtype)
    spatial = {0: "batch_size", 2: "height", 3: "width"}
    if sd3:
        ctx = torch.randn(b, SEQ, f["joint"])
        pooled = torch.randn(b, sum(e["projection"] for e in f["encoders"]))
        names = ["hidden_states", "timestep", "encoder_hidden_states", "pooled_projections"]
        export(m["denoiser"], (sample, timestep, ctx, pooled), os.path.join(dir, "transformer", "model.onnx"),
               names, ["out_hidden_states"],
               {"hidden_states": spatial, "timestep": {0: "steps"}, "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
                "pooled_projections": {0: "batch_size"}, "out_hidden_states": spatial}, fp16)
    else:
        ctx = torch.randn(b, SEQ, sum(widths))
        names = ["sample", "timestep", "encoder_hidden_states"]
        args = [sample, timestep, ctx]
        dyn = {"sample": spatial, "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"}, "out_sample": spatial}
        if not scalar:
            dyn["timestep"] = {0: "steps"}
        if name == "sdxl":
            names += ["text_embeds", "time_ids"]
            args += [torch.randn(b, f["encoders"][1]["projection"]), torch.tensor([[64.0, 64, 0, 0, 64, 64]] * b)]
            dyn.update({"text_embeds": {0: "batch_size"}, "time_ids": {0: "batch_size"}})
        export(m["denoiser"], tuple(args), os.path.join(dir, "unet", "model.onnx"), names, ["out_sample"], dyn, fp16)

    vae = {"latent_channels": lat, "scaling_factor": f["scale"], "_class_name": "AutoencoderKL"}
    if "shift" in f:
        vae["shift_factor"] = f["shift"]
    export(m["decoder"], (sample,), os.path.join(dir, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
           {"latent_sample": spatial, "sample": spatial}, fp16)
    write_json(os.path.join(dir, "vae_decoder", "config.json"), vae)
    export(m["encoder"], (torch.randn(b, 3, 64, 64),), os.path.join(dir, "vae_encoder", "model.onnx"), ["sample"],
           ["latent_parameters"], {"sample": spatial, "latent_parameters": spatial}, fp16)
    write_json(os.path.join(dir, "vae_encoder", "config.json"), vae)


def main():
    names = sys.argv[1:] or list(FAMILIES)
    for name in names:
        make(name)
        print("wrote", os.path.join(OUT, name))


if __name__ == "__main__":
    main()

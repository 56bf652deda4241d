"""A Python reference text-to-image pipeline for the tiny SD folders, written from ComfyUI's documented
conventions, independent of the Java code: its final latents and decoded pixels are the expected values of
stepwise-onnx's SdReferenceTest.

Usage: /usr/bin/python3 tools/sd/reference.py [img2img|a1111|conditioning]   (only those cases)
Needs Debian's python3-torch and python3-numpy (no onnxruntime: the script rebuilds the very modules that
tools/sd/make_tiny.py exported, from the same seeds, and runs them in torch).
Writes stepwise-onnx/src/test/resources/sd/reference/<family>-<sampler>-latent.npy ([1, C, h, w] float32) and
...-pixels.npy ([3, H, W] float32, the VAE's output before the byte conversion), and cases.json (the settings).

The conventions, each from ComfyUI (comfy/, k_diffusion/sampling.py):
- token ids: OpenAI's reference tokenizer output (clip/reference_ids.tsv), BOS ... EOS, padded to 77 with the
  folder's pad token (SD1 and SDXL's first tokenizer: EOS 49407; SDXL's second: "!" = 0)
- conditioning: SD1 last_hidden_state; SDXL the penultimate hidden states of both encoders side by side,
  pooled = text_encoder_2's text_embeds, time_ids = (height, width, 0, 0, height, width)
- sigmas: the training table sqrt((1 - alphas_cumprod) / alphas_cumprod) (scaled_linear betas in float64),
  stored in float32; Karras et al. (rho 7) between its ends, then 0
- noise: torch.manual_seed(seed); torch.randn(latent shape) on the CPU; x = noise * sqrt(1 + sigma_max^2)
  (KSampler's max_denoise); ancestral noise: a torch.Generator on the CPU seeded with seed + 1
  (default_noise_sampler), one randn of the latent's shape per step
- the model call: c_in = 1 / sqrt(sigma^2 + 1), timestep = the nearest training sigma's index in log space,
  eps prediction: denoised = x - sigma * eps; v: denoised = x / (sigma^2 + 1) - v sigma / sqrt(sigma^2 + 1)
  (V_PREDICTION with sigma_data 1); CFG: uncond + cfg * (cond - uncond)
- SD3 (ModelSamplingDiscreteFlow, CONST): sigma(t) = shift t / (1 + (shift - 1) t) over t = 1..1000 / 1000,
  shift 3; the network sees x unscaled and timestep sigma * 1000; denoised = x - sigma v; the first noise is
  sigma_max * noise (no max_denoise variant); context = CLIP-L and CLIP-G penultimate states side by side,
  zero-padded to the transformer's width, pooled = both text_embeds; with text_encoder_3 (comfy/text_encoders/
  sd3_clip.py SD3ClipModel.encode_token_weights, T5XXLTokenizer) T5's last_hidden_state appended along the tokens:
  each space-separated word of the prompt tokenized on its own by SentencePiece (python3-sentencepiece on
  tokenizer_3/spiece.model; no start token), the end id 1 after the last, padded with 0 to at least 77 tokens
  (min_length 77, no upper limit: one window however long); weights as for CLIP (sd1_clip.py
  ClipTokenWeightEncoder: the empty sequence [1, 0, 0, ...] of the same length in the batch, interpolated from)
- samplers: k-diffusion's euler, euler_ancestral (eta 1) and dpmpp_2m
- VAE: pixels = decoder(latent / scaling_factor + shift_factor)
- fp16 folders: every float input and output of a network rounded to float16 at its boundary
- img2img (ComfyUI's LoadImage -> VAEEncode -> KSampler with denoise): an RGB PNG written here (random bytes, at the
  run's size so no resampling is involved), pixels = byte / 255 * 2 - 1, the encoder's mean (the first C channels of
  latent_parameters; ComfyUI's VAEEncode takes the mode), latent = (mean - shift_factor) * scaling_factor; sigmas =
  the last steps + 1 of a schedule of int(steps / denoise) steps; x = latent + sigma_0 * noise (no max_denoise:
  sigma_0 is below sigma_max), flow: (1 - sigma_0) latent + sigma_0 noise. Written as <family>-img2img-<sampler>-*.npy,
  the image as <family>-img2img-init.png and the settings in img2img.json
- conditioning (the text encoders alone, conditioning.json, conditioning-<case>-context.npy [tokens, width] and
  -pooled.npy where the family pools): a weighted prompt as each UI parses it, written out here by hand as (token, weight) pairs looked up
  in vocab.json; ComfyUI (comfy/sd1_clip.py ClipTokenWeightEncoder.encode_token_weights): the empty prompt's window
  (BOS, EOS, pad) encoded in the same batch, z = (z - z_empty) * w + z_empty for each token of weight != 1; A1111
  (modules/sd_emphasis.py EmphasisOriginal): z * w, then z * (mean before / mean after) over the window; each text
  encoder weighted on its own, pooled = the first window's, unweighted; clip skip N: hidden_states[-N] (with the
  final layer norm for SD1), applied by ComfyUI to every encoder and by A1111 to SD1's only; SD3 (ComfyUI): CLIP-L
  and CLIP-G padded to the transformer's width, T5 after them as above, its words written out by hand too

The A1111 profile (a1111.json, a1111-*.npy; batches of 2, pixels of image 0 only), each from A1111 (modules/):
- noise: the NV generator (rng_philox.py, through tools/fixtures/make_philox_noise.py's NumPy Philox4x32-10), one
  per image seeded seed + i (rng.py ImageRNG: create_generator per seed of p.all_seeds); its first call is the
  image's starting noise, every later call (offset 1, 2, ...) one step's noise of that image (ImageRNG.next through
  the randn_like hijack of sd_samplers_kdiffusion.py); the first noise scaled by sigma_0 (KDiffusionSampler.sample)
- timestep: k-diffusion's fractional t, interpolated linearly in log sigma between the neighbouring training sigmas
  (DiscreteSchedule.sigma_to_t with quantize off, A1111's default); an export whose timestep input is int64 (sd1)
  cannot take a fraction and gets it rounded to the nearest integer, as Stepwise's session boundary does
- img2img: a schedule of `steps` steps of which the last t_enc + 1 run, t_enc = int(min(denoise, 0.999) * steps)
  (sd_samplers_common.py setup_img2img_steps, img2img_fix_steps off; sample_img2img sigmas[steps - t_enc - 1:]);
  x = latent + sigma_0 * first noise; the VAE encoder's mean as above (A1111 draws a sample: not followed)
- the rest (sigmas, CFG, the samplers, the VAE) as ComfyUI, which agrees there
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import make_philox_noise  # noqa: E402
import make_tiny  # noqa: E402
import sentencepiece  # noqa: E402

OUT = os.path.join(make_tiny.OUT, "reference")
IDS = os.path.join(make_tiny.CLIP, "reference_ids.tsv")
PROMPT = "a photograph of an astronaut riding a horse"
NEGATIVE = "paintings, cartoon, anime, sketches, lowres, sun"
CASES = [dict(family="sd1", width=64, height=64, steps=8, cfg=5.0, seed=42,
              samplers=["euler", "euler_ancestral", "dpmpp_2m"]),
         dict(family="sdxl", width=64, height=48, steps=8, cfg=5.0, seed=7,
              samplers=["euler", "euler_ancestral", "dpmpp_2m"]),
         dict(family="sd2-v", width=48, height=64, steps=6, cfg=4.0, seed=3, samplers=["euler", "dpmpp_2m"]),
         dict(family="sd3", width=64, height=64, steps=6, cfg=4.0, seed=5, samplers=["euler", "dpmpp_2m"]),
         # the folder without text_encoder_3: CLIP only, zero-padded (ComfyUI without T5)
         dict(family="sd3", width=64, height=64, steps=6, cfg=4.0, seed=5, samplers=["euler"], t5=False),
         # float16 boundaries: a rounding flipped by kernel noise moves a value by 2^-11 and that propagates (measured 3.4e-4)
         dict(family="sd1-fp16", width=64, height=64, steps=6, cfg=4.0, seed=9, samplers=["euler"], tolerance=2e-3)]


IMG2IMG = [dict(family="sd1", width=64, height=48, steps=8, cfg=5.0, seed=11, denoise=0.6,
                samplers=["euler", "euler_ancestral", "dpmpp_2m"]),
           dict(family="sd3", width=64, height=64, steps=6, cfg=4.0, seed=13, denoise=0.5, samplers=["euler"])]


A1111 = [dict(family="sd2-v", width=48, height=48, steps=6, cfg=4.0, seed=3, batch=2,
              samplers=["euler", "euler_ancestral", "dpmpp_2m"]),
         dict(family="sd1", width=48, height=48, steps=6, cfg=5.0, seed=42, batch=2, samplers=["euler_ancestral"]),
         # the init image of the ComfyUI sd1 img2img case (same seed and size)
         dict(family="sd1", width=64, height=48, steps=8, cfg=5.0, seed=11, batch=2, denoise=0.6,
              samplers=["euler_ancestral"])]


def write_png(path, rgb):
    """An 8-bit RGB PNG (colour type 2, filter 0 on every row), with zlib: no imaging library needed."""
    import struct
    import zlib
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def half(t):
    """A float32 tensor as it crosses a float16 session boundary (round to nearest even)."""
    return t.half().float()


def reference_ids():
    ids = {}
    with open(IDS) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            prompt, tokens = line.rstrip("\n").split("\t")
            ids[prompt] = [int(t) for t in tokens.split(",")]
    return ids


def window(ids, pad):
    assert len(ids) <= 77
    return torch.tensor([ids + [pad] * (77 - len(ids))], dtype=torch.int32)


def t5_tokens(words):
    """ComfyUI's T5 sequence for (word, weight) pairs: each word's SentencePiece ids (no end token), then the end
    id 1, padded with 0 to at least 77 tokens; the weights per token (1 for the end and the padding)."""
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(make_tiny.T5_DIR, "spiece.model"))
    ids, weights = [], []
    for word, weight in words:
        piece = sp.encode(word)
        ids += piece
        weights += [weight] * len(piece)
    ids.append(1)
    weights.append(1.0)
    pad = max(0, 77 - len(ids))
    return ids + [0] * pad, weights + [1.0] * pad


def t5_encoding(modules, words):
    """T5's last_hidden_state [tokens, width] for (word, weight) pairs, weighted ComfyUI's way."""
    ids, weights = t5_tokens(words)
    batch = torch.tensor([ids, [1] + [0] * (len(ids) - 1)], dtype=torch.int64)
    z = modules["t5"](batch)
    out, empty = z[0].clone(), z[1]
    for j, w in enumerate(weights):
        if w != 1.0:
            out[j] = (out[j] - empty[j]) * w + empty[j]
    return out


def encode(family, modules, ids, text=None):
    """The conditioning of reference token ids; text: the prompt for SD3's T5 (None: no T5, zeros only pad)."""
    spec = make_tiny.FAMILIES[family]
    outs = []
    for e, enc in zip(spec["encoders"], modules["encoders"]):
        pad = 49407 if e["pad"] == make_tiny.EOS else 0
        out = enc(window(ids, pad))
        outs.append(tuple(half(o) for o in out) if spec.get("fp16") else out)
    # TextEncoder outputs: (last_hidden_state, pooler_output, hidden 0..N) or (text_embeds, last, hidden 0..N)
    if family == "sdxl":
        h1 = outs[0][2:][-2]
        h2 = outs[1][2:][-2]
        return torch.cat([h1, h2], dim=-1), outs[1][0]
    if family == "sd3":
        lg = torch.cat([outs[0][2:][-2], outs[1][2:][-2]], dim=-1)
        lg = torch.nn.functional.pad(lg, (0, spec["joint"] - lg.shape[-1]))
        if text is not None:
            lg = torch.cat([lg, t5_encoding(modules, [(w, 1.0) for w in text.split(" ") if w])[None]], dim=-2)
        return lg, torch.cat([outs[0][0], outs[1][0]], dim=-1)
    return outs[0][0], None


def sigma_table(family):
    if family == "sd3":
        t = torch.arange(1, 1001, dtype=torch.float64) / 1000
        shift = 3.0
        return (shift * t / (1 + (shift - 1) * t)).float()
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    return (((1 - alphas_cumprod) / alphas_cumprod) ** 0.5).float()


def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = torch.linspace(0, 1, n)
    min_inv, max_inv = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = (max_inv + ramp * (min_inv - max_inv)) ** rho
    return torch.cat([sigmas, sigmas.new_zeros([1])])


class Denoiser:
    def __init__(self, family, modules, case, cond, uncond, table, interpolated=False):
        self.family, self.case, self.interpolated = family, case, interpolated
        unet = modules["denoiser"]
        if make_tiny.FAMILIES[family].get("fp16"):
            self.unet = lambda *a: half(unet(*[half(v) if v.is_floating_point() else v for v in a]))
        else:
            self.unet = unet
        self.cond, self.uncond = cond, uncond
        self.log_sigmas = table.log()
        self.calls = 0

    def timestep(self, sigma):
        log_sigma = torch.log(sigma)
        if not self.interpolated:
            return (log_sigma - self.log_sigmas).abs().argmin()
        # A1111: the fraction of the way from the training step just below to the one above, in log sigma
        ls = self.log_sigmas.double()
        below = int((ls <= float(log_sigma)).sum()) - 1
        below = min(max(below, 0), len(ls) - 2)
        w = (float(log_sigma) - float(ls[below])) / float(ls[below + 1] - ls[below])
        t = below + min(max(w, 0.0), 1.0)
        int_input = make_tiny.FAMILIES[self.family]["timestep"] == "int64"
        return torch.tensor(math.floor(t + 0.5)) if int_input else torch.tensor(t, dtype=torch.float32)

    def __call__(self, x, sigma):
        self.calls += 1
        flow = self.family == "sd3"
        b = x.shape[0]
        if flow:
            t = (sigma * 1000).float()
            c_in = 1.0
        else:
            t = self.timestep(sigma)
            c_in = 1 / (sigma ** 2 + 1) ** 0.5
        xin = torch.cat([x, x]) * c_in
        ctx = torch.cat([self.cond[0]] * b + [self.uncond[0]] * b)
        tt = torch.stack([t] * 2 * b)
        if self.family == "sd2-v":
            tt = t.float()   # this export takes one 0-d timestep for the whole batch
        if flow:
            eps = self.unet(xin, tt, ctx, torch.cat([self.cond[1]] * b + [self.uncond[1]] * b))
        elif self.family == "sdxl":
            h, w = float(self.case["height"]), float(self.case["width"])
            ids = torch.tensor([[h, w, 0.0, 0.0, h, w]] * 2 * b)
            pooled = torch.cat([self.cond[1]] * b + [self.uncond[1]] * b)
            eps = self.unet(xin, tt, ctx, pooled, ids)
        else:
            eps = self.unet(xin, tt, ctx)
        xx = torch.cat([x, x])
        if self.family == "sd2-v":
            denoised = xx / (sigma ** 2 + 1) - eps * sigma / (sigma ** 2 + 1) ** 0.5
        else:
            denoised = xx - eps * sigma
        c, u = denoised[:b], denoised[b:]
        return u + (c - u) * self.case["cfg"]


def sample_euler(model, x, sigmas, noise):
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        d = (x - denoised) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def sample_euler_ancestral(model, x, sigmas, noise):
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        s, s_next = sigmas[i], sigmas[i + 1]
        sigma_up = min(s_next, (s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2) ** 0.5)
        sigma_down = (s_next ** 2 - sigma_up ** 2) ** 0.5
        d = (x - denoised) / s
        x = x + d * (sigma_down - s)
        if s_next > 0:
            x = x + noise() * sigma_up
    return x


def sample_dpmpp_2m(model, x, sigmas, noise):
    old = None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        t, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
        h = t_next - t
        if old is None or sigmas[i + 1] == 0:
            x = (sigmas[i + 1] / sigmas[i]) * x - torch.expm1(-h) * denoised
        else:
            h_last = t - (-sigmas[i - 1].log())
            r = h_last / h
            d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
            x = (sigmas[i + 1] / sigmas[i]) * x - torch.expm1(-h) * d
        old = denoised
    return x


def run_img2img(case, sampler, init):
    """init: uint8 [H, W, 3]. Returns the final latent, the pixels and the model calls."""
    family = case["family"]
    modules = make_tiny.build(family)
    spec = make_tiny.FAMILIES[family]
    ids = reference_ids()
    t5 = family == "sd3" and case.get("t5", True)
    cond = encode(family, modules, ids[PROMPT], PROMPT if t5 else None)
    uncond = encode(family, modules, ids[NEGATIVE], NEGATIVE if t5 else None)
    table = sigma_table(family)
    total = int(case["steps"] / case["denoise"])
    sigmas = karras(total, float(table[0]), float(table[-1]))[-(case["steps"] + 1):]
    pixels_in = torch.from_numpy(init.astype(np.float32) / 255.0).permute(2, 0, 1)[None] * 2 - 1
    mean = modules["encoder"](pixels_in)[:, :spec["latent"]]
    latent_in = (mean - spec.get("shift", 0.0)) * spec["scale"]
    torch.manual_seed(case["seed"])
    noise = torch.randn(latent_in.shape)
    s0 = sigmas[0]
    x = (1 - s0) * latent_in + s0 * noise if family == "sd3" else latent_in + s0 * noise
    gen = torch.Generator(device="cpu")
    gen.manual_seed(case["seed"] + 1)
    step_noise = lambda: torch.randn(latent_in.shape, generator=gen)  # noqa: E731
    model = Denoiser(family, modules, case, cond, uncond, table)
    latent = globals()["sample_" + sampler](model, x, sigmas, step_noise)
    z = latent / spec["scale"] + spec.get("shift", 0.0)
    return latent, modules["decoder"](z)[0], model.calls


def img2img():
    written = []
    for case in IMG2IMG:
        init = np.random.RandomState(case["seed"]).randint(0, 256, (case["height"], case["width"], 3)).astype(np.uint8)
        image = "%s-img2img-init.png" % case["family"]
        write_png(os.path.join(OUT, image), init)
        for sampler in case["samplers"]:
            latent, pixels, calls = run_img2img(case, sampler, init)
            stem = "%s-img2img-%s" % (case["family"], sampler)
            np.save(os.path.join(OUT, stem + "-latent.npy"), latent.numpy().astype(np.float32))
            np.save(os.path.join(OUT, stem + "-pixels.npy"), pixels.numpy().astype(np.float32))
            settings = {k: v for k, v in case.items() if k != "samplers"}
            written.append(dict(settings, sampler=sampler, scheduler="karras", prompt=PROMPT, negative=NEGATIVE,
                                init=image, calls=calls, stem=stem, tolerance=1e-5))
            print(stem, "calls", calls, "latent mean %.6f std %.6f" % (latent.mean(), latent.std()))
    with open(os.path.join(OUT, "img2img.json"), "w") as f:
        json.dump(written, f, indent=2)
        f.write("\n")


WEIGHTED = "a (cat:1.3) on [grass]"
# The two UIs' parse of WEIGHTED: ComfyUI has no [] syntax (the brackets stay text); A1111's [x] divides by 1.1.
WEIGHTED_TOKENS = {"comfyui": [("a", 1.0), ("cat", 1.3), ("on", 1.0), ("[", 1.0), ("grass", 1.0), ("]", 1.0)],
                   "a1111": [("a", 1.0), ("cat", 1.3), ("on", 1.0), ("grass", 1 / 1.1)]}
CONDITIONING = [dict(family="sd1", profile="comfyui", prompt=WEIGHTED),
                dict(family="sd1", profile="a1111", prompt=WEIGHTED),
                dict(family="sdxl", profile="comfyui", prompt=WEIGHTED),
                dict(family="sdxl", profile="a1111", prompt=WEIGHTED),
                dict(family="sd1", profile="comfyui", prompt=WEIGHTED, clip_skip=2),
                dict(family="sd1", profile="a1111", prompt=WEIGHTED, clip_skip=3),
                dict(family="sdxl", profile="comfyui", prompt=WEIGHTED, clip_skip=1),
                # A1111 ignores clip skip on SDXL: the same as without it
                dict(family="sdxl", profile="a1111", prompt=WEIGHTED, clip_skip=3),
                dict(family="sd3", profile="comfyui", prompt=WEIGHTED)]
# ComfyUI's words of WEIGHTED for T5 (sd1_clip.py SDTokenizer.tokenize_with_weights: each weighted run split on " ")
WEIGHTED_T5_WORDS = [("a", 1.0), ("cat", 1.3), ("on", 1.0), ("[grass]", 1.0)]


def vocab_ids(pairs):
    with open(os.path.join(make_tiny.CLIP, "vocab.json")) as f:
        vocab = json.load(f)
    return [vocab[word + "</w>"] for word, _ in pairs], [w for _, w in pairs]


def layer_output(family, enc, outs, clip_skip, profile):
    """The per-token states the family conditions on, from a TextEncoder's output tuple. clip_skip N (A1111's
    numbering) is the layer -N of the hidden states (ComfyUI's CLIPSetLastLayer(-N), every encoder; A1111: SD1's
    only, sd_hijack_clip.py encode_with_transformers), through the final layer norm for SD1 (ComfyUI's
    layer_norm_hidden_state; A1111's final_layer_norm) and not for SDXL's encoders (sdxl_clip.py)."""
    if clip_skip and (profile == "comfyui" or family == "sd1"):
        h = outs[2:][-clip_skip]
        return enc.norm(h) if family == "sd1" else h
    if family in ("sdxl", "sd3"):
        return outs[2:][-2]
    return outs[0]


def weighted_encoding(family, enc, spec_encoder, ids, weights, profile, clip_skip):
    pad = 49407 if spec_encoder["pad"] == make_tiny.EOS else 0
    tokens = [49406] + ids + [49407]
    w = torch.tensor([1.0] + weights + [1.0] + [1.0] * (77 - len(tokens)), dtype=torch.float32)
    batch = window(tokens, pad)
    if profile == "comfyui":
        batch = torch.cat([batch, window([49406, 49407], pad)])
    outs = enc(batch)
    z = layer_output(family, enc, outs, clip_skip, profile)
    pooled = outs[0][:1] if spec_encoder.get("projection") else outs[1][:1]
    if profile == "comfyui":
        z, z_empty = z[:1].clone(), z[1]
        for j in range(77):
            if w[j] != 1.0:
                z[0, j] = (z[0, j] - z_empty[j]) * w[j] + z_empty[j]
    else:
        before = z.mean()
        z = z * w.reshape(1, 77, 1)
        z = z * (before / z.mean())
    return z[0], pooled[0]


def conditioning():
    written = []
    for case in CONDITIONING:
        family = case["family"]
        spec = make_tiny.FAMILIES[family]
        modules = make_tiny.build(family)
        ids, weights = vocab_ids(WEIGHTED_TOKENS[case["profile"]])
        parts = [weighted_encoding(family, enc, e, ids, weights, case["profile"], case.get("clip_skip", 0))
                 for e, enc in zip(spec["encoders"], modules["encoders"])]
        context = torch.cat([z for z, _ in parts], dim=-1)
        pooled = parts[-1][1]
        if family == "sd3":
            context = torch.nn.functional.pad(context, (0, spec["joint"] - context.shape[-1]))
            context = torch.cat([context, t5_encoding(modules, WEIGHTED_T5_WORDS)])
            pooled = torch.cat([p for _, p in parts])
        stem = "conditioning-%s-%s" % (family, case["profile"])
        if case.get("clip_skip"):
            stem += "-skip%d" % case["clip_skip"]
        np.save(os.path.join(OUT, stem + "-context.npy"), context.numpy().astype(np.float32))
        if family != "sd1":   # SD1 has no pooled embedding
            np.save(os.path.join(OUT, stem + "-pooled.npy"), pooled.numpy().astype(np.float32))
        written.append(dict(case, stem=stem, pooled=family != "sd1", tolerance=1e-5))
        print(stem, "context", tuple(context.shape), "mean %.6f" % context.mean())
    with open(os.path.join(OUT, "conditioning.json"), "w") as f:
        json.dump(written, f, indent=2)
        f.write("\n")


class ImageNoise:
    """A1111's per-image NV generators: image i's generator seeded seed + i, its k-th call at Philox offset k."""

    def __init__(self, seed, shape):
        self.seed, self.shape, self.calls = seed, shape, 0

    def __call__(self):
        n = int(np.prod(self.shape[1:]))
        rows = [make_philox_noise.nv_randn(self.seed + i, n, self.calls).reshape(self.shape[1:])
                for i in range(self.shape[0])]
        self.calls += 1
        return torch.from_numpy(np.stack(rows))


def run_a1111(case, sampler, init=None):
    """A1111's conventions; init (uint8 [H, W, 3]) makes it img2img. Returns the latents, image 0's pixels, calls."""
    family = case["family"]
    modules = make_tiny.build(family)
    spec = make_tiny.FAMILIES[family]
    ids = reference_ids()
    cond = encode(family, modules, ids[PROMPT])
    uncond = encode(family, modules, ids[NEGATIVE])
    table = sigma_table(family)
    steps = case["steps"]
    sigmas = karras(steps, float(table[0]), float(table[-1]))
    shape = [case["batch"], spec["latent"], case["height"] // 8, case["width"] // 8]
    noise = ImageNoise(case["seed"], shape)
    first = noise()
    if init is None:
        x = first * sigmas[0]
    else:
        t_enc = int(min(case["denoise"], 0.999) * steps)
        sigmas = sigmas[steps - t_enc - 1:]
        pixels_in = torch.from_numpy(init.astype(np.float32) / 255.0).permute(2, 0, 1)[None] * 2 - 1
        mean = modules["encoder"](pixels_in)[:, :spec["latent"]]
        latent_in = ((mean - spec.get("shift", 0.0)) * spec["scale"]).repeat(case["batch"], 1, 1, 1)
        x = latent_in + first * sigmas[0]
    model = Denoiser(family, modules, case, cond, uncond, table, interpolated=True)
    latent = globals()["sample_" + sampler](model, x, sigmas, noise)
    z = latent[:1] / spec["scale"] + spec.get("shift", 0.0)
    return latent, modules["decoder"](z)[0], model.calls


def a1111():
    written = []
    for case in A1111:
        init = None
        if "denoise" in case:
            init = np.random.RandomState(case["seed"]).randint(0, 256, (case["height"], case["width"], 3))
            init = init.astype(np.uint8)
        for sampler in case["samplers"]:
            latent, pixels, calls = run_a1111(case, sampler, init)
            stem = "a1111-%s%s-%s" % (case["family"], "" if init is None else "-img2img", sampler)
            np.save(os.path.join(OUT, stem + "-latent.npy"), latent.numpy().astype(np.float32))
            np.save(os.path.join(OUT, stem + "-pixels.npy"), pixels.numpy().astype(np.float32))
            settings = {k: v for k, v in case.items() if k != "samplers"}
            if init is not None:
                settings["init"] = "%s-img2img-init.png" % case["family"]
            written.append(dict(settings, compat="a1111", sampler=sampler, scheduler="karras", prompt=PROMPT,
                                negative=NEGATIVE, calls=calls, stem=stem, tolerance=1e-5))
            print(stem, "calls", calls, "latent mean %.6f std %.6f" % (latent.mean(), latent.std()))
    with open(os.path.join(OUT, "a1111.json"), "w") as f:
        json.dump(written, f, indent=2)
        f.write("\n")


def run(case, sampler):
    family = case["family"]
    modules = make_tiny.build(family)
    ids = reference_ids()
    t5 = family == "sd3" and case.get("t5", True)
    cond = encode(family, modules, ids[PROMPT], PROMPT if t5 else None)
    uncond = encode(family, modules, ids[NEGATIVE], NEGATIVE if t5 else None)
    table = sigma_table(family)
    sigmas = karras(case["steps"], float(table[0]), float(table[-1]))
    spec = make_tiny.FAMILIES[family]
    shape = [1, spec["latent"], case["height"] // 8, case["width"] // 8]
    torch.manual_seed(case["seed"])
    noise = torch.randn(shape)
    x = noise * sigmas[0] if family == "sd3" else noise * (1.0 + sigmas[0] ** 2) ** 0.5
    gen = torch.Generator(device="cpu")
    gen.manual_seed(case["seed"] + 1)
    step_noise = lambda: torch.randn(shape, generator=gen)  # noqa: E731
    model = Denoiser(family, modules, case, cond, uncond, table)
    latent = globals()["sample_" + sampler](model, x, sigmas, step_noise)
    z = latent / spec["scale"] + spec.get("shift", 0.0)
    pixels = half(modules["decoder"](half(z)))[0] if spec.get("fp16") else modules["decoder"](z)[0]
    return latent, pixels, model.calls


def main():
    os.makedirs(OUT, exist_ok=True)
    written = []
    with torch.no_grad():
        if sys.argv[1:] == ["conditioning"]:
            conditioning()
            return
        if sys.argv[1:] != ["a1111"]:
            img2img()
        if sys.argv[1:] != ["img2img"]:
            a1111()
        if sys.argv[1:]:
            return
        conditioning()
        for case in CASES:
            for sampler in case["samplers"]:
                latent, pixels, calls = run(case, sampler)
                stem = "%s%s-%s" % (case["family"], "" if case.get("t5", True) else "-no-t5", sampler)
                np.save(os.path.join(OUT, stem + "-latent.npy"), latent.numpy().astype(np.float32))
                np.save(os.path.join(OUT, stem + "-pixels.npy"), pixels.numpy().astype(np.float32))
                settings = dict({k: v for k, v in case.items() if k != "samplers"}, tolerance=case.get("tolerance", 1e-5))
                written.append(dict(settings, sampler=sampler, scheduler="karras", prompt=PROMPT, negative=NEGATIVE,
                                    calls=calls, stem=stem))
                print(stem, "calls", calls, "latent mean %.6f std %.6f" % (latent.mean(), latent.std()))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(written, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

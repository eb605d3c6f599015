#!/usr/bin/python3
"""Independent reference outputs for a wav2vec2 / HuBERT backbone, computed with torchaudio.

Run with Debian's python (torch 1.13, torchaudio 0.13, numpy), NOT a venv python:

    /usr/bin/python3 tests/reference/wav2vec2_reference.py CONFIG_JSON OUT_DIR [options]

Arguments:
    CONFIG_JSON          a Hugging Face config.json (model_type wav2vec2 or hubert). Parsed here, on purpose
                         independently of the C# parser. Only fields that shape the backbone are read.
    OUT_DIR              created if missing; existing files with the names below are overwritten.

Options:
    --seed N             seed for weights and audio (default 0).
    --lengths S,S,...    input durations in seconds at 16 kHz (default 1.0,0.73,1.6).
    --prefix P           prefix for every tensor name in model.safetensors, e.g. "wav2vec2." as in
                         Wav2Vec2ForCTC checkpoints (default: none).
    --compute-dtype D    float64 (default) or float32: precision of the reference forward pass. The weights are
                         always stored as float32 and cast up, so float64 gives the exact function of the stored
                         weights; expected outputs are saved as float32.
    --no-intermediates   do not write the per-input conv features and per-layer outputs.
    --no-verify          skip the reload check (see below).

What it does:
    1. builds torchaudio.models.wav2vec2_model(...) from the config (extractor_mode "group_norm"/"layer_norm" from
       feat_extract_norm, encoder_layer_norm_first = do_stable_layer_norm, every dropout and layerdrop 0, eval mode);
       layer_norm_eps is applied to the feature projection and transformer LayerNorms (the conv norms keep 1e-5,
       as in Hugging Face); feat_proj_layer_norm false (HuBERT only) removes the projection LayerNorm; activations
       other than "gelu" (gelu_new, relu, ...) replace torchaudio's GELU where Hugging Face uses them;
    2. randomizes the weights with the seed, including LayerNorm/GroupNorm affine parameters, every bias and the
       positional conv weight-norm magnitude (weight_g), so that none of them is a no-op;
    3. renames the state dict to Hugging Face names (the inverse of torchaudio's import_huggingface mapping:
       feature_extractor.* stays, encoder.feature_projection.* -> feature_projection.*,
       encoder.transformer.* -> encoder.*; the positional conv keeps weight_g [1,1,K] / weight_v) and adds
       masked_spec_embed [hidden] when mask_time_prob or mask_feature_prob > 0, as Hugging Face does;
    4. writes, in OUT_DIR:
         config.json              the Hugging Face fields used (model_type, architectures, sizes, ...)
         model.safetensors        F32 tensors with Hugging Face names (written by hand if the safetensors
                                  module is missing), metadata {"format": "pt"}
         input_{i}.npy            float32 [samples] audio (seeded noise + sines, peak about 0.5)
         expected_{i}.npy         float32 [frames, hidden] last hidden state of input i alone (batch of 1, no lengths)
         features_{i}.npy         float32 [frames, conv_dim[-1]] feature extractor output (before the projection)
         layers_{i}.npy           float32 [num_hidden_layers, frames, hidden] output of every encoder layer (before
                                  the final encoder LayerNorm of stable-layer-norm models)
         batch_input.npy          float32 [batch, max_samples] the inputs right-padded with zeros
         batch_lengths.npy        int64 [batch] valid samples per row
         batch_expected.npy       float32 [batch, max_frames, hidden] last hidden state of the padded batch with
                                  lengths (torchaudio semantics = Hugging Face with attention_mask: padded frames are
                                  zeroed after the projection and masked out as attention keys)
         batch_frame_lengths.npy  int64 [batch] valid frames per row; frames past it are garbage, compare only below it
         manifest.json            files, shapes, seed, versions and the max differences measured below
       Note: with feat_extract_norm "group" the first conv layer's GroupNorm normalizes over time including the
       padding, so the batched valid frames of a padded row differ from the unbatched result (as in Hugging Face and
       fairseq); with "layer" they agree to rounding.
    5. unless --no-verify: reads model.safetensors back with a hand-written reader, maps the names back to a fresh
       torchaudio model built with another seed, reruns every input and prints the max abs difference to the
       expected outputs (must be 0 up to rounding); exits 1 when it is above 1e-5.

Example:
    /usr/bin/python3 tests/reference/wav2vec2_reference.py /tmp/tiny/config.json /tmp/tiny-ref --seed 7
"""
import argparse
import json
import math
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

SAMPLE_RATE = 16000
ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_python": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_fast": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}

# Hugging Face defaults of Wav2Vec2Config / HubertConfig for the fields that shape the backbone.
HF_DEFAULTS = {
    "model_type": "wav2vec2",
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
    "feat_extract_norm": "group",
    "feat_extract_activation": "gelu",
    "conv_dim": [512] * 7,
    "conv_stride": [5, 2, 2, 2, 2, 2, 2],
    "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
    "conv_bias": False,
    "num_conv_pos_embeddings": 128,
    "num_conv_pos_embedding_groups": 16,
    "do_stable_layer_norm": False,
    "feat_proj_layer_norm": True,
    "mask_time_prob": 0.05,
    "mask_feature_prob": 0.0,
    "vocab_size": 32,
}


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def read_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    if not isinstance(raw, dict):
        fail(f"{path} must hold a JSON object")
    cfg = dict(HF_DEFAULTS)
    cfg.update({k: v for k, v in raw.items() if k in HF_DEFAULTS and v is not None})
    if cfg["model_type"] not in ("wav2vec2", "hubert"):
        fail(f"model_type {cfg['model_type']!r} is not supported (wav2vec2 or hubert)")
    if cfg["model_type"] == "wav2vec2":
        cfg["feat_proj_layer_norm"] = True  # Wav2Vec2FeatureProjection always has it
    if cfg["feat_extract_norm"] not in ("group", "layer"):
        fail(f"feat_extract_norm {cfg['feat_extract_norm']!r} must be group or layer")
    for key in ("hidden_act", "feat_extract_activation"):
        if cfg[key] not in ACTIVATIONS:
            fail(f"{key} {cfg[key]!r} is not one of {sorted(ACTIVATIONS)}")
    if not (len(cfg["conv_dim"]) == len(cfg["conv_stride"]) == len(cfg["conv_kernel"]) > 0):
        fail("conv_dim, conv_stride and conv_kernel must have the same non-zero length")
    for key in ("add_adapter", "conv_pos_batch_norm"):
        if raw.get(key):
            fail(f"{key} true is not supported")
    return cfg


def hf_config_json(cfg):
    out = {k: cfg[k] for k in HF_DEFAULTS if k != "feat_proj_layer_norm" or cfg["model_type"] == "hubert"}
    out["architectures"] = ["HubertModel" if cfg["model_type"] == "hubert" else "Wav2Vec2Model"]
    out["num_feat_extract_layers"] = len(cfg["conv_dim"])
    for key in ("hidden_dropout", "attention_dropout", "activation_dropout", "feat_proj_dropout", "layerdrop"):
        out[key] = 0.0
    return dict(sorted(out.items()))


# ---- model ------------------------------------------------------------------------------------------------------

def _conv_block_forward(act):
    def forward(self, x, length):
        x = self.conv(x)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        x = act(x)
        if length is not None:
            length = torch.div(length - self.kernel_size, self.stride, rounding_mode="floor") + 1
            length = torch.max(torch.zeros_like(length), length)
        return x, length
    return forward


def _pos_conv_forward(act):
    def forward(self, x):
        x = self.conv(x.transpose(-2, -1))  # [batch, hidden, frames + pad]
        if self.num_remove > 0:
            x = x[..., : -self.num_remove]
        return act(x).transpose(-2, -1)
    return forward


def _feed_forward_forward(act):
    def forward(self, x):
        x = self.intermediate_dropout(act(self.intermediate_dense(x)))
        return self.output_dropout(self.output_dense(x))
    return forward


def build_model(cfg):
    model = torchaudio.models.wav2vec2_model(
        extractor_mode=cfg["feat_extract_norm"] + "_norm",
        extractor_conv_layer_config=list(zip(cfg["conv_dim"], cfg["conv_kernel"], cfg["conv_stride"])),
        extractor_conv_bias=bool(cfg["conv_bias"]),
        encoder_embed_dim=cfg["hidden_size"],
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=cfg["num_conv_pos_embeddings"],
        encoder_pos_conv_groups=cfg["num_conv_pos_embedding_groups"],
        encoder_num_layers=cfg["num_hidden_layers"],
        encoder_num_heads=cfg["num_attention_heads"],
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=cfg["intermediate_size"],
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=bool(cfg["do_stable_layer_norm"]),
        encoder_layer_drop=0.0,
        aux_num_out=None,
    )
    if not cfg["feat_proj_layer_norm"]:
        model.encoder.feature_projection.layer_norm = torch.nn.Identity()

    # Hugging Face uses layer_norm_eps for the projection and transformer LayerNorms only.
    eps = float(cfg["layer_norm_eps"])
    transformer = model.encoder.transformer
    norms = [transformer.layer_norm] + [n for layer in transformer.layers for n in (layer.layer_norm, layer.final_layer_norm)]
    if cfg["feat_proj_layer_norm"]:
        norms.append(model.encoder.feature_projection.layer_norm)
    for norm in norms:
        norm.eps = eps

    # torchaudio hard-codes exact GELU; swap the function where the config asks for another one.
    if cfg["feat_extract_activation"] != "gelu":
        act = ACTIVATIONS[cfg["feat_extract_activation"]]
        for block in model.feature_extractor.conv_layers:
            block.forward = types.MethodType(_conv_block_forward(act), block)
        transformer.pos_conv_embed.forward = types.MethodType(_pos_conv_forward(act), transformer.pos_conv_embed)
    if cfg["hidden_act"] != "gelu":
        act = ACTIVATIONS[cfg["hidden_act"]]
        for layer in transformer.layers:
            layer.feed_forward.forward = types.MethodType(_feed_forward_forward(act), layer.feed_forward)
    return model.eval()


def randomize(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            module_name = name.rsplit(".", 2)[-2]
            if leaf == "bias":
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            elif "norm" in module_name and leaf == "weight":  # LayerNorm / GroupNorm scale
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            elif leaf == "weight_g":
                p.mul_(torch.rand(p.shape, generator=gen) + 0.5)
            elif leaf in ("weight", "weight_v"):
                fan_in = p[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound * math.sqrt(3))
            else:
                raise RuntimeError(f"unexpected parameter {name}")
    return gen


def to_hf_name(name):
    if name.startswith("encoder.feature_projection."):
        return name[len("encoder."):]
    if name.startswith("encoder.transformer."):
        return "encoder." + name[len("encoder.transformer."):]
    if name.startswith("feature_extractor."):
        return name
    raise RuntimeError(f"unexpected torchaudio name {name}")


def to_torchaudio_name(name):
    if name.startswith("feature_projection."):
        return "encoder." + name
    if name.startswith("encoder."):
        return "encoder.transformer." + name[len("encoder."):]
    return name


# ---- safetensors ---------------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    try:
        from safetensors.numpy import save_file
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, path, metadata=metadata)
        return "safetensors module"
    except ImportError:
        pass
    header = {"__metadata__": metadata}
    offset = 0
    for name, array in tensors.items():
        assert array.dtype == np.float32
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for array in tensors.values():
            f.write(np.ascontiguousarray(array, dtype="<f4").tobytes())
    return "hand-written writer"


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise RuntimeError(f"{name}: dtype {info['dtype']} not expected")
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(info["shape"])
    return tensors, header.get("__metadata__", {})


# ---- audio and forward passes --------------------------------------------------------------------------------------

def make_audio(seconds, rng):
    n = int(round(seconds * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    audio = 0.05 * rng.standard_normal(n)
    for _ in range(3):
        freq = rng.uniform(80, 3000)
        audio += rng.uniform(0.05, 0.15) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    return audio.astype(np.float32)


@torch.no_grad()
def run_single(model, audio, dtype):
    x = torch.from_numpy(audio)[None].to(dtype)
    features, _ = model.feature_extractor(x, None)  # [1, frames, conv_dim[-1]]
    layers, _ = model.extract_features(x)  # list of [1, frames, hidden]
    hidden, _ = model(x)  # [1, frames, hidden]
    return hidden[0], features[0], torch.stack([layer[0] for layer in layers])


@torch.no_grad()
def run_batch(model, audios, dtype):
    lengths = torch.tensor([len(a) for a in audios], dtype=torch.int64)
    batch = torch.zeros(len(audios), int(lengths.max()), dtype=torch.float32)
    for i, a in enumerate(audios):
        batch[i, : len(a)] = torch.from_numpy(a)
    hidden, frame_lengths = model(batch.to(dtype), lengths)
    return batch, lengths, hidden, frame_lengths


def max_diff(a, b):
    return float((a.to(torch.float64) - b.to(torch.float64)).abs().max()) if a.numel() else 0.0


def main():
    parser = argparse.ArgumentParser(description="wav2vec2/HuBERT reference outputs from torchaudio (see module doc)")
    parser.add_argument("config")
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lengths", default="1.0,0.73,1.6")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--compute-dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--no-intermediates", action="store_true")
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()

    cfg = read_config(args.config)
    dtype = torch.float64 if args.compute_dtype == "float64" else torch.float32
    seconds = [float(s) for s in args.lengths.split(",") if s.strip()]
    if not seconds or min(seconds) <= 0:
        fail("--lengths needs positive durations")
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)  # noqa: E731

    torch.manual_seed(args.seed)
    model = build_model(cfg)
    gen = randomize(model, args.seed)

    # Weights: float32 with HF names; the forward pass then runs on exactly these values.
    tensors = {}
    for name, value in model.state_dict().items():
        tensors[args.prefix + to_hf_name(name)] = value.detach().to(torch.float32).numpy().copy()
    if cfg["mask_time_prob"] > 0 or cfg["mask_feature_prob"] > 0:
        tensors[args.prefix + "masked_spec_embed"] = torch.rand(cfg["hidden_size"], generator=gen).numpy()
    writer = write_safetensors(out("model.safetensors"), tensors, {"format": "pt"})
    with open(out("config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config_json(cfg), f, indent=2)
        f.write("\n")
    model = model.to(dtype)

    rng = np.random.default_rng(args.seed)
    audios = [make_audio(s, rng) for s in seconds]
    manifest = {
        "seed": args.seed,
        "compute_dtype": args.compute_dtype,
        "torch": torch.__version__,
        "torchaudio": torchaudio.__version__,
        "safetensors_writer": writer,
        "prefix": args.prefix,
        "num_parameters": int(sum(v.size for k, v in tensors.items())),
        "inputs": [],
    }
    expected = []
    for i, audio in enumerate(audios):
        hidden, features, layers = run_single(model, audio, dtype)
        expected.append(hidden)
        np.save(out(f"input_{i}.npy"), audio)
        np.save(out(f"expected_{i}.npy"), hidden.to(torch.float32).numpy())
        entry = {"input": f"input_{i}.npy", "samples": len(audio), "expected": f"expected_{i}.npy",
                 "frames": int(hidden.shape[0]), "hidden": int(hidden.shape[1])}
        if not args.no_intermediates:
            np.save(out(f"features_{i}.npy"), features.to(torch.float32).numpy())
            np.save(out(f"layers_{i}.npy"), layers.to(torch.float32).numpy())
            entry.update({"features": f"features_{i}.npy", "layers": f"layers_{i}.npy"})
        manifest["inputs"].append(entry)

    batch, lengths, batch_hidden, frame_lengths = run_batch(model, audios, dtype)
    np.save(out("batch_input.npy"), batch.numpy())
    np.save(out("batch_lengths.npy"), lengths.numpy())
    np.save(out("batch_expected.npy"), batch_hidden.to(torch.float32).numpy())
    np.save(out("batch_frame_lengths.npy"), frame_lengths.numpy())
    batch_vs_single = [max_diff(batch_hidden[i, : int(frame_lengths[i])], expected[i]) for i in range(len(audios))]
    manifest["batch"] = {"input": "batch_input.npy", "lengths": "batch_lengths.npy", "expected": "batch_expected.npy",
                         "frame_lengths": "batch_frame_lengths.npy",
                         "max_abs_diff_valid_frames_vs_unbatched": batch_vs_single}
    print(f"wrote {len(tensors)} tensors ({manifest['num_parameters']:,} parameters, {writer}) and "
          f"{len(audios)} inputs to {args.out_dir}")
    print("batched vs unbatched, valid frames, max abs diff:", ", ".join(f"{d:.3g}" for d in batch_vs_single),
          "(group norm: padded rows differ by design)" if cfg["feat_extract_norm"] == "group" else "")

    status = 0
    if not args.no_verify:
        loaded, metadata = read_safetensors(out("model.safetensors"))
        fresh = build_model(cfg)
        randomize(fresh, args.seed + 1)
        state = {to_torchaudio_name(n[len(args.prefix):]): torch.from_numpy(t.copy())
                 for n, t in loaded.items() if n[len(args.prefix):] != "masked_spec_embed"}
        fresh.load_state_dict(state, strict=True)
        fresh = fresh.to(dtype)
        diffs = [max_diff(run_single(fresh, a, dtype)[0], e) for a, e in zip(audios, expected)]
        _, _, reloaded_batch, _ = run_batch(fresh, audios, dtype)
        diffs.append(max_diff(reloaded_batch, batch_hidden))
        worst = max(diffs)
        manifest["verify_max_abs_diff"] = worst
        print(f"reloaded model.safetensors ({len(loaded)} tensors, metadata {metadata}) into a fresh torchaudio model: "
              f"max abs diff {worst:.3g}")
        if worst > 1e-5:
            print("error: the renamed weights do not reproduce the outputs", file=sys.stderr)
            status = 1
    with open(out("manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""PyTorch 1.13 eager baseline for the backbone benchmark (bench/S3Router.Bench), driven over stdin/stdout.

Run with Debian's python (torch 1.13 + torchaudio 0.13, BLAS = OpenBLAS via libopenblas0-pthread):

    /usr/bin/python3 bench/backbone_pytorch.py --threads 2

The model is torchaudio.models.wav2vec2_model built from a backbone directory's config.json and loaded with the SAME
weights from its model.safetensors (Hugging Face names mapped to torchaudio's, as tests/reference/wav2vec2_reference.py
does). One JSON object per line in, one out:

    {"cmd": "info"}                                    -> torch version, threads, BLAS library, GEMM check
    {"cmd": "load", "dir": DIR}                        -> {"parameters": N}
    {"cmd": "run", "batch": B, "samples": S}           -> {"seconds": wall time of one forward, no_grad, eval}
    {"cmd": "features", "input": NPY, "output": NPY}   -> writes the last hidden state [B, frames, hidden] of input [B, S]
    {"cmd": "gemm", "n": N}                            -> {"seconds": one fp32 N x N x N matmul}
    {"cmd": "quit"}
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import wav2vec2_reference as ref  # noqa: E402  (the oracle's config parser, model builder and name mapping)

PREFIXES = ("wav2vec2.", "hubert.")


def blas_libraries():
    """The BLAS/LAPACK shared objects mapped into this process (after a GEMM has run)."""
    with open("/proc/self/maps", encoding="utf-8") as f:
        paths = {line.split()[-1] for line in f if "/" in line}
    return sorted(os.path.realpath(p) for p in paths if any(k in os.path.basename(p) for k in ("blas", "lapack", "mkl")))


def gemm_seconds(n):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    start = time.perf_counter()
    torch.mm(a, b)
    return time.perf_counter() - start


def load(directory):
    cfg = ref.read_config(os.path.join(directory, "config.json"))
    model = ref.build_model(cfg)
    tensors, _ = ref.read_safetensors(os.path.join(directory, "model.safetensors"))
    state = {}
    for name, array in tensors.items():
        for prefix in PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix):]
        if name == "masked_spec_embed":
            continue  # training-only SpecAugment vector; torchaudio's inference model has none
        state[ref.to_torchaudio_name(name)] = torch.from_numpy(np.array(array))
    model.load_state_dict(state, strict=True)
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = None
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request["cmd"]
        if cmd == "info":
            gemm_seconds(256)  # maps the BLAS library
            reply = {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "blas": blas_libraries(),
                "blas_info": [s.strip() for s in torch.__config__.show().replace("\n", ",").split(",") if "BLAS_INFO" in s],
            }
        elif cmd == "load":
            model = load(request["dir"])
            reply = {"parameters": sum(p.numel() for p in model.parameters())}
        elif cmd == "run":
            x = torch.randn(request["batch"], request["samples"]) * 0.3
            with torch.inference_mode():
                start = time.perf_counter()
                model(x)
                reply = {"seconds": time.perf_counter() - start}
        elif cmd == "features":
            x = torch.from_numpy(np.load(request["input"]))
            with torch.inference_mode():
                hidden, _ = model(x)
            np.save(request["output"], hidden.numpy().astype(np.float32))
            reply = {"shape": list(hidden.shape)}
        elif cmd == "gemm":
            reply = {"seconds": gemm_seconds(request["n"])}
        elif cmd == "quit":
            return
        else:
            reply = {"error": f"unknown command {cmd}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()

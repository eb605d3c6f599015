#!/usr/bin/python3
"""PyTorch 1.13 baseline for the training-step benchmark (bench/S3Router.Bench training-step), over stdin/stdout.

Run with Debian's python (torch 1.13 + torchaudio 0.13, BLAS = OpenBLAS):

    /usr/bin/python3 bench/training_step_pytorch.py --threads 1

The backbone is torchaudio.models.wav2vec2_model loaded from the backbone directory the .NET side wrote (see
bench/backbone_pytorch.py), with the config's dropouts (layerdrop is not supported here: the benchmark sets it to 0 on
both sides). The step is the engine's (src/TrainingService/Training/TrainingStep.cs): zero the gradients, forward in
training mode, CTC loss (blank 0, zero_infinity, summed per utterance, averaged over the batch), backward, gradient
norm clipped to 10, Adam (betas 0.9/0.98, eps 1e-8) at a fixed learning rate. Two variants of the same model:

    weights  conv frontend frozen, everything else and the head trained (torch.optim.Adam)
    mask     backbone frozen; every FFN linear (fc1, fc2) uses W * M, M = top-k(|scores|) per tensor with
             k = round(keep * numel), straight-through gradient to the scores (the engine's MaskedLinear algorithm:
             threshold by kthvalue, ties kept in row-major order); scores and head trained

One JSON object per line in, one out:

    {"cmd": "info"}                                          -> torch version, threads, BLAS
    {"cmd": "setup", "dir": DIR, "extras": SAFETENSORS, "input": NPY, "lengths": [..], "targets": [[..], ..],
     "keep": 0.9, "lr": LR, "clip": 10.0}                    -> {"parameters": {variant: trainable count}}
    {"cmd": "loss", "variant": V}                            -> {"loss": eval-mode loss, no dropout, no update}
    {"cmd": "step", "variant": V}                            -> {"seconds": wall time of one step, "cpu_seconds": process
                                                                CPU time, "minor_faults": page faults, "loss": ...}
    {"cmd": "gemm", "n": N}                                  -> {"seconds": one fp32 N x N x N matmul}
    {"cmd": "quit"}

EXTRAS holds the head (head.proj.weight, head.proj.bias) and the mask scores by engine name
(encoder.layers.0.feed_forward.intermediate_dense.scores, ...), so both engines train the same function.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import backbone_pytorch as bb  # noqa: E402  (model loading, BLAS report, GEMM)

ref = bb.ref


def dropouts(model, cfg):
    """Gives torchaudio's Dropout modules the config's probabilities (the reference builder zeroes them)."""
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Dropout):
            continue
        if name.endswith("feature_projection.dropout"):
            module.p = float(cfg.get("feat_proj_dropout", 0.0))
        elif name.endswith("attention.dropout"):
            module.p = float(cfg.get("attention_dropout", 0.1))
        elif name.endswith("intermediate_dropout"):
            module.p = float(cfg.get("activation_dropout", 0.1))
        else:  # transformer.dropout, layers.N.dropout, feed_forward.output_dropout
            module.p = float(cfg.get("hidden_dropout", 0.1))


class MaskedLinear(torch.nn.Module):
    """y = x (W * M)^T + b with M = top-k(|scores|), straight-through to the scores; W and b frozen."""

    def __init__(self, linear, scores, keep):
        super().__init__()
        self.weight = torch.nn.Parameter(linear.weight.detach().clone(), requires_grad=False)
        self.bias = torch.nn.Parameter(linear.bias.detach().clone(), requires_grad=False)
        self.scores = torch.nn.Parameter(scores.clone())
        self.keep_count = int(math.floor(keep * self.weight.numel() + 0.5))

    def hard_mask(self, abs_scores):
        flat = abs_scores.flatten()
        threshold = flat.kthvalue(flat.numel() - self.keep_count).values
        keep = flat > threshold
        kept = int(keep.sum().item())
        if kept < self.keep_count:
            ties = flat == threshold
            keep = keep | (ties & (ties.long().cumsum(0) <= self.keep_count - kept))
        return keep.view(abs_scores.shape).to(abs_scores.dtype)

    def forward(self, x):
        a = self.scores.abs()
        with torch.no_grad():
            hard = self.hard_mask(a)
        return F.linear(x, self.weight * (hard + (a - a.detach())), self.bias)


class Variant:
    def __init__(self, kind, directory, extras, keep, lr, clip):
        cfg = json.load(open(os.path.join(directory, "config.json"), encoding="utf-8"))
        if float(cfg.get("layerdrop", 0.0)) != 0.0:
            raise ValueError("set layerdrop to 0: torchaudio's layer drop differs from the engine's")
        self.model = bb.load(directory)
        dropouts(self.model, cfg)
        self.head = torch.nn.Linear(cfg["hidden_size"], extras["head.proj.weight"].shape[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(np.array(extras["head.proj.weight"])))
            self.head.bias.copy_(torch.from_numpy(np.array(extras["head.proj.bias"])))
        if kind == "mask":
            for p in self.model.parameters():
                p.requires_grad = False
            for i, layer in enumerate(self.model.encoder.transformer.layers):
                ff = layer.feed_forward
                for name in ("intermediate_dense", "output_dense"):
                    scores = torch.from_numpy(np.array(extras[f"encoder.layers.{i}.feed_forward.{name}.scores"]))
                    setattr(ff, name, MaskedLinear(getattr(ff, name), scores, keep))
        elif kind == "weights":
            for p in self.model.feature_extractor.parameters():
                p.requires_grad = False
        else:
            raise ValueError(f"unknown variant {kind}")
        self.params = [p for p in list(self.model.parameters()) + list(self.head.parameters()) if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.98), eps=1e-8)
        self.clip = clip

    def loss(self, waveforms, lengths, targets, target_lengths):
        hidden, frames = self.model(waveforms, lengths)
        log_probs = self.head(hidden).log_softmax(-1).transpose(0, 1)  # [frames, batch, V]
        loss = F.ctc_loss(log_probs, targets, frames, target_lengths, blank=0, reduction="sum", zero_infinity=True)
        return loss / waveforms.shape[0]

    def step(self, batch):
        self.optimizer.zero_grad()
        self.model.train()
        self.head.train()
        loss = self.loss(*batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.params if p.grad is not None], self.clip)
        self.optimizer.step()
        return loss.item()

    def eval_loss(self, batch):
        self.model.eval()
        self.head.eval()
        with torch.no_grad():
            return self.loss(*batch).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    variants = {}
    batch = None
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request["cmd"]
        try:
            if cmd == "info":
                bb.gemm_seconds(256)  # maps the BLAS library
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": bb.blas_libraries()}
            elif cmd == "setup":
                variants.clear()
                extras, _ = ref.read_safetensors(request["extras"])
                waveforms = torch.from_numpy(np.load(request["input"]))
                targets = request["targets"]
                batch = (
                    waveforms,
                    torch.tensor(request["lengths"], dtype=torch.long),
                    torch.tensor([t for target in targets for t in target], dtype=torch.long),
                    torch.tensor([len(t) for t in targets], dtype=torch.long),
                )
                for kind in ("mask", "weights"):
                    variants[kind] = Variant(kind, request["dir"], extras, request["keep"], request["lr"], request["clip"])
                reply = {"parameters": {k: sum(p.numel() for p in v.params) for k, v in variants.items()}}
            elif cmd == "loss":
                reply = {"loss": variants[request["variant"]].eval_loss(batch)}
            elif cmd == "step":
                faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                cpu = time.process_time()
                start = time.perf_counter()
                loss = variants[request["variant"]].step(batch)
                reply = {
                    "seconds": time.perf_counter() - start,
                    "cpu_seconds": time.process_time() - cpu,
                    "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
                    "loss": loss,
                }
            elif cmd == "gemm":
                reply = {"seconds": bb.gemm_seconds(request["n"])}
            elif cmd == "quit":
                return
            else:
                reply = {"error": f"unknown command {cmd}"}
        except Exception as e:  # noqa: BLE001  (reported to the driver, which stops)
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()

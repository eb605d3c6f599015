#!/usr/bin/python3
"""Accuracy of each member of conv_max route heads and of every sub-ensemble, on one split (bench/README.md,
"Intent: an ensemble of conv_max heads"). Reads the bundles' head tensors (one head: head.*; an ensemble:
head.members.{k}.*), runs the frozen backbone of backbone_pytorch.py on each utterance alone and the conv_max formula of
docs/formats.md, averages probabilities over every subset of the members given.

    /usr/bin/python3 bench/ensemble_members.py MANIFEST_DIR SPLIT BACKBONE_DIR BUNDLE [BUNDLE ...]
"""
import itertools
import json
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import backbone_pytorch as bb  # noqa: E402
import classifier_baselines as cb  # noqa: E402

torch.set_num_threads(2)


def read_bundle(path):
    """(head tensors by name, labels) of a safetensors bundle."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name.startswith("head."):
            begin, end = entry["data_offsets"]
            tensors[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=np.float32).reshape(entry["shape"]).copy())
    return tensors, json.loads(header["__metadata__"]["labels"])


def members(path):
    """[(name, tensors under head.*)] per member of the bundle's head."""
    tensors, labels = read_bundle(path)
    indices = sorted({int(n.split(".")[2]) for n in tensors if n.startswith("head.members.")})
    if not indices:
        return [(path, tensors, labels)]
    return [(f"{path}#{k}", {"head." + n[len(f"head.members.{k}."):]: v for n, v in tensors.items() if n.startswith(f"head.members.{k}.")}, labels)
            for k in indices]


def probabilities(t, states):
    """softmax(proj(max_t ReLU(conv(LayerNorm(sum_l a_l h_l))))) of one utterance's hidden states [L + 1, T, H]."""
    x = (t["head.layer_logits"].softmax(0)[:, None, None] * states).sum(0)
    x = torch.nn.functional.layer_norm(x, (x.shape[1],), t["head.norm.weight"], t["head.norm.bias"])
    kernel = t["head.conv.weight"].shape[2]
    c = torch.relu(torch.nn.functional.conv1d(x.T[None], t["head.conv.weight"], t["head.conv.bias"], padding=kernel // 2))[0]
    return (t["head.proj.weight"] @ c.max(1).values + t["head.proj.bias"]).softmax(0)


def main():
    root, split, backbone = sys.argv[1:4]
    heads = [m for path in sys.argv[4:] for m in members(path)]
    labels = heads[0][2]
    paths, truth = cb.read_split(root, split)
    y = torch.tensor([labels.index(label) for label in truth])
    model = bb.load(backbone).eval()
    p = [[] for _ in heads]
    with torch.no_grad():
        for path in paths:
            _, states = cb.frame_states(path, model)
            for j, (_, t, _) in enumerate(heads):
                p[j].append(probabilities(t, states))
    p = [torch.stack(rows) for rows in p]

    def accuracy(subset):
        return (sum(p[i] for i in subset).argmax(1) == y).float().mean().item()

    for j, (name, _, _) in enumerate(heads):
        print(f"{name}: {accuracy([j]):.4f}")
    for k in range(2, len(heads) + 1):
        scores = [accuracy(s) for s in itertools.combinations(range(len(heads)), k)]
        print(f"ensembles of {k}: mean {sum(scores) / len(scores):.4f}, min {min(scores):.4f}, max {max(scores):.4f} over {len(scores)}")


if __name__ == "__main__":
    main()

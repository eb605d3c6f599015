#!/usr/bin/python3
"""Linear-probe baselines for a classification manifest (speaker ID, intent): how much of the task the input
features carry, to read the routes' accuracy in bench/README.md ("Quality") against.

    /usr/bin/python3 bench/classifier_baselines.py MANIFEST_DIR [BACKBONE_DIR [--conv-max]]

MANIFEST_DIR holds train/test .tsv + .label (s3r data synth). Prints test accuracy of a linear classifier
(Adam, full batch, 1000 steps, weight decay 1e-3, features standardized on train) on:
  - MFCC statistics: mean and standard deviation of 40 MFCCs and the standard deviation of their deltas;
  - with BACKBONE_DIR (e.g. models/tiny-ssl), each hidden state of the frozen backbone (0 = transformer input,
    1..L = layer outputs, "avg" = their average), pooled by mean, and by mean + standard deviation; the conv
    features (feature extractor output) by mean + standard deviation; and "all states": conv features and every
    hidden state, mean + standard deviation each, concatenated (what a route's "stats" pooling head reads);
  - with BACKBONE_DIR and --conv-max: a small temporal head on the frames (softmax-weighted sum of the hidden states,
    LayerNorm, Conv1d of width 5 to 256 channels, ReLU, max over time, linear; AdamW 2e-3, 2,000 steps of 32):
    a bag of local detectors, which word-order-changed intent test sentences do not defeat.
"""
import sys

import torch
import torchaudio

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import backbone_pytorch as bb  # noqa: E402  (model loading)

torch.set_num_threads(1)


def read_split(root, split):
    lines = open(f"{root}/{split}.tsv", encoding="utf-8").read().splitlines()
    files = [line.split("\t")[0] for line in lines[1:]]
    labels = open(f"{root}/{split}.label", encoding="utf-8").read().split("\n")[: len(files)]
    return [f"{lines[0]}/{f}" for f in files], labels


def mfcc_statistics(paths):
    mfcc = torchaudio.transforms.MFCC(16000, n_mfcc=40, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 64})
    rows = []
    for path in paths:
        m = mfcc(torchaudio.load(path)[0])[0]  # [40, T]
        rows.append(torch.cat([m.mean(1), m.std(1), (m[:, 1:] - m[:, :-1]).std(1)]))
    return {"MFCC statistics": torch.stack(rows)}


def frame_states(path, model):
    """Conv features [T, C] and hidden states [L + 1, T, H] of one utterance."""
    with torch.no_grad():
        conv, _ = model.feature_extractor(torchaudio.load(path)[0], None)
        x = model.encoder.transformer._preprocess(model.encoder.feature_projection(conv))
        states = [x[0]]
        for layer in model.encoder.transformer.layers:
            out = layer(x, None)
            x = out[0] if isinstance(out, tuple) else out
            states.append(x[0])
    return conv[0], torch.stack(states)


def stats(x):
    return torch.cat([x.mean(0), x.std(0, unbiased=False)])


def backbone_states(paths, model):
    features = {}
    for path in paths:
        conv, states = frame_states(path, model)
        named = [(str(i), s) for i, s in enumerate(states)] + [("avg", states.mean(0))]
        for name, s in named:
            features.setdefault(f"state {name} mean", []).append(s.mean(0))
            features.setdefault(f"state {name} mean+std", []).append(torch.cat([s.mean(0), s.std(0)]))
        features.setdefault("conv features mean+std", []).append(stats(conv))
        features.setdefault("all states (conv + every hidden state) mean+std", []).append(
            torch.cat([stats(conv)] + [stats(s) for s in states]))
    return {k: torch.stack(v) for k, v in features.items()}


class ConvMaxHead(torch.nn.Module):
    """Softmax-weighted sum of the hidden states, LayerNorm, Conv1d over time, ReLU, max over valid frames, linear."""

    def __init__(self, states, hidden, classes, width=256, kernel=5):
        super().__init__()
        self.layer_logits = torch.nn.Parameter(torch.zeros(states))
        self.norm = torch.nn.LayerNorm(hidden)
        self.conv = torch.nn.Conv1d(hidden, width, kernel, padding=kernel // 2)
        self.out = torch.nn.Linear(width, classes)

    def forward(self, x, lengths):  # x [B, L + 1, T, H]
        x = self.norm((self.layer_logits.softmax(0)[None, :, None, None] * x).sum(1))
        h = torch.relu(self.conv(x.transpose(1, 2)))  # [B, width, T]
        valid = torch.arange(h.shape[2])[None, :] < lengths[:, None]
        return self.out(h.masked_fill(~valid[:, None, :], -1e4).max(2).values)


def padded(items):
    frames = max(s.shape[1] for s in items)
    out = torch.zeros(len(items), items[0].shape[0], frames, items[0].shape[2])
    for i, s in enumerate(items):
        out[i, :, : s.shape[1]] = s
    return out, torch.tensor([s.shape[1] for s in items])


def conv_max(train, y_train, test, y_test, classes, steps=2000, batch=32):
    torch.manual_seed(0)
    head = ConvMaxHead(train[0].shape[0], train[0].shape[2], classes)
    optimizer = torch.optim.AdamW(head.parameters(), 2e-3, weight_decay=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(len(train), (batch,), generator=generator)
        x, lengths = padded([train[i] for i in idx])
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(head(x, lengths), y_train[idx]).backward()
        optimizer.step()
    hits = 0
    with torch.no_grad():
        for i in range(0, len(test), 64):
            x, lengths = padded(test[i:i + 64])
            hits += (head(x, lengths).argmax(1) == y_test[i:i + 64]).sum().item()
    return hits / len(test)


def probe(train, y_train, test, y_test, classes):
    mu, sd = train.mean(0), train.std(0) + 1e-5
    train, test = (train - mu) / sd, (test - mu) / sd
    torch.manual_seed(0)
    linear = torch.nn.Linear(train.shape[1], classes)
    optimizer = torch.optim.Adam(linear.parameters(), 1e-2, weight_decay=1e-3)
    for _ in range(1000):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(linear(train), y_train).backward()
        optimizer.step()
    with torch.no_grad():
        return (linear(test).argmax(1) == y_test).float().mean().item()


def main():
    root = sys.argv[1]
    (train_paths, train_labels), (test_paths, test_labels) = read_split(root, "train"), read_split(root, "test")
    names = sorted(set(train_labels))
    index = {n: i for i, n in enumerate(names)}
    y_train = torch.tensor([index[n] for n in train_labels])
    y_test = torch.tensor([index[n] for n in test_labels])
    if "--conv-max" in sys.argv:
        model = bb.load(sys.argv[2]).eval()
        train = [frame_states(p, model)[1] for p in train_paths]
        test = [frame_states(p, model)[1] for p in test_paths]
        print(f"conv-max head on the hidden states: test accuracy {conv_max(train, y_train, test, y_test, len(names)):.3f}")
        return
    extractors = [mfcc_statistics]
    if len(sys.argv) > 2:
        model = bb.load(sys.argv[2]).eval()
        extractors.append(lambda paths: backbone_states(paths, model))
    print(f"{root}: {len(train_paths)} train, {len(test_paths)} test, {len(names)} classes")
    for extract in extractors:
        train, test = extract(train_paths), extract(test_paths)
        for name in train:
            print(f"{name}: test accuracy {probe(train[name], y_train, test[name], y_test, len(names)):.3f}", flush=True)


if __name__ == "__main__":
    main()

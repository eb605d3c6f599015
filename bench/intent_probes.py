#!/usr/bin/python3
"""Probes of what a temporal intent head on a frozen backbone lacks on a held-out word order (bench/README.md,
"Intent on a new word order: three probes"). Each trains the conv_max probe head of classifier_baselines.py (AdamW
2e-3, weight decay 1e-2, batches of 32 random utterances, seed 0) and prints valid (held-out voices, training
templates) and test (held-out voices and template) accuracy every 500 steps.

    /usr/bin/python3 bench/intent_probes.py MANIFEST_DIR BACKBONE_DIR MODE [--steps N]

MODE:
  plain          the probe as classifier_baselines.py --conv-max runs it (the reference row)
  splice K       K extra copies of each training utterance, cut at quiet 20 ms windows into two or three pieces and
                 put together in another order (50-200 ms of silence between): new word orders of the training audio
  words          the detectors also supervised with the words of each utterance (multi-label, from <split>.wrd), the
                 intent read from the detected bag of words through one linear layer
  window S HOP   the backbone run on windows of S seconds every HOP seconds (each frame sees only its window), the
                 head over the frames of all windows
  speed K        K extra copies of each training utterance played at a speed drawn log-uniformly in 0.8-1.3
                 (resampled: pitch, formants and tempo move together, what `s3r data synth --speed-copies` makes)
  shift K        as speed, then stretched back to the original duration (phase vocoder): pitch and formants only

With a test_seen split in MANIFEST_DIR (test voices on the training templates) it is scored too.
"""
import argparse
import math
import os
import random
import sys
import time

import torch
import torchaudio

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import backbone_pytorch as bb  # noqa: E402
import classifier_baselines as cb  # noqa: E402

torch.set_num_threads(1)
SPLITS = ("train", "valid", "test")


def hidden_states(model, waves):
    """Hidden states [B, L + 1, T, H] of equal-length waves [B, S]."""
    with torch.no_grad():
        conv, _ = model.feature_extractor(waves, None)
        x = model.encoder.transformer._preprocess(model.encoder.feature_projection(conv))
        states = [x]
        for layer in model.encoder.transformer.layers:
            out = layer(x, None)
            x = out[0] if isinstance(out, tuple) else out
            states.append(x)
    return torch.stack(states, 1)


def quiet_cut(wave, low, high, rng):
    """A sample index at one of the 3 quietest 20 ms windows between fractions low and high of the utterance."""
    win = 320
    energy = wave[: wave.shape[0] - wave.shape[0] % win].reshape(-1, win).pow(2).mean(1)
    a = max(1, int(low * len(energy)))
    b = max(a + 2, int(high * len(energy)))
    candidates = energy[a:b]
    k = min(3, len(candidates))
    return (a + torch.topk(-candidates, k).indices[rng.randrange(k)].item()) * win + win // 2


def spliced(wave, rng):
    gap = torch.zeros(rng.randrange(800, 3200))
    if rng.random() < 0.5:
        cut = quiet_cut(wave, 0.2, 0.8, rng)
        return torch.cat([wave[cut:], gap, wave[:cut]])
    c1, c2 = quiet_cut(wave, 0.15, 0.45, rng), quiet_cut(wave, 0.55, 0.85, rng)
    parts, order = [wave[:c1], wave[c1:c2], wave[c2:]], [0, 1, 2]
    while order == [0, 1, 2]:
        rng.shuffle(order)
    return torch.cat([parts[order[0]], gap, parts[order[1]], gap, parts[order[2]]])


def warped(wave, rng, keep_duration):
    """The wave played at a speed in [0.8, 1.3] (log-uniform); with keep_duration stretched back to its length."""
    speed = math.exp(rng.uniform(math.log(0.8), math.log(1.3)))
    # Read as if recorded at 16 kHz x speed, on a 100 Hz grid so the resampler's kernel stays small.
    y = torchaudio.functional.resample(wave, int(round(160 * speed)) * 100, 16000)
    if keep_duration:
        n_fft, hop = 512, 128
        window = torch.hann_window(n_fft)
        spec = torch.stft(y, n_fft, hop, window=window, return_complex=True)
        advance = torch.linspace(0, math.pi * hop, spec.shape[-2])[..., None]
        stretched = torchaudio.functional.phase_vocoder(spec, y.shape[-1] / wave.shape[-1], advance)
        y = torch.istft(stretched, n_fft, hop, window=window, length=wave.shape[-1])
    return y * (wave.abs().max() / y.abs().max().clamp(min=1e-4))


def windowed_states(model, wave, seconds, hop):
    size, step = int(seconds * 16000), int(hop * 16000)
    if wave.shape[0] <= size:
        return hidden_states(model, wave[None])[0]
    starts = range(0, wave.shape[0] - size + step, step)
    chunks = [torch.nn.functional.pad(wave[s:s + size], (0, max(0, s + size - wave.shape[0]))) for s in starts]
    return torch.cat(list(hidden_states(model, torch.stack(chunks))), 1)


class WordsHead(torch.nn.Module):
    def __init__(self, states, hidden, words, classes):
        super().__init__()
        self.detectors = cb.ConvMaxHead(states, hidden, words)
        self.intent = torch.nn.Linear(words, classes)

    def forward(self, x, lengths):
        words = self.detectors(x, lengths)
        return self.intent(torch.sigmoid(words)), words


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifests")
    parser.add_argument("backbone")
    parser.add_argument("mode", choices=["plain", "splice", "words", "window", "speed", "shift"])
    parser.add_argument("values", nargs="*", type=float)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    started = time.time()
    model = bb.load(args.backbone).eval()
    rng = random.Random(0)
    splits = SPLITS + (("test_seen",) if os.path.exists(f"{args.manifests}/test_seen.tsv") else ())
    data = {s: cb.read_split(args.manifests, s) for s in splits}
    names = sorted(set(data["train"][1]))
    index = {n: i for i, n in enumerate(names)}

    def states(wave):
        if args.mode == "window":
            return windowed_states(model, wave, args.values[0], args.values[1]).half()
        return hidden_states(model, wave[None])[0].half()

    features, labels = {}, {}
    def augment(wave):
        if args.mode == "splice":
            return spliced(wave, rng)
        return warped(wave, rng, keep_duration=args.mode == "shift")

    for split in splits:
        features[split], labels[split] = [], []
        for path, label in zip(*data[split]):
            wave = torchaudio.load(path)[0][0]
            copies = int(args.values[0]) if args.mode in ("splice", "speed", "shift") and split == "train" else 0
            for augmented in [wave] + [augment(wave) for _ in range(copies)]:
                features[split].append(states(augmented))
                labels[split].append(index[label])
        labels[split] = torch.tensor(labels[split])
    print(f"features of {', '.join(f'{len(features[s])} {s}' for s in splits)} in {time.time() - started:.0f} s", flush=True)

    if args.mode == "words":
        text = {s: open(f"{args.manifests}/{s}.wrd", encoding="utf-8").read().split("\n")[: len(features[s])] for s in SPLITS}
        vocabulary = sorted({w for line in text["train"] for w in line.split()})
        position = {w: i for i, w in enumerate(vocabulary)}
        bags = {s: torch.zeros(len(text[s]), len(vocabulary)) for s in SPLITS}
        for s in SPLITS:
            for row, line in enumerate(text[s]):
                for word in line.split():
                    if word in position:
                        bags[s][row, position[word]] = 1
    torch.manual_seed(0)
    first = features["train"][0]
    head = WordsHead(first.shape[0], first.shape[2], len(vocabulary), len(names)) if args.mode == "words" \
        else cb.ConvMaxHead(first.shape[0], first.shape[2], len(names))
    optimizer = torch.optim.AdamW(head.parameters(), 2e-3, weight_decay=1e-2)
    generator = torch.Generator().manual_seed(0)

    def logits(x, lengths):
        out = head(x, lengths)
        return out if args.mode != "words" else out[0]

    def accuracy(split):
        hits = 0
        with torch.no_grad():
            for i in range(0, len(features[split]), 64):
                x, lengths = cb.padded([f.float() for f in features[split][i:i + 64]])
                hits += (logits(x, lengths).argmax(1) == labels[split][i:i + 64]).sum().item()
        return hits / len(features[split])

    for step in range(1, args.steps + 1):
        idx = torch.randint(len(features["train"]), (32,), generator=generator)
        x, lengths = cb.padded([features["train"][i].float() for i in idx])
        optimizer.zero_grad()
        if args.mode == "words":
            intent, words = head(x, lengths)
            loss = torch.nn.functional.cross_entropy(intent, labels["train"][idx]) + \
                torch.nn.functional.binary_cross_entropy_with_logits(words, bags["train"][idx]) * len(vocabulary) / 10
        else:
            loss = torch.nn.functional.cross_entropy(head(x, lengths), labels["train"][idx])
        loss.backward()
        optimizer.step()
        if step % 500 == 0:
            print(f"step {step}: " + " ".join(f"{s} {accuracy(s):.3f}" for s in splits[1:]), flush=True)
    print(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()

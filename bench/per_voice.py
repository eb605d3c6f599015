#!/usr/bin/python3
"""Scores of a route per voice, from the per-utterance file of `s3r train eval --predictions FILE` (bench/README.md,
"Intent: copies in simulated rooms"). The voice is the audio file's name up to its last `_` (the synthetic corpus
names files `<engine>-<voice>_<hash>.wav`). Classifier routes: accuracy per voice; CTC routes: CER per voice (errors
over reference characters, as the split's CER). Worst voices first.

    python3 bench/per_voice.py PREDICTIONS.tsv
"""
import csv
import os
import sys
from collections import defaultdict


def voice(path):
    name = os.path.splitext(os.path.basename(path))[0]
    return name.rsplit("_", 1)[0]


def main(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        sys.exit(f"{path}: no utterances")
    groups = defaultdict(list)
    for row in rows:
        groups[voice(row["audio"])].append(row)
    if "predicted" in rows[0]:
        def score(group):
            return sum(r["predicted"] == r["reference"] for r in group) / len(group)
        metric, worst_first = "accuracy", False
    else:
        def score(group):
            # a row's greedy_cer times its reference characters is its edits (words joined by one space)
            chars = [len(" ".join(r["reference"].split())) for r in group]
            edits = sum(float(r["greedy_cer"]) * c for r, c in zip(group, chars))
            return edits / max(1, sum(chars))
        metric, worst_first = "greedy CER", True
    table = sorted(((score(g), v, len(g)) for v, g in groups.items()), reverse=worst_first)
    width = max(len(v) for v in groups)
    print(f"{'voice':<{width}}  {'utterances':>10}  {metric:>10}")
    for value, name, count in table:
        print(f"{name:<{width}}  {count:>10}  {value:>10.3f}")
    print(f"{'all':<{width}}  {len(rows):>10}  {score(rows):>10.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

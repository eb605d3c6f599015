"""Independent reference for the ONNX backbone: torchaudio's wav2vec2 with random weights, renamed to HF names.

Usage: torchaudio_reference.py OUT_DIR base|stable SEED
Writes OUT_DIR/config.json (HF Wav2Vec2Config fields), OUT_DIR/weights/<hf name>.npy (positional conv as
weight_g/weight_v), OUT_DIR/audio_<i>.npy and OUT_DIR/expected_<i>.npy (last hidden state [frames, hidden], each
utterance run alone).
"""
import json
import os
import sys

import numpy as np
import torch
import torchaudio

STYLES = {
    # Base style: group-norm first conv layer, post-LN encoder, even positional kernel.
    "base": dict(conv=[(32, 10, 5), (32, 3, 2), (32, 2, 2)], conv_bias=False, hidden=32, heads=4, ffn=64,
                 layers=2, pos_kernel=16, pos_groups=4, stable=False),
    # Stable layer norm: layer-norm conv blocks, pre-LN encoder, odd kernel, conv biases, unequal widths.
    "stable": dict(conv=[(24, 10, 5), (40, 3, 2), (40, 2, 2)], conv_bias=True, hidden=48, heads=4, ffn=96,
                   layers=2, pos_kernel=15, pos_groups=3, stable=True),
}
LENGTHS = [1600, 2345, 3001]


def hf_name(name):
    if name.startswith("encoder.transformer."):
        return "encoder." + name[len("encoder.transformer."):]
    if name.startswith("encoder.feature_projection."):
        return name[len("encoder."):]
    return name


def main(out_dir, style, seed):
    s = STYLES[style]
    torch.manual_seed(seed)
    model = torchaudio.models.wav2vec2_model(
        extractor_mode="layer_norm" if s["stable"] else "group_norm",
        extractor_conv_layer_config=s["conv"], extractor_conv_bias=s["conv_bias"],
        encoder_embed_dim=s["hidden"], encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=s["pos_kernel"], encoder_pos_conv_groups=s["pos_groups"],
        encoder_num_layers=s["layers"], encoder_num_heads=s["heads"], encoder_attention_dropout=0.0,
        encoder_ff_interm_features=s["ffn"], encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
        encoder_layer_norm_first=s["stable"], encoder_layer_drop=0.0, aux_num_out=None).eval()
    with torch.no_grad():
        # Non-trivial norms and biases, so a wrong scale/bias or a swapped LayerNorm shows up.
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))

    os.makedirs(os.path.join(out_dir, "weights"), exist_ok=True)
    for name, tensor in model.state_dict().items():
        np.save(os.path.join(out_dir, "weights", hf_name(name) + ".npy"), tensor.numpy().astype(np.float32))

    config = {
        "model_type": "wav2vec2", "hidden_size": s["hidden"], "num_hidden_layers": s["layers"],
        "num_attention_heads": s["heads"], "intermediate_size": s["ffn"], "hidden_act": "gelu",
        "layer_norm_eps": 1e-5, "feat_extract_norm": "layer" if s["stable"] else "group",
        "feat_extract_activation": "gelu", "conv_dim": [c[0] for c in s["conv"]],
        "conv_kernel": [c[1] for c in s["conv"]], "conv_stride": [c[2] for c in s["conv"]],
        "conv_bias": s["conv_bias"], "num_conv_pos_embeddings": s["pos_kernel"],
        "num_conv_pos_embedding_groups": s["pos_groups"], "do_stable_layer_norm": s["stable"],
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for i, n in enumerate(LENGTHS):
            audio = 0.3 * torch.randn(n, generator=generator)
            hidden, _ = model(audio[None, :])
            np.save(os.path.join(out_dir, f"audio_{i}.npy"), audio.numpy().astype(np.float32))
            np.save(os.path.join(out_dir, f"expected_{i}.npy"), hidden[0].numpy().astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

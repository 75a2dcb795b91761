#!/usr/bin/env python3
"""Writes the checkpoint interoperability fixtures (Tests/RecurTests/Fixtures/checkpoints/).

Both directions, for each cell (lstm 2 layers, gru, rnn_tanh, rnn_relu), in Recur's format 2:
  recur_v2_<cell>.safetensors  written by `recur train` on text.txt
  recur_v2_<cell>.torch.json   its loss on text.txt computed by PyTorch, after loading the file
                               with safetensors.torch.load_file and load_state_dict(strict=True)
  torch_v2_<cell>.safetensors  written from the PyTorch module below with safetensors.torch.save_file
                               and the metadata docs/checkpoint-format.md describes
  torch_v2_<cell>.torch.json   PyTorch's loss of that module on text.txt
The version-1 files (recur_<cell>, torch_<cell>: format recur-char-rnn) were written by this script's
earlier version and stay, unchanged, as the proof that version-1 files keep loading.

The Swift tests load every .safetensors file and must reproduce PyTorch's loss within 1e-4 nats.
Run by hand (CI never does), with a release build of recur:
    swift build -c release && /tmp/torch-venv/bin/python scripts/make_checkpoint_fixtures.py .build/release/recur
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "RecurTests", "Fixtures", "checkpoints")


# The module of docs/checkpoint-format.md, unchanged.
class CharRNN(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        V, E = len(config["vocabulary"]), config["embedding_size"]
        H, L, cell = config["hidden_size"], config["layers"], config["cell"]
        self.embedding = torch.nn.Embedding(V, E)
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(E, H, L)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(E, H, L)
        else:
            self.rnn = torch.nn.RNN(E, H, L, nonlinearity=cell[len("rnn_"):])
        self.head = torch.nn.Linear(H, V)

    def forward(self, ids, state=None):  # ids [T, B], time-major
        y, state = self.rnn(self.embedding(ids), state)
        return self.head(y), state


def load(path):
    with safe_open(path, "pt") as f:
        config = json.loads(f.metadata()["config"])
    model = CharRNN(config)
    model.load_state_dict(load_file(path), strict=True)
    return model, config


def eval_loss(model, config, text):
    """Mean NLL (nats) of every character after the first, from a zero state."""
    vocabulary = config["vocabulary"]
    ids = torch.tensor([vocabulary.index(c) for c in text]).view(-1, 1)
    with torch.no_grad():
        logits, _ = model(ids[:-1])
        return F.cross_entropy(logits.view(-1, len(vocabulary)), ids[1:].view(-1)).item()


CELLS = {"lstm": 2, "gru": 1, "rnn_tanh": 1, "rnn_relu": 1}


def main():
    recur = sys.argv[1]
    text = open(os.path.join(HERE, "text.txt"), encoding="utf-8").read()
    vocabulary = "".join(sorted(set(text)))
    for cell, layers in CELLS.items():
        # Recur -> PyTorch
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([recur, "train", "--data", os.path.join(HERE, "text.txt"), "--out", work, "--cell", cell,
                            "--layers", str(layers), "--hidden", "16", "--embedding", "8", "--batch", "4",
                            "--seq-length", "16", "--steps", "150", "--val-fraction", "0", "--seed", "7"],
                           check=True, stdout=subprocess.DEVNULL)
            shutil.copy(os.path.join(work, "model.safetensors"), os.path.join(HERE, f"recur_v2_{cell}.safetensors"))
        model, config = load(os.path.join(HERE, f"recur_v2_{cell}.safetensors"))
        json.dump({"loss_nats": eval_loss(model, config, text)}, open(os.path.join(HERE, f"recur_v2_{cell}.torch.json"), "w"))

        # PyTorch -> Recur
        torch.manual_seed(len(cell) + layers)
        config = {"cell": cell, "layers": layers, "hidden_size": 12, "embedding_size": 6, "vocabulary": vocabulary,
                  "dropout": 0, "initialization": "pytorch"}
        meta = {"format": "recur", "format_version": "2", "task": "lm", "config": json.dumps(config)}
        model = CharRNN(config)
        save_file(model.state_dict(), os.path.join(HERE, f"torch_v2_{cell}.safetensors"), metadata=meta)
        json.dump({"loss_nats": eval_loss(model, config, text)}, open(os.path.join(HERE, f"torch_v2_{cell}.torch.json"), "w"))
        os.chmod(os.path.join(HERE, f"torch_v2_{cell}.safetensors"), 0o644)
        print("wrote", cell)


if __name__ == "__main__":
    main()

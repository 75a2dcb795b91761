#!/usr/bin/env python3
"""Writes the checkpoint interoperability fixtures (Tests/RecurTests/Fixtures/checkpoints/).

Both directions, for each cell (lstm 2 layers, gru, rnn_tanh, rnn_relu):
  recur_<cell>.safetensors     written by `recur train` on text.txt
  recur_<cell>.torch.json      its loss on text.txt computed by PyTorch, after loading the file
                               with safetensors.torch.load_file and load_state_dict(strict=True)
  torch_<cell>.safetensors     written from the PyTorch module below with safetensors.torch.save_file
                               and the metadata docs/checkpoint-format.md describes
  torch_<cell>.torch.json      PyTorch's loss of that module on text.txt

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
    def __init__(self, meta):
        super().__init__()
        V, E = int(meta["vocab_size"]), int(meta["embedding_size"])
        H, L, cell = int(meta["hidden_size"]), int(meta["num_layers"]), meta["cell"]
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
        meta = f.metadata()
    model = CharRNN(meta)
    model.load_state_dict(load_file(path), strict=True)
    return model, meta


def eval_loss(model, meta, text):
    """Mean NLL (nats) of every character after the first, from a zero state."""
    vocabulary = meta["vocabulary"]
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
            shutil.copy(os.path.join(work, "model.safetensors"), os.path.join(HERE, f"recur_{cell}.safetensors"))
        model, meta = load(os.path.join(HERE, f"recur_{cell}.safetensors"))
        json.dump({"loss_nats": eval_loss(model, meta, text)}, open(os.path.join(HERE, f"recur_{cell}.torch.json"), "w"))

        # PyTorch -> Recur
        torch.manual_seed(len(cell) + layers)
        meta = {"format": "recur-char-rnn", "format_version": "1", "cell": cell, "num_layers": str(layers),
                "hidden_size": "12", "embedding_size": "6", "vocab_size": str(len(vocabulary)),
                "vocabulary": vocabulary, "dropout": "0", "init": "pytorch"}
        model = CharRNN(meta)
        save_file(model.state_dict(), os.path.join(HERE, f"torch_{cell}.safetensors"), metadata=meta)
        json.dump({"loss_nats": eval_loss(model, meta, text)}, open(os.path.join(HERE, f"torch_{cell}.torch.json"), "w"))
        os.chmod(os.path.join(HERE, f"torch_{cell}.safetensors"), 0o644)
        print("wrote", cell)


if __name__ == "__main__":
    main()

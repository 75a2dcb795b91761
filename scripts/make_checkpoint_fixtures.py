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

Conditioned generators, both directions, on conditioned.jsonl (labels; LSTM, 2 layers) and
conditioned-features.jsonl (numbers, fed at every step too; GRU):
  recur_v2_generator_<name>.safetensors  written by `recur train --task lm` on the JSON Lines file
  recur_v2_generator_<name>.torch.json   its loss per symbol on that file computed by PyTorch with the
                                         ConditionedGenerator module of docs/checkpoint-format.md
  torch_v2_generator_<name>.safetensors  saved from that module, with a config
  torch_v2_generator_<name>.torch.json   PyTorch's loss of it

The Swift tests load every .safetensors file and must reproduce PyTorch's loss within 1e-4 nats.
Run by hand (CI never does), with a release build of recur:
    swift build -c release && /tmp/torch-venv/bin/python scripts/make_checkpoint_fixtures.py .build/release/recur
(add the argument `generators` to write the generator fixtures only).
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


# The conditioned module of docs/checkpoint-format.md, unchanged.
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class ConditionedGenerator(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        V, E, H, L = len(config["vocabulary"]), config["embedding_size"], config["hidden_size"], config["layers"]
        cond = config["condition"]
        F = len(cond["names"]) if cond["type"] == "labels" else cond["size"]
        self.every_step, self.L, self.H = config.get("condition_every_step", False), L, H
        self.k = 2 if config["cell"] == "lstm" else 1
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(config["cell"], torch.nn.RNN)
        extra = {"nonlinearity": config["cell"][4:]} if config["cell"].startswith("rnn") else {}
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = kind(E + (F if self.every_step else 0), H, num_layers=L, **extra)
        self.head = torch.nn.Linear(H, V)
        self.condition = torch.nn.Linear(F, L * H * self.k)

    def forward(self, ids, lengths, c):  # ids [T, B] from the begin symbol, lengths [B], c [B, F]
        T, B = ids.shape
        s = self.condition(c).view(B, self.k, self.L, self.H)
        h0 = s[:, 0].transpose(0, 1).contiguous()
        state = (h0, s[:, 1].transpose(0, 1).contiguous()) if self.k == 2 else h0
        x = self.embedding(ids)
        if self.every_step:
            x = torch.cat([x, c.unsqueeze(0).expand(T, B, c.shape[1])], 2)
        out, _ = self.rnn(pack_padded_sequence(x, lengths, enforce_sorted=False), state)
        out, _ = pad_packed_sequence(out, total_length=T)
        return self.head(out)


def generator_loss(model, config, path):
    """Mean NLL per predicted symbol (every character and the end symbol) of the JSON Lines file."""
    lines = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    vocabulary, cond = config["vocabulary"], config["condition"]
    sequences = [[vocabulary.index(ch) for ch in "\x02" + line["text"] + "\x03"] for line in lines]
    if cond["type"] == "labels":
        c = F.one_hot(torch.tensor([cond["names"].index(line["condition"]) for line in lines]), len(cond["names"])).float()
    else:
        mean, std = torch.tensor(cond["scaling"]["mean"]), torch.tensor(cond["scaling"]["standard_deviation"])
        c = ((torch.tensor([line["features"] for line in lines], dtype=torch.float64) - mean) / std).float()
    T = max(len(s) for s in sequences) - 1
    ids = torch.zeros(T, len(lines), dtype=torch.long)
    targets = torch.full((T, len(lines)), -100, dtype=torch.long)
    for b, s in enumerate(sequences):
        ids[:len(s) - 1, b] = torch.tensor(s[:-1])
        targets[:len(s) - 1, b] = torch.tensor(s[1:])
    lengths = torch.tensor([len(s) - 1 for s in sequences])
    with torch.no_grad():
        logits = model(ids, lengths, c)
        return F.cross_entropy(logits.view(-1, len(vocabulary)), targets.view(-1), ignore_index=-100).item()


GENERATORS = {"lstm": ("conditioned.jsonl", ["--cell", "lstm", "--layers", "2"]),
              "gru": ("conditioned-features.jsonl", ["--cell", "gru", "--layers", "1", "--condition-every-step"])}


def generators(recur):
    for name, (data, options) in GENERATORS.items():
        path = os.path.join(HERE, data)
        target = os.path.join(HERE, f"recur_v2_generator_{name}.safetensors")
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([recur, "train", "--task", "lm", "--data", path, "--out", work, "--hidden", "16", "--embedding", "8",
                            "--batch", "8", "--steps", "300", "--lr", "0.01", "--val-fraction", "0", "--seed", "7"] + options,
                           check=True, stdout=subprocess.DEVNULL)
            shutil.copy(os.path.join(work, "model.safetensors"), target)
        with safe_open(target, "pt") as f:
            config = json.loads(f.metadata()["config"])
        model = ConditionedGenerator(config)
        model.load_state_dict(load_file(target), strict=True)
        json.dump({"loss_nats": generator_loss(model, config, path)}, open(target.replace(".safetensors", ".torch.json"), "w"))

        # PyTorch -> Recur: a fresh module under the same config.
        torch.manual_seed(11)
        model = ConditionedGenerator(config)
        target = os.path.join(HERE, f"torch_v2_generator_{name}.safetensors")
        meta = {"format": "recur", "format_version": "2", "task": "lm", "config": json.dumps(config)}
        save_file(model.state_dict(), target, metadata=meta)
        os.chmod(target, 0o644)
        json.dump({"loss_nats": generator_loss(model, config, path)}, open(target.replace(".safetensors", ".torch.json"), "w"))
        print("wrote generator", name)


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
    if len(sys.argv) > 2 and sys.argv[2] == "generators":
        generators(sys.argv[1])
    else:
        main()
        generators(sys.argv[1])

#!/usr/bin/env python3
"""Side by side: Recur's conditioned generator (`recur train --task lm` on JSON Lines) and the PyTorch
module of docs/checkpoint-format.md trained the same way, each also unconditioned, on a set of
{"text": ..., "condition": ...} lines; the held-out loss per symbol (every character and the end
symbol) of all four.

Same data and vocabulary (the training texts' characters plus U+0002 and U+0003, sorted; the
conditions sorted, one-hot), same model (embedding -> RNN/LSTM/GRU whose initial state is a linear map
of the condition -> linear to the vocabulary; unconditioned: from a zero state), same optimiser (Adam,
PyTorch's defaults but the learning rate), batch size, epochs and global-norm clipping, the same
batching (a seeded shuffle cut into buckets of 50 batches sorted by length). The final models are
tested.

Usage (needs torch; RECUR a built recur):
    python3 scripts/compare_generate.py --recur .build/release/recur \
        --train ~/.cache/recur/numbers/train.jsonl --test ~/.cache/recur/numbers/test.jsonl \
        --hidden 256 --layers 1 --epochs 5
"""
import argparse
import json
import os
import random
import tempfile
import time

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from comparison import add_common_arguments, bucketed_batches, recur_run


def read(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


class Generator(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden, layers, cell, conditions):
        super().__init__()
        self.layers, self.hidden, self.k = layers, hidden, 2 if cell == "lstm" else 1
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        self.rnn = kind(embedding, hidden, num_layers=layers)
        self.head = torch.nn.Linear(hidden, vocabulary)
        self.condition = torch.nn.Linear(conditions, layers * hidden * self.k) if conditions else None

    def forward(self, ids, lengths, c):
        state = None
        if self.condition is not None:
            s = self.condition(c).view(ids.shape[1], self.k, self.layers, self.hidden)
            h0 = s[:, 0].transpose(0, 1).contiguous()
            state = (h0, s[:, 1].transpose(0, 1).contiguous()) if self.k == 2 else h0
        out, _ = self.rnn(pack_padded_sequence(self.embedding(ids), lengths, enforce_sorted=False), state)
        out, _ = pad_packed_sequence(out, total_length=ids.shape[0])
        return self.head(out)


def tensors(data, rows, conditions):
    lengths = torch.tensor([len(data[r][0]) - 1 for r in rows])
    T = int(lengths.max())
    ids = torch.zeros(T, len(rows), dtype=torch.long)
    targets = torch.full((T, len(rows)), -100, dtype=torch.long)
    for b, r in enumerate(rows):
        s = data[r][0]
        ids[: len(s) - 1, b] = torch.tensor(s[:-1])
        targets[: len(s) - 1, b] = torch.tensor(s[1:])
    c = F.one_hot(torch.tensor([data[r][1] for r in rows]), conditions).float() if conditions else None
    return ids, lengths, targets, c


def torch_run(args, train, test, vocabulary, conditions):
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = Generator(vocabulary, args.embedding, args.hidden, args.layers, args.cell, conditions)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    lengths = [len(s) for s, _ in train]
    start = time.time()
    symbols = 0
    for _ in range(args.epochs):
        for rows in bucketed_batches(lengths, args.batch, rng):
            ids, lens, targets, c = tensors(train, rows, conditions)
            logits = model(ids, lens, c)
            loss = F.cross_entropy(logits.reshape(-1, vocabulary), targets.reshape(-1), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            symbols += int(lens.sum())
    seconds = time.time() - start
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(test), 256):
            rows = list(range(s, min(s + 256, len(test))))
            ids, lens, targets, c = tensors(test, rows, conditions)
            logits = model(ids, lens, c)
            total += F.cross_entropy(logits.reshape(-1, vocabulary), targets.reshape(-1), ignore_index=-100, reduction="sum").item()
            count += int(lens.sum())
    return total / count, seconds, symbols / seconds


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, hidden=256, lr=0.002, batch=64, epochs=5)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    train_raw, test_raw = read(args.train), read(args.test)
    symbols = sorted({ch for line in train_raw for ch in line["text"]} | {"\x02", "\x03"})
    index = {ch: i for i, ch in enumerate(symbols)}
    names = sorted({line["condition"] for line in train_raw})
    name_index = {name: i for i, name in enumerate(names)}
    encode = lambda data: [([index[ch] for ch in "\x02" + d["text"] + "\x03"], name_index[d["condition"]]) for d in data]
    train, test = encode(train_raw), encode(test_raw)
    print(f"{len(train)} train / {len(test)} test sequences, {len(symbols)} symbols, {len(names)} conditions", flush=True)
    with tempfile.TemporaryDirectory() as work:
        for conditioned in [True, False]:
            out = os.path.join(work, "recur-conditioned" if conditioned else "recur-unconditioned")
            extra = ["--embedding", str(args.embedding)] + ([] if conditioned else ["--unconditioned"])
            report, seconds = recur_run(args, "lm", out, extra, args.seed)
            loss = report["loss"]
            print(f"recur   {'conditioned  ' if conditioned else 'unconditioned'}: held-out {loss:.4f} nats/symbol, "
                  f"{seconds:.1f} s (whole process)", flush=True)
    for conditioned in [True, False]:
        loss, seconds, rate = torch_run(args, train, test, len(symbols), len(names) if conditioned else 0)
        print(f"pytorch {'conditioned  ' if conditioned else 'unconditioned'}: held-out {loss:.4f} nats/symbol, "
              f"{seconds:.1f} s (training loop, {rate:.0f} symbols/s)", flush=True)


if __name__ == "__main__":
    main()

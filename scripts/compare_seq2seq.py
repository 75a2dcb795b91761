#!/usr/bin/env python3
"""Side by side: Recur's encoder-decoder (`recur train --task seq2seq`) and the PyTorch model of
docs/seq2seq.md trained the same way, with and without attention, on TSV pairs (source<TAB>target).

Same data and tokens (characters on both sides), same model (embedding -> GRU encoder, optionally
bidirectional -> bridge tanh(W f + b) when the shapes differ -> GRU decoder cell fed [embedding;
context] with Bahdanau attention over the real source steps, or the embedding alone without ->
linear on [state; context] or on the state), same optimiser (Adam, PyTorch's defaults but the
learning rate), batch size, epochs and global-norm clipping, teacher forcing, the same batching (a
seeded shuffle of the pairs cut into buckets of 50 batches sorted by source length). The final
models decode the test sources greedily; reported: exact match.

Usage (needs torch; RECUR a built recur):
    python3 scripts/compare_seq2seq.py --recur .build/release/recur \
        --train ~/.cache/recur/dates/train.tsv --test ~/.cache/recur/dates/test.tsv --epochs 3
"""
import argparse
import os
import random
import tempfile
import time

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from comparison import add_common_arguments, bucketed_batches, recur_run

BEGIN, END = 1, 2


def read(path):
    pairs = []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            source, target = line.rstrip("\n").split("\t")[:2]
            pairs.append((source, target))
    return pairs


class Seq2Seq(torch.nn.Module):
    def __init__(self, source_vocabulary, target_vocabulary, embedding, hidden, bidirectional, attention):
        super().__init__()
        D = 2 if bidirectional else 1
        K = D * hidden
        self.hidden, self.D, self.attend = hidden, D, attention
        self.source_embedding = torch.nn.Embedding(source_vocabulary, embedding)
        self.encoder = torch.nn.GRU(embedding, hidden, bidirectional=bidirectional)
        self.bridge = torch.nn.Linear(K, hidden) if bidirectional else None
        self.target_embedding = torch.nn.Embedding(target_vocabulary, embedding)
        self.cell = torch.nn.GRUCell(embedding + (K if attention else 0), hidden)
        if attention:
            self.query = torch.nn.Linear(hidden, hidden)
            self.key = torch.nn.Linear(K, hidden, bias=False)
            self.score = torch.nn.Linear(hidden, 1, bias=False)
        self.head = torch.nn.Linear(hidden + (K if attention else 0), target_vocabulary)

    def encode(self, source, lengths):
        S, B = source.shape
        keys, final = self.encoder(pack_padded_sequence(self.source_embedding(source), lengths, enforce_sorted=False))
        keys, _ = pad_packed_sequence(keys, total_length=S)
        if self.bridge is not None:
            state = torch.tanh(self.bridge(torch.cat([final[0], final[1]], 1)))
        else:
            state = final[0]
        padded = torch.arange(S)[:, None] >= lengths[None, :]
        return keys, self.key(keys) if self.attend else None, padded, state

    def step(self, ids, state, keys, projected, padded):
        x = self.target_embedding(ids)
        context = None
        if self.attend:
            scores = self.score(torch.tanh(self.query(state)[None] + projected)).squeeze(2)
            weights = torch.softmax(scores.masked_fill(padded, float("-inf")), 0)
            context = (weights[:, :, None] * keys).sum(0)
            x = torch.cat([x, context], 1)
        state = self.cell(x, state)
        out = torch.cat([state, context], 1) if self.attend else state
        return self.head(out), state

    def forward(self, source, lengths, targets):
        keys, projected, padded, state = self.encode(source, lengths)
        ids = torch.full((source.shape[1],), BEGIN, dtype=torch.long)
        logits = []
        for t in range(targets.shape[0]):
            step_logits, state = self.step(ids, state, keys, projected, padded)
            logits.append(step_logits)
            ids = targets[t]
        return torch.stack(logits)

    def greedy(self, source, lengths, limit):
        keys, projected, padded, state = self.encode(source, lengths)
        B = source.shape[1]
        ids = torch.full((B,), BEGIN, dtype=torch.long)
        written = [[] for _ in range(B)]
        finished = [False] * B
        for _ in range(limit):
            step_logits, state = self.step(ids, state, keys, projected, padded)
            ids = step_logits.argmax(1)
            for b in range(B):
                if not finished[b]:
                    if int(ids[b]) == END:
                        finished[b] = True
                    else:
                        written[b].append(int(ids[b]))
            if all(finished):
                break
        return written


def tensors(data, rows):
    source_lengths = torch.tensor([len(data[r][0]) for r in rows])
    target_lengths = [len(data[r][1]) for r in rows]
    S, T = int(source_lengths.max()), max(target_lengths)
    source = torch.zeros(S, len(rows), dtype=torch.long)
    targets = torch.full((T, len(rows)), -100, dtype=torch.long)
    for b, r in enumerate(rows):
        source[: len(data[r][0]), b] = torch.tensor(data[r][0])
        targets[: len(data[r][1]), b] = torch.tensor(data[r][1])
    return source, source_lengths, targets


def torch_run(args, train, test, source_size, target_size, attention):
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = Seq2Seq(source_size, target_size, args.embedding, args.hidden, args.bidirectional, attention)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    lengths = [len(s) for s, _ in train]
    start = time.time()
    symbols = 0
    for _ in range(args.epochs):
        for rows in bucketed_batches(lengths, args.batch, rng):
            source, source_lengths, targets = tensors(train, rows)
            logits = model(source, source_lengths, targets.clamp(min=0))
            loss = F.cross_entropy(logits.reshape(-1, target_size), targets.reshape(-1), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            symbols += int((targets >= 0).sum())
    seconds = time.time() - start
    model.eval()
    exact = 0
    start = time.time()
    with torch.no_grad():
        for s in range(0, len(test), 256):
            rows = list(range(s, min(s + 256, len(test))))
            source, source_lengths, targets = tensors(test, rows)
            written = model.greedy(source, source_lengths, 2 * targets.shape[0])
            exact += sum(written[b] + [END] == test[r][1] for b, r in enumerate(rows))
    decoding = time.time() - start
    return exact / len(test), seconds, symbols / seconds, len(test) / decoding


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, hidden=128, lr=0.002, batch=64, epochs=3)
    parser.add_argument("--embedding", type=int, default=32)
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.cell != "gru" or args.layers != 1:
        parser.error("the PyTorch side is a one-layer GRU: give --cell gru --layers 1")

    train_raw, test_raw = read(args.train), read(args.test)
    source_symbols = sorted({ch for s, _ in train_raw for ch in s})
    target_symbols = sorted({ch for _, t in train_raw for ch in t})
    source_index = {ch: i + 1 for i, ch in enumerate(source_symbols)}
    target_index = {ch: i + 3 for i, ch in enumerate(target_symbols)}
    encode = lambda data: [([source_index.get(ch, 0) for ch in s], [target_index.get(ch, 0) for ch in t] + [END]) for s, t in data]
    train, test = encode(train_raw), encode(test_raw)
    print(f"{len(train)} train / {len(test)} test pairs, {len(source_symbols)} source / {len(target_symbols)} target symbols", flush=True)
    with tempfile.TemporaryDirectory() as work:
        for attention in ["bahdanau", "none"]:
            extra = ["--embedding", str(args.embedding), "--attention", attention] + (["--bidirectional"] if args.bidirectional else [])
            report, seconds = recur_run(args, "seq2seq", os.path.join(work, attention), extra, args.seed)
            print(f"recur   attention {attention:8}: exact match {report['exact_match']:.4f}, {seconds:.1f} s (whole process)", flush=True)
    for attention in [True, False]:
        exact, seconds, rate, decoding = torch_run(args, train, test, len(source_symbols) + 1, len(target_symbols) + 3, attention)
        print(f"pytorch attention {'bahdanau' if attention else 'none':8}: exact match {exact:.4f}, {seconds:.1f} s (training loop, "
              f"{rate:.0f} target symbols/s), greedy decoding {decoding:.0f} sentences/s", flush=True)


if __name__ == "__main__":
    main()

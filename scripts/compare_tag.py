#!/usr/bin/env python3
"""Side by side: Recur's `recur train --task tag` and a PyTorch tagger of the same shape trained the
same way, on a JSON Lines tagging set ({"tokens": [...], "tags": [...]} per line), with the
majority-tag baseline.

Same data and vocabulary (the training set's tokens, most frequent first, at most --max-vocab with
<unk> as id 0; tags sorted), same model (embedding -> bidirectional RNN/LSTM/GRU -> linear at every
step, cross-entropy over the real steps), same optimiser (Adam, PyTorch's defaults but the learning
rate), batch size, epochs and global-norm clipping, the same batching (a seeded shuffle cut into
buckets of 50 batches sorted by length); the final model is tested. Reports token accuracy and
macro-F1 (over the tags present in the truth or the predictions, as scikit-learn's).

Usage (needs torch; RECUR a built recur):
    python3 scripts/compare_tag.py --recur .build/release/recur --train train.jsonl --test test.jsonl \
        --hidden 128 --embedding 64 --max-vocab 20000 --lr 0.002 --batch 64 --epochs 2
"""
import argparse
import collections
import json
import os
import random
import tempfile
import time

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from comparison import add_common_arguments, bucketed_batches, recur_run as run_recur


def read(path):
    lines = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [(d["tokens"], d["tags"]) for d in lines]


def macro_f1(truth, predicted, classes):
    confusion = collections.Counter(zip(truth, predicted))
    present = {c for c in range(classes) if c in set(truth) or c in set(predicted)}
    scores = []
    for c in present:
        tp = confusion[(c, c)]
        p = sum(v for (t, q), v in confusion.items() if q == c)
        a = sum(v for (t, q), v in confusion.items() if t == c)
        scores.append(0 if p + a == 0 else 2 * tp / (p + a))
    return sum(scores) / len(scores) if scores else 0


class Tagger(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden, tags, cell, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = kind(embedding, hidden, num_layers=layers, bidirectional=True)
        self.head = torch.nn.Linear(2 * hidden, tags)

    def forward(self, ids, lengths):
        out, _ = self.rnn(pack_padded_sequence(self.embedding(ids), lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=ids.shape[0])
        return self.head(out)


def tensors(data, rows):
    lengths = torch.tensor([len(data[r][0]) for r in rows])
    T = int(lengths.max())
    ids = torch.zeros(T, len(rows), dtype=torch.long)
    tags = torch.full((T, len(rows)), -100, dtype=torch.long)
    for b, r in enumerate(rows):
        ids[: len(data[r][0]), b] = torch.tensor(data[r][0])
        tags[: len(data[r][1]), b] = torch.tensor(data[r][1])
    return ids, lengths, tags


def torch_run(args, train, test, vocabulary_size, tag_count):
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = Tagger(vocabulary_size, args.embedding, args.hidden, tag_count, args.cell, args.layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    lengths = [len(t) for t, _ in train]
    start = time.time()
    tokens = 0
    for _ in range(args.epochs):
        for rows in bucketed_batches(lengths, args.batch, rng):
            ids, lens, tags = tensors(train, rows)
            logits = model(ids, lens)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, tag_count), tags.reshape(-1), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            tokens += int(lens.sum())
    seconds = time.time() - start
    model.eval()
    truth, predicted = [], []
    with torch.no_grad():
        for s in range(0, len(test), 256):
            rows = list(range(s, min(s + 256, len(test))))
            ids, lens, tags = tensors(test, rows)
            guess = model(ids, lens).argmax(-1)
            for b in range(len(rows)):
                n = int(lens[b])
                truth += tags[:n, b].tolist()
                predicted += guess[:n, b].tolist()
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / len(truth)
    return accuracy, macro_f1(truth, predicted, tag_count), seconds, tokens / seconds


def recur_run(args, work):
    extra = ["--embedding", str(args.embedding), "--max-vocab", str(args.max_vocab)]
    report, seconds = run_recur(args, "tag", os.path.join(work, "recur-run"), extra, args.seed)
    return report["accuracy"], report["macro_f1"], seconds


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, hidden=128, lr=0.002, batch=64, epochs=2)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--max-vocab", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    train_raw, test_raw = read(args.train), read(args.test)
    counts = collections.Counter(token for tokens, _ in train_raw for token in tokens)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], [ord(c) for c in kv[0]]))[: args.max_vocab - 1]
    index = {token: i + 1 for i, (token, _) in enumerate(ranked)}
    tags = sorted({tag for _, ts in train_raw for tag in ts})
    tag_index = {tag: i for i, tag in enumerate(tags)}
    encode = lambda data: [([index.get(t, 0) for t in tokens], [tag_index[g] for g in ts]) for tokens, ts in data]
    train, test = encode(train_raw), encode(test_raw)

    majority = collections.Counter(g for _, ts in train for g in ts).most_common(1)[0][0]
    truth = [g for _, ts in test for g in ts]
    print(f"majority tag '{tags[majority]}': accuracy {sum(g == majority for g in truth) / len(truth):.4f}, "
          f"macro-F1 {macro_f1(truth, [majority] * len(truth), len(tags)):.4f}", flush=True)
    with tempfile.TemporaryDirectory() as work:
        r_acc, r_f1, r_sec = recur_run(args, work)
        print(f"recur:   accuracy {r_acc:.4f}, macro-F1 {r_f1:.4f}, {r_sec:.1f} s (whole process)", flush=True)
    t_acc, t_f1, t_sec, t_rate = torch_run(args, train, test, len(index) + 1, len(tags))
    print(f"pytorch: accuracy {t_acc:.4f}, macro-F1 {t_f1:.4f}, {t_sec:.1f} s (training loop, {t_rate:.0f} tokens/s)")
    print(f"difference: accuracy {100 * (r_acc - t_acc):+.2f} points, macro-F1 {100 * (r_f1 - t_f1):+.2f} points")


if __name__ == "__main__":
    main()

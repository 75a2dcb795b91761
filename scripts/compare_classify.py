#!/usr/bin/env python3
"""Side by side: Recur's `recur train --task classify` and a PyTorch model of the same shape trained
the same way, on a UEA/UCR .ts set (train file -> test accuracy), over several seeds.

Same data (the .ts files, standardised per feature with the training set's mean and population
standard deviation), same model (embedding-free: features -> stacked RNN/LSTM/GRU, optionally
bidirectional -> last/mean/max pooling over the real steps -> linear), same optimiser (Adam with
PyTorch's defaults but the learning rate), same batch size, epochs and global-norm clipping, cross
entropy; the final model after the last epoch is tested. Only the random draws differ (weights,
shuffles), which is why several seeds are run and their accuracies compared as distributions.

Usage (needs torch; RECUR is a built recur, release for speed):
    python3 scripts/compare_classify.py --recur .build/release/recur --train X_TRAIN.ts --test X_TEST.ts \
        --cell gru --layers 1 --hidden 64 --bidirectional --pool mean --lr 0.003 --batch 8 --epochs 100 --seeds 5
"""
import argparse
import os
import statistics
import tempfile
import time

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from comparison import add_common_arguments, recur_run as run_recur


def read_ts(path):
    """The series (list of [steps][dims]) and labels of a .ts file."""
    series, labels, in_data = [], [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower().startswith("@data")
                continue
            *dims, label = line.split(":")
            values = [[float(v) for v in d.split(",")] for d in dims]
            series.append([list(step) for step in zip(*values)])
            labels.append(label.strip())
    return series, labels


class Classifier(torch.nn.Module):
    def __init__(self, features, hidden, classes, cell, layers, bidirectional, pool):
        super().__init__()
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = kind(features, hidden, num_layers=layers, bidirectional=bidirectional)
        self.head = torch.nn.Linear((2 if bidirectional else 1) * hidden, classes)
        self.pool, self.bidirectional = pool, bidirectional

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, hidden = self.rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=x.shape[0])
        if self.pool == "last":
            h = hidden[0] if isinstance(hidden, tuple) else hidden
            pooled = torch.cat([h[-2], h[-1]], dim=1) if self.bidirectional else h[-1]
        else:
            mask = (torch.arange(x.shape[0])[:, None] < lengths[None, :]).unsqueeze(-1)
            if self.pool == "mean":
                pooled = (out * mask).sum(0) / lengths[:, None].to(out.dtype)
            else:
                pooled = out.masked_fill(~mask, float("-inf")).max(0).values
        return self.head(pooled)


def batch_of(series, rows, features):
    lengths = torch.tensor([len(series[r]) for r in rows])
    x = torch.zeros(int(lengths.max()), len(rows), features)
    for b, r in enumerate(rows):
        x[: len(series[r]), b] = torch.tensor(series[r])
    return x, lengths


def torch_run(args, seed, train, test, labels):
    torch.manual_seed(seed)
    (xs, ys), (tx, ty) = train, test
    features = len(xs[0][0])
    model = Classifier(features, args.hidden, len(labels), args.cell, args.layers, args.bidirectional, args.pool)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    index = {label: i for i, label in enumerate(labels)}
    targets = torch.tensor([index[y] for y in ys])
    start = time.time()
    for _ in range(args.epochs):
        order = torch.randperm(len(xs)).tolist()
        for s in range(0, len(order), args.batch):
            rows = order[s : s + args.batch]
            x, lengths = batch_of(xs, rows, features)
            loss = torch.nn.functional.cross_entropy(model(x, lengths), targets[rows])
            optimizer.zero_grad()
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
    seconds = time.time() - start
    model.eval()
    with torch.no_grad():
        x, lengths = batch_of(tx, list(range(len(tx))), features)
        predicted = model(x, lengths).argmax(1).tolist()
    accuracy = sum(p == index[y] for p, y in zip(predicted, ty)) / len(ty)
    return accuracy, seconds


def recur_run(args, seed, work):
    extra = ["--pool", args.pool] + (["--bidirectional"] if args.bidirectional else [])
    report, seconds = run_recur(args, "classify", os.path.join(work, f"run-{seed}"), extra, seed)
    return report["accuracy"], seconds


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, hidden=64, lr=0.001, batch=32, epochs=10)
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--pool", default="last")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    xs, ys = read_ts(args.train)
    tx, ty = read_ts(args.test)
    labels = sorted(set(ys))
    features = len(xs[0][0])
    frames = [step for s in xs for step in s]
    mean = [sum(f[j] for f in frames) / len(frames) for j in range(features)]
    std = [(sum((f[j] - mean[j]) ** 2 for f in frames) / len(frames)) ** 0.5 for j in range(features)]
    std = [s if s > 1e-12 else 1.0 for s in std]
    scale = lambda data: [[[(v - mean[j]) / std[j] for j, v in enumerate(step)] for step in s] for s in data]
    train, test = (scale(xs), ys), (scale(tx), ty)

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for seed in range(1, args.seeds + 1):
            r_acc, r_sec = recur_run(args, seed, work)
            t_acc, t_sec = torch_run(args, seed, train, test, labels)
            rows.append((seed, r_acc, r_sec, t_acc, t_sec))
            print(f"seed {seed}: recur {r_acc:.4f} ({r_sec:.1f} s)   pytorch {t_acc:.4f} ({t_sec:.1f} s)", flush=True)
    r = [row[1] for row in rows]
    t = [row[3] for row in rows]
    print(f"recur   accuracy mean {statistics.mean(r):.4f} (sd {statistics.pstdev(r):.4f}), "
          f"median training time {statistics.median(row[2] for row in rows):.1f} s")
    print(f"pytorch accuracy mean {statistics.mean(t):.4f} (sd {statistics.pstdev(t):.4f}), "
          f"median training time {statistics.median(row[4] for row in rows):.1f} s")
    print(f"difference of means: {100 * (statistics.mean(r) - statistics.mean(t)):+.2f} points")


if __name__ == "__main__":
    main()

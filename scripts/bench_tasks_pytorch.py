#!/usr/bin/env python3
"""The PyTorch twin of `recur bench --only classify-gru,classify-lstm,tag-lstm,forecast-lstm`: the models of
scripts/compare_classify.py, scripts/compare_tag.py and make_fixtures.py's Forecaster (the modules the
README's side-by-side runs train) on the shapes of those runs, with random inputs and every sequence of
full length, Adam at the task's learning rate, clipping at 5: a full training step timed for --seconds
after two warm-up steps, then the model in evaluation mode under torch.no_grad() on batches of the same
shape for half that. Full-length batches need no packing, so the recurrent layers run on the padded
tensors directly (the faster path: --packed times the compare scripts' pack_padded_sequence path).
Prints one JSON line per shape with the keys of `recur bench --json`.

Usage: python3 scripts/bench_tasks_pytorch.py [--only NAME[,NAME]] [--seconds S] [--threads N] [--packed]
"""
import argparse
import json
import os
import resource
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_classify import Classifier  # noqa: E402
from compare_tag import Tagger  # noqa: E402
from comparison import per_second  # noqa: E402
from make_fixtures import Forecaster  # noqa: E402

# name: (task, cell, hidden, bidirectional, vocabulary, embedding, features, classes, pooling, batch, steps, horizon, lr)
SHAPES = {
    "classify-gru": ("classify", "gru", 64, True, None, 0, 6, 4, "mean", 8, 100, 0, 3e-3),
    "classify-lstm": ("classify", "lstm", 64, False, None, 0, 12, 9, "last", 16, 29, 0, 3e-3),
    "tag-lstm": ("tag", "lstm", 128, True, 20000, 64, 0, 16, None, 64, 8, 0, 2e-3),
    "forecast-lstm": ("forecast", "lstm", 64, False, None, 0, 1, 0, None, 32, 104, 52, 1e-3),
}


def classifier_logits(model, x, lengths, packed):
    if packed:
        return model(x, lengths)
    out, hidden = model.rnn(x)
    if model.pool == "last":
        h = hidden[0] if isinstance(hidden, tuple) else hidden
        pooled = torch.cat([h[-2], h[-1]], dim=1) if model.bidirectional else h[-1]
    elif model.pool == "mean":
        pooled = out.mean(0)
    else:
        pooled = out.max(0).values
    return model.head(pooled)


def tagger_logits(model, ids, lengths, packed):
    if packed:
        return model(ids, lengths)
    return model.head(model.rnn(model.embedding(ids))[0])


def bench(name, seconds, packed, bf16=False):
    task, cell, hidden, bidirectional, vocabulary, embedding, features, classes, pool, batch, steps, horizon, lr = SHAPES[name]
    torch.manual_seed(0)
    examples = 4 * batch
    lengths = torch.full((batch,), steps, dtype=torch.long)
    if task == "classify":
        model = Classifier(features, hidden, classes, cell, 1, bidirectional, pool)
        inputs = torch.randn(steps, examples, features)
        labels = torch.randint(0, classes, (examples,))

        def loss_of(rows):
            return F.cross_entropy(classifier_logits(model, inputs[:, rows], lengths, packed), labels[rows])

        infer = lambda: classifier_logits(model, inputs[:, :batch], lengths, packed)
    elif task == "tag":
        model = Tagger(vocabulary, embedding, hidden, classes, cell, 1)
        inputs = torch.randint(0, vocabulary, (steps, examples))
        tags = torch.randint(0, classes, (steps, examples))

        def loss_of(rows):
            logits = tagger_logits(model, inputs[:, rows], lengths, packed)
            return F.cross_entropy(logits.reshape(-1, classes), tags[:, rows].reshape(-1))

        infer = lambda: tagger_logits(model, inputs[:, :batch], lengths, packed)
    else:
        model = Forecaster(cell, features, features, hidden, 1, "direct", steps, horizon, [])
        series = torch.cumsum(0.1 * torch.randn(steps + horizon + examples, features), 0)
        windows = torch.stack([series[o - steps:o + horizon] for o in range(steps, steps + examples)], 1)

        def loss_of(rows):
            prediction, target = model(windows[:, rows])
            return F.mse_loss(prediction[:, 0], target)

        infer = lambda: model(windows[:, :batch])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(k):
        rows = slice((k % 4) * batch, (k % 4 + 1) * batch)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_of(rows)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5)
        optimizer.step()

    for k in range(2):
        step(k)
    train = per_second(step, seconds) * batch * steps
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        infer()
        inferred = per_second(lambda _: infer(), seconds / 2) * batch
    return {"name": name, "task": task, "cell": cell, "hidden": hidden, "bidirectional": bidirectional, "batch": batch,
            "steps": steps, "params": sum(p.numel() for p in model.parameters()), "train_tokens_per_s": round(train),
            "infer_sequences_per_s": round(inferred),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "threads": torch.get_num_threads(),
            "packed": packed, "precision": "bf16" if bf16 else "fp32"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(SHAPES))
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--packed", action="store_true", help="the compare scripts' pack_padded_sequence path")
    parser.add_argument("--bf16", action="store_true", help="forward passes and losses under torch.autocast to bfloat16")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in args.only.split(","):
        if name not in SHAPES:
            sys.exit(f"error: --only: unknown shape '{name}'; choose from {', '.join(SHAPES)}")
        print(json.dumps(bench(name, args.seconds, args.packed, args.bf16), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()

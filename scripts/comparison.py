"""What the side-by-side scripts (compare_classify.py, compare_tag.py, compare_generate.py) share: the
common options, the length-bucketed batching that Recur's `SequenceBatches` does, and a Recur run
(train, then `eval --json` on the test set); and the timed loop of the PyTorch bench twins."""
import json
import os
import subprocess
import time


def per_second(body, seconds):
    """Calls body(k) for k = 0, 1, ... at least once and until `seconds` have passed; calls per second
    (the timed loop of `recur bench`, timedRepeat)."""
    count, start = 0, time.time()
    while True:
        body(count)
        count += 1
        if time.time() - start >= seconds:
            return count / (time.time() - start)


def add_common_arguments(parser, hidden, lr, batch, epochs):
    """--recur, --train, --test and the model and training options both sides take."""
    parser.add_argument("--recur", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=hidden)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--clip", type=float, default=5.0)


def bucketed_batches(lengths, size, rng):
    """A seeded shuffle cut into buckets of 50 batches sorted by length, batched, the batches shuffled."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    result = []
    for start in range(0, len(order), size * 50):
        bucket = sorted(order[start:start + size * 50], key=lambda i: lengths[i])
        result += [bucket[s:s + size] for s in range(0, len(bucket), size)]
    rng.shuffle(result)
    return result


def recur_run(args, task, out, extra, seed):
    """Trains `recur train --task TASK` with the common options (no validation split) plus `extra`,
    then evaluates the final model on the test set. Returns eval's JSON report and the training
    process's seconds."""
    command = [args.recur, "train", "--task", task, "--data", args.train, "--out", out, "--val-fraction", "0",
               "--cell", args.cell, "--layers", str(args.layers), "--hidden", str(args.hidden), "--lr", str(args.lr),
               "--batch", str(args.batch), "--epochs", str(args.epochs), "--clip", str(args.clip), "--seed", str(seed)] + extra
    start = time.time()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - start
    result = subprocess.run([args.recur, "eval", os.path.join(out, "model.safetensors"), "--data", args.test, "--json"],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout), seconds

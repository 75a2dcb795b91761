#!/usr/bin/env python3
"""Makes the ONNX export fixtures: Tests/RecurTests/Fixtures/onnx/.

For every case (each cell, each task, stacked and bidirectional, every pooling, forecasting strategy
and attention), trains a tiny model with `recur train` on generated data, exports it with `recur
export`, runs the exported file in onnxruntime on random inputs and writes, per case:

  <case>.safetensors      the checkpoint (model tensors only)
  <case>.<graph>.onnx     the exported file onnxruntime ran
  <case>.<graph>.json     the inputs and onnxruntime's outputs

OnnxExportTests then exports the same checkpoint in Swift, checks the bytes equal the file that
onnxruntime ran, runs Recur's model on the same inputs and compares with onnxruntime's outputs within
1e-5, so CI needs no Python.

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install onnxruntime onnx numpy safetensors
    swift build --product recur
    /tmp/torch-venv/bin/python scripts/make_onnx_fixtures.py [--recur .build/debug/recur]
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RecurTests", "Fixtures", "onnx")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def make_data(work):
    """Small files of every task's format."""
    lines = []
    for i in range(1, 60):
        lines.append(f'Line {i} said "hello (there)" and [then {i * 7 % 13}] went on.')
        lines.append("A shorter line.")
    write(f"{work}/text.txt", "\n".join(lines) + "\n")
    rows = []
    for i in range(1, 80):
        condition = "even" if i % 2 == 0 else "odd"
        rows.append(json.dumps({"text": f"number {i} is {condition}", "condition": condition}))
    write(f"{work}/generate.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(1, 90):
        label, word = ("calm", "quiet") if i % 3 == 0 else ("loud", "noisy") if i % 3 == 1 else ("odd", "weird")
        rows.append(json.dumps({"text": f"line {i} was {word} and more", "label": label}))
    write(f"{work}/classify.jsonl", "\n".join(rows) + "\n")
    rng = np.random.default_rng(3)
    rows = []
    for i in range(60):
        steps = int(rng.integers(3, 9))
        frames = (rng.normal(size=(steps, 3)) * [1, 2, 0.5] + [0, 5, -1]).round(3).tolist()
        rows.append(json.dumps({"sequence": frames, "label": "up" if i % 2 else "down"}))
    write(f"{work}/frames.jsonl", "\n".join(rows) + "\n")
    text = ""
    for i in range(1, 60):
        adjective = "quiet" if i % 2 == 0 else "noisy"
        text += f"line\tO\n{i}\tNUM\nwas\tO\n{adjective}\tADJ\n\n"
    write(f"{work}/tag.conll", text)
    rows = []
    for i in range(1, 100):
        parity = "even" if i % 2 == 0 else "odd"
        rows.append(f"line {i} is {parity}\t{parity.upper()} {i}")
    write(f"{work}/pairs.tsv", "\n".join(rows) + "\n")
    rows = ["month,sales,promo"]
    for i in range(120):
        sales = 100 + i * 0.5 + 10 * math.sin(i * 2 * math.pi / 12) + float(rng.integers(0, 100)) / 50
        rows.append(f"{2000 + i // 12:04d}-{i % 12 + 1:02d}-01,{sales:.3f},{math.sin((i + 1) * 2 * math.pi / 12):.2f}")
    write(f"{work}/sales.csv", "\n".join(rows) + "\n")


SMALL = ["--hidden", "6", "--embedding", "5", "--batch", "8", "--threads", "1", "--seed", "3"]
FORECAST = ["--task", "forecast", "--data", "sales.csv", "--target", "sales", "--time", "month", "--context", "8",
            "--horizon", "3", "--hidden", "6", "--batch", "8", "--threads", "1", "--steps", "20", "--lr", "0.003", "--clip", "1"]

# name -> (train arguments, graphs)
CASES = {
    "lm_lstm": (["--data", "text.txt", "--cell", "lstm", "--layers", "2", "--steps", "20", "--seq-length", "16"], ["sequence", "step"]),
    "lm_gru": (["--data", "text.txt", "--cell", "gru", "--layers", "2", "--steps", "20", "--seq-length", "16"], ["sequence", "step"]),
    "lm_rnn": (["--data", "text.txt", "--cell", "rnn", "--layers", "1", "--steps", "20", "--seq-length", "16"], ["sequence", "step"]),
    "lm_conditioned_lstm": (["--data", "generate.jsonl", "--cell", "lstm", "--layers", "2", "--steps", "20"], ["sequence", "step"]),
    "lm_conditioned_every_step_gru": (["--data", "generate.jsonl", "--cell", "gru", "--layers", "1", "--steps", "20",
                                       "--condition-every-step"], ["sequence", "step"]),
    "classify_lstm_bi_last": (["--task", "classify", "--data", "classify.jsonl", "--cell", "lstm", "--layers", "2",
                               "--bidirectional", "--pool", "last", "--epochs", "2"], ["sequence"]),
    "classify_gru_mean": (["--task", "classify", "--data", "classify.jsonl", "--cell", "gru", "--layers", "1",
                           "--pool", "mean", "--epochs", "2"], ["sequence"]),
    "classify_rnn_bi_max_frames": (["--task", "classify", "--data", "frames.jsonl", "--cell", "rnn", "--layers", "2",
                                    "--bidirectional", "--pool", "max", "--epochs", "2"], ["sequence"]),
    "tag_lstm_bi": (["--task", "tag", "--data", "tag.conll", "--cell", "lstm", "--layers", "2", "--epochs", "2"], ["sequence"]),
    "tag_gru": (["--task", "tag", "--data", "tag.conll", "--cell", "gru", "--layers", "1", "--no-bidirectional",
                 "--epochs", "2"], ["sequence"]),
    "forecast_direct_lstm_quantiles": (FORECAST + ["--cell", "lstm", "--layers", "2", "--strategy", "direct",
                                                   "--quantiles", "0.1,0.5,0.9", "--features", "promo"], ["sequence"]),
    "forecast_recursive_gru": (FORECAST + ["--cell", "gru", "--layers", "2", "--strategy", "recursive"], ["sequence"]),
    "forecast_seq2seq_lstm_difference": (FORECAST + ["--cell", "lstm", "--layers", "2", "--strategy", "seq2seq",
                                                     "--difference", "1", "--features", "promo"], ["sequence"]),
    "forecast_seq2seq_rnn": (FORECAST + ["--cell", "rnn", "--layers", "1", "--strategy", "seq2seq", "--on-nonfinite", "skip"], ["sequence"]),
    "seq2seq_gru_bahdanau_bi": (["--task", "seq2seq", "--data", "pairs.tsv", "--cell", "gru", "--layers", "1",
                                 "--bidirectional", "--attention", "bahdanau", "--epochs", "1"], ["encoder", "step"]),
    "seq2seq_lstm_luong_general_2x": (["--task", "seq2seq", "--data", "pairs.tsv", "--cell", "lstm", "--layers", "2",
                                       "--attention", "luong-general", "--epochs", "1"], ["encoder", "step"]),
    "seq2seq_lstm_luong_dot_bridge": (["--task", "seq2seq", "--data", "pairs.tsv", "--cell", "lstm", "--layers", "2",
                                       "--decoder-layers", "1", "--attention", "luong-dot", "--epochs", "1"], ["encoder", "step"]),
    "seq2seq_rnn_none": (["--task", "seq2seq", "--data", "pairs.tsv", "--cell", "rnn", "--layers", "1",
                          "--attention", "none", "--epochs", "1"], ["encoder", "step"]),
    "tag_rnn_relu_bi": (["--task", "tag", "--data", "tag.conll", "--cell", "rnn_relu", "--layers", "2", "--epochs", "2"], ["sequence"]),
}


def dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value_info.type.tensor_type.shape.dim]


def make_inputs(model, rng, memory_from=None):
    """Random inputs for every graph input; ids within the vocabulary, lengths 1..steps with the
    longest equal to steps."""
    batch, steps, source_steps = 3, 5, 6
    sizes = {"batch": batch, "steps": steps, "source_steps": source_steps}
    # The vocabulary: the rows of the embedding table that a Gather reads.
    tables = {t.name: list(t.dims) for t in model.graph.initializer if len(t.dims) == 2}
    vocabulary = next(tables[n.input[0]][0] for n in model.graph.node if n.op_type == "Gather" and n.input[0] in tables) \
        if any(n.op_type == "Gather" and n.input[0] in tables for n in model.graph.node) else None
    feeds = {}
    for info in model.graph.input:
        shape = [sizes[d] if isinstance(d, str) else d for d in dims(info)]
        name = info.name
        if name in ("ids", "tokens", "source", "previous"):
            feeds[name] = rng.integers(0, vocabulary, size=shape).astype(np.int64)
        elif name in ("lengths", "source_lengths"):
            full = source_steps if name == "source_lengths" else steps
            feeds[name] = np.array([full, 1, full - 2][:batch], dtype=np.int64)
        elif name == "memory":
            feeds[name] = memory_from
        elif name == "condition":
            feeds[name] = rng.normal(size=shape).astype(np.float32)
        elif name == "features":
            # Raw frames, as in the file (the graph standardises them).
            feeds[name] = (rng.normal(size=shape) * [1, 2, 0.5] + [0, 5, -1]).astype(np.float32)
        else:  # states, context
            feeds[name] = (rng.normal(size=shape) * 0.8).astype(np.float32)
    if "memory" in feeds:
        # Zero past each source's length, as the encoder writes it.
        for b, n in enumerate(feeds["source_lengths"]):
            feeds["memory"][n:, b, :] = 0
    return feeds


def tensor_json(array):
    array = np.asarray(array)
    kind = "int64" if array.dtype.kind in "iu" else "float"
    values = array.reshape(-1).tolist() if kind == "int64" else [float(x) for x in array.astype(np.float32).reshape(-1)]
    return {"shape": list(array.shape), "type": kind, "values": values}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recur", default=os.path.join(ROOT, ".build", "debug", "recur"))
    parser.add_argument("--only", help="comma-separated case names")
    args = parser.parse_args()
    recur = os.path.abspath(args.recur)
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="recur-onnx-")
    make_data(work)
    rng = np.random.default_rng(11)
    cases = CASES if not args.only else {k: CASES[k] for k in args.only.split(",")}
    for name, (train, graphs) in cases.items():
        run = os.path.join(work, name)
        subprocess.run([recur, "train", *train, "--out", run, *([] if "--hidden" in train else SMALL)],
                       cwd=work, check=True, stdout=subprocess.DEVNULL)
        # The model's tensors only (the training state is not needed to export).
        tensors = load_file(f"{run}/model.safetensors")
        with open(f"{run}/model.safetensors", "rb") as f:
            header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
        metadata = {k: v for k, v in header["__metadata__"].items() if not k.startswith("training.")}
        model_tensors = {k: v for k, v in tensors.items() if not k.startswith("training.")}
        checkpoint = os.path.join(OUT, f"{name}.safetensors")
        save_file(model_tensors, checkpoint, metadata=metadata)
        memory = None
        for graph in graphs:
            path = os.path.join(OUT, f"{name}.{graph}.onnx")
            subprocess.run([recur, "export", checkpoint, "--format", "onnx", "--graph", graph, "--out", path],
                           check=True, stdout=subprocess.DEVNULL)
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            feeds = make_inputs(model, rng, memory_from=memory)
            names = [o.name for o in session.get_outputs()]
            results = session.run(names, feeds)
            if graph == "encoder":
                memory = results[names.index("memory")]
            fixture = {"case": name, "graph": graph, "onnxruntime": ort.__version__,
                       "inputs": {k: tensor_json(v) for k, v in feeds.items()},
                       "outputs": {k: tensor_json(v) for k, v in zip(names, results)}}
            with open(os.path.join(OUT, f"{name}.{graph}.json"), "w") as f:
                json.dump(fixture, f, separators=(",", ":"))
            print(f"{name}.{graph}: {', '.join(f'{k} {list(np.shape(v))}' for k, v in zip(names, results))}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the corpus of broken checkpoints that Recur must refuse, one file per defect.

Usage: python3 scripts/make_bad_checkpoints.py
Reads Tests/RecurTests/Fixtures/checkpoints/recur_lstm.safetensors (a good 2x16 LSTM) and writes
Tests/RecurCLITests/Fixtures/bad-checkpoints/NN-name.safetensors plus expected.tsv (file, phrase the
error line must contain). Standard library only; the same corpus seeds the safetensors fuzzer.
"""
import json, os, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD = os.path.join(ROOT, "Tests/RecurTests/Fixtures/checkpoints/recur_lstm.safetensors")
OUT = os.path.join(ROOT, "Tests/RecurCLITests/Fixtures/bad-checkpoints")

raw = open(GOOD, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
HEADER = json.loads(raw[8:8 + n])
DATA = raw[8 + n:]


def pack(header_text, data):
    h = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(h)) + h + data


def with_header(change, data=DATA):
    header = json.loads(json.dumps(HEADER))
    change(header)
    return pack(json.dumps(header), data)


def set_entry(name, **fields):
    def change(header):
        header[name].update(fields)
    return change


def drop(name):
    def change(header):
        del header[name]
    return change


def metadata(**fields):
    def change(header):
        header["__metadata__"].update(fields)
    return change


def float_at(tensor, index, value):
    begin = HEADER[tensor]["data_offsets"][0] + 4 * index
    return DATA[:begin] + struct.pack("<f", value) + DATA[begin + 4:]


def duplicate():
    text = json.dumps(HEADER)
    entry = '"head.bias": ' + json.dumps(HEADER["head.bias"])
    return pack(text[:-1] + ", " + entry + "}", DATA)


def add_extra(header):
    header["extra.weight"] = {"dtype": "F32", "shape": [1], "data_offsets": [len(DATA), len(DATA) + 4]}


def gru_weights_for_lstm():
    # A good GRU checkpoint (3 gate blocks) whose metadata claims an LSTM.
    gru = open(GOOD.replace("recur_lstm", "recur_gru"), "rb").read()
    length = struct.unpack("<Q", gru[:8])[0]
    header = json.loads(gru[8:8 + length])
    header["__metadata__"]["cell"] = "lstm"
    return pack(json.dumps(header), gru[8 + length:])


cases = [
    ("empty", b"", "is 0 bytes long"),
    ("seven-bytes", raw[:7], "is 7 bytes long"),
    ("header-past-end", struct.pack("<Q", len(raw)) + raw[8:], "declares a header of 20192 bytes but the file has only 20184"),
    ("header-length-max", b"\xff" * 8 + raw[8:], "over the limit of 100000000"),
    ("header-over-cap", struct.pack("<Q", 100_000_001) + raw[8:], "header of 100000001 bytes, over the limit"),
    ("header-not-utf8", pack(b'{"a\xff": 1}', b""), "not valid UTF-8"),
    ("truncated-json", pack(json.dumps(HEADER)[:-40], DATA), "not valid JSON"),
    ("number-in-metadata", with_header(lambda h: h["__metadata__"].update(step=150)), "__metadata__ value for 'step' that is not a string"),
    ("duplicate-tensor", duplicate(), "names tensor 'head.bias' twice"),
    ("same-offsets", with_header(set_entry("rnn.weight_hh_l1", data_offsets=[7808, 11904])), "'rnn.weight_ih_l1' overlaps another tensor's data at data offset 7808"),
    ("gap", with_header(set_entry("head.bias", data_offsets=[18820, 18964]), DATA + b"\0" * 4), "unused data bytes 18816..<18820 before tensor 'head.bias'"),
    ("trailing-bytes", pack(json.dumps(HEADER), DATA + b"\0\0\0\0"), "has 4 bytes after the last tensor's data"),
    ("data-truncated", pack(json.dumps(HEADER), DATA[:-2]), "need 18960 data bytes but the file has 18958"),
    ("end-before-begin", with_header(set_entry("head.bias", data_offsets=[18960, 18816])), "data_offsets [18960, 18816] with end before begin"),
    ("length-not-shape", with_header(set_entry("head.bias", shape=[35])), "has 144 bytes of data but its shape and dtype need 140"),
    ("shape-overflow", with_header(set_entry("head.bias", shape=[4294967296, 4294967296, 4294967296])), "element count overflows"),
    ("unknown-dtype", with_header(set_entry("head.bias", dtype="F8")), "unknown dtype 'F8'"),
    ("unsupported-dtype", with_header(set_entry("head.bias", dtype="I32")), "'head.bias' has dtype I32"),
    ("missing-tensor", with_header(drop("head.bias"), DATA[:-144]), "has no tensor 'head.bias' (expected shape [36])"),
    ("extra-tensor", with_header(add_extra, DATA + b"\0" * 4), "unexpected tensor 'extra.weight' of shape [1]"),
    ("wrong-shape", with_header(set_entry("head.bias", shape=[6, 6])), "'head.bias' has shape [6, 6], expected [36]"),
    ("gru-weights-for-lstm", gru_weights_for_lstm(), "'rnn.weight_ih_l0' has shape [48, 8], expected [64, 8]"),
    ("nan-weight", pack(json.dumps(HEADER), float_at("rnn.weight_hh_l0", 3, float("nan"))), "'rnn.weight_hh_l0' holds nan at element 3"),
    ("inf-weight", pack(json.dumps(HEADER), float_at("head.weight", 7, float("inf"))), "'head.weight' holds inf at element 7"),
    ("another-format", with_header(metadata(format="keras-h5")), "its format is 'keras-h5'"),
    ("future-version", with_header(metadata(format_version="2")), "format_version 2"),
    ("bad-vocabulary", with_header(metadata(vocab_size="35")), "metadata 'vocab_size' is 35 but the vocabulary has 36 symbols"),
]

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
with open(os.path.join(OUT, "expected.tsv"), "w") as manifest:
    for i, (name, data, phrase) in enumerate(cases, 1):
        file = f"{i:02d}-{name}.safetensors"
        with open(os.path.join(OUT, file), "wb") as f:
            f.write(data)
        manifest.write(f"{file}\t{phrase}\n")
print(f"wrote {len(cases)} files to {OUT}")

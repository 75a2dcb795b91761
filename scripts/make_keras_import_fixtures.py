#!/usr/bin/env python3
"""Makes the Keras import fixtures: Tests/RecurTests/Fixtures/keras/.

Builds small Keras 3 models of the shapes `recur import keras` reads (Embedding -> SimpleRNN / LSTM /
GRU, stacked, Bidirectional -> Dense), trains each a few steps so that no weight is at its initial
value, and writes per case:

  <case>.keras          the whole model (config.json + model.weights.h5 in a zip)
  <case>.weights.h5     the weights alone
  <case>.json           input ids, Keras's outputs for them (logits, or probabilities when the
                        Dense layer has a softmax), and what the import must make of it
  <case>.txt            (language models) a text whose sorted distinct characters are the ids

and models Recur must refuse (refuse_*.keras, one of them a configuration edited to contradict its
weights), each with the reason it must give. KerasImportTests
imports each file, runs Recur's model on the same ids and compares within 1e-5.

    python3 -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install tensorflow-cpu
    /tmp/tf-venv/bin/python scripts/make_keras_import_fixtures.py
"""
import argparse
import json
import os
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RecurTests", "Fixtures", "keras")
L = keras.layers
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n"


def sequential(*layers):
    return keras.Sequential([keras.Input((None,), dtype="int32"), *layers])


def lm(vocabulary, *recurrent):
    return sequential(L.Embedding(vocabulary, 8), *recurrent, L.Dense(vocabulary))


def cases():
    V = len(sorted(set(TEXT)))
    yield "lm_lstm_seed", "lm", lm(V, L.LSTM(12, return_sequences=True))
    yield "lm_gru_stacked", "lm", lm(V, L.GRU(10, return_sequences=True), L.GRU(10, return_sequences=True))
    yield "lm_rnn_relu", "lm", lm(V, L.SimpleRNN(9, activation="relu", return_sequences=True))
    yield "tag_bilstm_stacked", "tag", sequential(L.Embedding(20, 6), L.Bidirectional(L.LSTM(6, return_sequences=True)),
                                                  L.Bidirectional(L.LSTM(6, return_sequences=True)), L.Dense(4))
    yield "classify_bigru_softmax", "classify", sequential(L.Embedding(15, 5), L.Bidirectional(L.GRU(7)),
                                                           L.Dense(3, activation="softmax"))
    yield "classify_lstm_no_bias", "classify", sequential(L.Embedding(15, 5), L.LSTM(5, use_bias=False), L.Dense(2))


REFUSED = {
    "refuse_gru_reset_before": (sequential(L.Embedding(9, 4), L.GRU(5, reset_after=False, return_sequences=True), L.Dense(9)),
                                "reset_after"),
    "refuse_hard_sigmoid": (sequential(L.Embedding(9, 4), L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
                                       L.Dense(9)), "hard_sigmoid"),
    "refuse_mixed_cells": (sequential(L.Embedding(9, 4), L.LSTM(5, return_sequences=True), L.GRU(5, return_sequences=True),
                                      L.Dense(9)), "one kind of recurrent layer"),
    "refuse_dense_relu": (sequential(L.Embedding(9, 4), L.LSTM(5), L.Dense(3, activation="relu")), "relu"),
    "refuse_merge_sum": (sequential(L.Embedding(9, 4), L.Bidirectional(L.LSTM(5), merge_mode="sum"), L.Dense(3)), "merge_mode"),
}


def train(model, task, rng):
    """A few steps of Adam on random data, so that biases and every weight move from their start."""
    vocabulary = model.layers[0].input_dim
    outputs = model.layers[-1].units
    ids = rng.integers(0, vocabulary, size=(32, 7))
    targets = rng.integers(0, outputs, size=(32, 7) if task in ("lm", "tag") else (32,))
    softmax = model.layers[-1].get_config()["activation"] == "softmax"
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax))
    model.fit(ids, targets, batch_size=8, epochs=1, verbose=0)
    return softmax


def wrong_units():
    """A .keras file whose configuration contradicts its weights (units 7, weights of 5): the import
    must refuse it by the shapes, not trust the configuration."""
    model = sequential(L.Embedding(9, 4), L.LSTM(5, return_sequences=True), L.Dense(9))
    source, path = os.path.join(OUT, "wrong_units.tmp.keras"), os.path.join(OUT, "refuse_wrong_units.keras")
    model.save(source)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                for layer in config["config"]["layers"]:
                    if layer["class_name"] == "LSTM":
                        layer["config"]["units"] = 7
                data = json.dumps(config).encode()
            zout.writestr(item, data)
    os.remove(source)
    return "not those of a LSTM of 7 units"


def huge_weights():
    """A .weights.h5 whose embedding claims 2^40 x 2^40 values (chunked, so the file is small): the
    import must refuse the size before taking memory for it."""
    import h5py
    with h5py.File(os.path.join(OUT, "refuse_huge.weights.h5"), "w") as f:
        f.create_dataset("layers/embedding/vars/0", shape=(1 << 40, 1 << 40), dtype="float32", chunks=(1, 16))
        f.create_dataset("layers/lstm/cell/vars/0", data=np.zeros((4, 20), np.float32))
        f.create_dataset("layers/lstm/cell/vars/1", data=np.zeros((5, 20), np.float32))
        f.create_dataset("layers/dense/vars/0", data=np.zeros((5, 9), np.float32))
    return "too large"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only-crafted", action="store_true", help="only the hand-edited file (refuse_wrong_units)")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.only_crafted:
        with open(os.path.join(OUT, "refusals.json")) as f:
            refusals = json.load(f)
        refusals["refuse_wrong_units"] = wrong_units()
        huge_weights()
        with open(os.path.join(OUT, "refusals.json"), "w") as f:
            json.dump(refusals, f, indent=1, sort_keys=True)
        return
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    for name, task, model in cases():
        probabilities = train(model, task, rng)
        model.save(os.path.join(OUT, name + ".keras"))
        model.save_weights(os.path.join(OUT, name + ".weights.h5"))
        vocabulary = model.layers[0].input_dim
        ids = rng.integers(0, vocabulary, size=(3, 6))
        outputs = np.asarray(model(ids, training=False))
        fixture = {"case": name, "task": task, "ids": ids.tolist(), "outputs_shape": list(outputs.shape),
                   "outputs": [float(x) for x in outputs.reshape(-1)], "probabilities": probabilities,
                   "keras": keras.__version__}
        if task == "lm":
            with open(os.path.join(OUT, name + ".txt"), "w") as f:
                f.write(TEXT)
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        print(f"{name}: {task}, outputs {list(outputs.shape)}")
    refusals = {}
    for name, (model, reason) in REFUSED.items():
        model.save(os.path.join(OUT, name + ".keras"))
        refusals[name] = reason
    refusals["refuse_wrong_units"] = wrong_units()
    huge_weights()
    with open(os.path.join(OUT, "refusals.json"), "w") as f:
        json.dump(refusals, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes Tests/RecurTests/Fixtures/keras_seed_step.json: the seed article's Keras model (Embedding ->
LSTM(return_sequences=True) -> Dense), small, given fixed weights, trained 3 steps by
tf.keras.optimizers.Adam() (its defaults: lr 0.001, betas 0.9/0.999, epsilon 1e-7) on the sparse
cross-entropy from logits of three batches, each from a zero state, with the embedding's gradient
made dense as TensorFlow 2.0's Adam (the article's) treated it. Recur's preset seed-keras (keras-adam,
one bias per gate) must give the same losses and weights.

Run with TensorFlow 2 / Keras 3 (python3 -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install
tensorflow-cpu): /tmp/tf-venv/bin/python scripts/make_keras_fixtures.py
"""
import json
import os

import numpy as np
import tensorflow as tf

V, E, H, B, T = 7, 5, 6, 3, 4
rng = np.random.default_rng(3)
embedding = rng.uniform(-0.5, 0.5, (V, E)).astype(np.float32)
kernel = rng.uniform(-0.5, 0.5, (E, 4 * H)).astype(np.float32)             # Keras: [I, 4H], gates i f c o
recurrent = rng.uniform(-0.5, 0.5, (H, 4 * H)).astype(np.float32)          # [H, 4H]
bias = rng.uniform(-0.5, 0.5, (4 * H,)).astype(np.float32)
dense_kernel = rng.uniform(-0.5, 0.5, (H, V)).astype(np.float32)          # [H, V]
dense_bias = rng.uniform(-0.5, 0.5, (V,)).astype(np.float32)
batches = [rng.integers(0, V, (B, T + 1)) for _ in range(3)]

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(T,), batch_size=B, dtype="int32"),
    tf.keras.layers.Embedding(V, E),
    tf.keras.layers.LSTM(H, return_sequences=True),
    tf.keras.layers.Dense(V),
])
model.layers[0].set_weights([embedding])
model.layers[1].set_weights([kernel, recurrent, bias])
model.layers[2].set_weights([dense_kernel, dense_bias])
optimizer = tf.keras.optimizers.Adam()
losses = []
for batch in batches:
    inputs, targets = batch[:, :-1], batch[:, 1:]
    with tf.GradientTape() as tape:
        logits = model(inputs)
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
    grads = tape.gradient(loss, model.trainable_variables)
    # The embedding's gradient is sparse (IndexedSlices). The article's TensorFlow 2.0 Adam decayed every
    # row's moments and moved every row, as for a dense gradient; Keras 3 updates only the rows present.
    # Dense, as the article ran it:
    grads = [tf.convert_to_tensor(g) for g in grads]
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
after = [w.numpy() for w in model.trainable_variables]


def stored(array):
    array = np.asarray(array, dtype=np.float64)
    return {"shape": list(array.shape), "data": array.reshape(-1).tolist()}


# Recur's names and layouts (PyTorch's): W_ih [4H, E] = kernel^T, W_hh = recurrent^T, one bias in
# bias_ih (bias_hh zero), head.weight [V, H] = dense kernel^T.
def recur_names(emb, k, r, b, dk, db):
    return {"embedding.weight": stored(emb), "rnn.weight_ih_l0": stored(k.T), "rnn.weight_hh_l0": stored(r.T),
            "rnn.bias_ih_l0": stored(b), "rnn.bias_hh_l0": stored(np.zeros_like(b)),
            "head.weight": stored(dk.T), "head.bias": stored(db)}


tensors = {"before." + k: v for k, v in recur_names(embedding, kernel, recurrent, bias, dense_kernel, dense_bias).items()}
tensors.update({"after." + k: v for k, v in recur_names(*after).items()})
for i, batch in enumerate(batches):
    tensors[f"batch{i}"] = stored(batch)
tensors["losses"] = stored(losses)
fixture = {"settings": {"V": V, "E": E, "H": H, "B": B, "T": T, "steps": len(batches),
                        "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
                        "tensorflow": tf.__version__},
           "tensors": tensors}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurTests", "Fixtures", "keras_seed_step.json")
with open(path, "w") as f:
    json.dump(fixture, f)
print("wrote", path, "losses", losses)

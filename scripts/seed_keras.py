#!/usr/bin/env python3
"""Seed 003's Keras character model, its code as the article gives it, to run beside
`recur train --preset seed-keras` on the same text (docs/seed-keras.md).

What is changed, and why: the text is read from --data (the article downloads TensorFlow's
shakespeare.txt); Keras 3 has no `batch_input_shape=` (the model is built, as the article
does before training, by a call on the first batch) and resets a stateful layer with
`layer.reset_states()`; the embedding's sparse
gradient is made dense before the update, because the article's TensorFlow 2.0 Adam decayed and moved
every row (Keras 3 moves only the rows present in the batch); --epochs and --batches shorten the run.
Everything else (sizes, the tf.data pipeline, glorot-uniform recurrent kernel, Adam() defaults, the
loss, the printing) is the article's.

    /tmp/tf-venv/bin/python scripts/seed_keras.py --data shakespeare.txt --epochs 1 [--batches N] [--json out.json]
"""
import argparse
import json
import time

import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batches", type=int, default=0, help="stop each epoch after N batches (0: all)")
parser.add_argument("--json", default="", help="write the losses and times here")
parser.add_argument("--threads", type=int, default=0)
args = parser.parse_args()
if args.threads:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def split_input_target(chunk):
    return chunk[:-1], chunk[1:]


batch_size = 64
seq_length = 100
embedding_dim = 256
hidden_size = 1024
num_epochs = args.epochs

text = open(args.data, "rb").read().decode(encoding="utf-8")
vocab = sorted(set(text))
vocab_size = len(vocab)
print("{} unique characters".format(vocab_size))
char2idx = {u: i for i, u in enumerate(vocab)}
text_as_int = np.array([char2idx[c] for c in text])
char_dataset = tf.data.Dataset.from_tensor_slices(text_as_int)
sequences = char_dataset.batch(seq_length + 1, drop_remainder=True)
dataset = sequences.map(split_input_target)
dataset = dataset.shuffle(10000).batch(batch_size, drop_remainder=True)


class RNN(tf.keras.Model):
    def __init__(self, batch_size):
        super(RNN, self).__init__()
        self.embedding_layer = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.hidden_layer_1 = tf.keras.layers.LSTM(hidden_size, return_sequences=True, stateful=True,
                                                   recurrent_initializer="glorot_uniform")
        self.output_layer = tf.keras.layers.Dense(vocab_size)

    def call(self, x):
        embedded_input = self.embedding_layer(x)
        features = self.hidden_layer_1(embedded_input)
        return self.output_layer(features)


def sparse_cross_entropy_loss(labels, logits):
    return tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


optimizer = tf.keras.optimizers.Adam()


@tf.function
def train_step(model, input, target):
    with tf.GradientTape() as tape:
        logits = model(input)
        loss = sparse_cross_entropy_loss(target, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads = [tf.convert_to_tensor(g) for g in grads]  # dense, as TensorFlow 2.0's Adam applied it
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


RNN_model = RNN(batch_size=batch_size)
for input_example_batch, target_example_batch in dataset.take(1):
    example_batch_predictions = RNN_model(input_example_batch)
    print(example_batch_predictions.shape, "# (batch_size, sequence_length, vocab_size)")
print("parameters:", RNN_model.count_params())
record = {"parameters": int(RNN_model.count_params()), "vocabulary": vocab_size, "epochs": []}
for epoch in range(num_epochs):
    start = time.time()
    RNN_model.hidden_layer_1.reset_states()
    losses = []
    for (batch_n, (input, target)) in enumerate(dataset):
        loss = float(train_step(RNN_model, input, target))
        losses.append(loss)
        if batch_n % 100 == 0:
            print("Epoch {} Batch {} Loss {}".format(epoch + 1, batch_n, loss), flush=True)
        if args.batches and batch_n + 1 >= args.batches:
            break
    seconds = time.time() - start
    print("Epoch {} Loss {:.4f}".format(epoch + 1, loss))
    print("Time taken for 1 epoch {} sec\n".format(seconds), flush=True)
    record["epochs"].append({"losses": losses, "seconds": seconds, "batches": len(losses)})
if args.json:
    with open(args.json, "w") as f:
        json.dump(record, f)

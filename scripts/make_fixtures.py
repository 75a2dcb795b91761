#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures that Recur's tests replay (Tests/RecurTests/Fixtures/*.json).

Run by hand when a fixture must change (CI never runs it; the tests only read the JSON):
    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch numpy
    /tmp/torch-venv/bin/python scripts/make_fixtures.py

Each fixture holds "settings" and "tensors" ({name: {"shape": [...], "data": [...]}}). Values are
float32 written as exact decimal doubles.
"""
import json
import os

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurTests", "Fixtures")


def stored(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def write(name, settings, tensors):
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump({"settings": settings, "tensors": {k: stored(v) for k, v in tensors.items()}}, f,
                  separators=(",", ":"))
    print("wrote", os.path.relpath(path))


def recurrent_fixture(cell, masked, short=False):
    """nn.RNN / nn.LSTM / nn.GRU, 2 layers, bidirectional, batch 3, T 7, with every gradient of
    L = sum(out * Ry) + sum(h_n * Rh) [+ sum(c_n * Rc)]. `short`: 12 hidden units (an eight-lane block
    and a tail) and lengths whose longest (5) is shorter than T, so the last steps are padding for all."""
    torch.manual_seed({"rnn_tanh": 1, "rnn_relu": 2, "lstm": 3, "gru": 4}[cell] + (10 if masked else 0)
                      + (20 if short else 0))
    T, B, I, H, L = 7, 3, 5, (12 if short else 4), 2
    if cell.startswith("rnn"):
        net = torch.nn.RNN(I, H, num_layers=L, nonlinearity=cell[4:], bidirectional=True)
    elif cell == "lstm":
        net = torch.nn.LSTM(I, H, num_layers=L, bidirectional=True)
    else:
        net = torch.nn.GRU(I, H, num_layers=L, bidirectional=True)
    has_c = cell == "lstm"
    x = torch.randn(T, B, I, requires_grad=True)
    h0 = (0.5 * torch.randn(2 * L, B, H)).requires_grad_()
    c0 = (0.5 * torch.randn(2 * L, B, H)).requires_grad_()
    lengths = [3, 5, 1] if short else [7, 4, 2] if masked else None
    state = (h0, c0) if has_c else h0
    if masked:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out_packed, final = net(packed, state)
        out, _ = pad_packed_sequence(out_packed, total_length=T)
    else:
        out, final = net(x, state)
    hn, cn = final if has_c else (final, None)
    ry, rh, rc = torch.randn_like(out), torch.randn_like(hn), torch.randn(2 * L, B, H)
    loss = (out * ry).sum() + (hn * rh).sum() + ((cn * rc).sum() if has_c else 0)
    loss.backward()

    tensors = {name: p for name, p in net.named_parameters()}
    tensors.update({"x": x, "h0": h0, "output": out, "hn": hn, "grad_output": ry, "grad_hn": rh,
                    "grad.x": x.grad, "grad.h0": h0.grad})
    if has_c:
        tensors.update({"c0": c0, "cn": cn, "grad_cn": rc, "grad.c0": c0.grad})
    tensors.update({"grad." + name: p.grad for name, p in net.named_parameters()})
    settings = {"cell": cell, "input_size": I, "hidden_size": H, "num_layers": L, "bidirectional": True,
                "steps": T, "batch": B, "lengths": lengths, "loss": loss.item()}
    write(f"{cell}{'_short' if short else '_masked' if masked else ''}", settings, tensors)


def loss_fixture():
    torch.manual_seed(5)
    logits = (3 * torch.randn(12, 7)).requires_grad_()
    targets = torch.randint(0, 7, (12,))
    mask = torch.rand(12) > 0.3
    ce = F.cross_entropy(logits, torch.where(mask, targets, torch.full_like(targets, -100)), ignore_index=-100)
    ce.backward()
    prediction = torch.randn(6, 3, requires_grad=True)
    target = torch.randn(6, 3)
    mse = F.mse_loss(prediction, target)
    mse.backward()
    write("losses", {"cross_entropy": ce.item(), "mse": mse.item(), "targets": targets.tolist(),
                     "mask": [int(m) for m in mask.tolist()]},
          {"logits": logits, "grad.logits": logits.grad, "prediction": prediction, "target": target,
           "grad.prediction": prediction.grad})


def weighted_loss_fixture():
    """cross_entropy with class weights (as --class-weights balanced uses it)."""
    torch.manual_seed(7)
    logits = (2 * torch.randn(10, 4)).requires_grad_()
    targets = torch.tensor([0, 1, 1, 1, 2, 3, 3, 0, 1, 1])
    weights = torch.tensor([0.5, 2.0, 1.25, 0.0])
    loss = F.cross_entropy(logits, targets, weight=weights)
    loss.backward()
    write("weighted_losses", {"targets": targets.tolist(), "loss": loss.item()},
          {"logits": logits, "weights": weights, "grad.logits": logits.grad})


OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered_momentum": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5,
                                                               centered=True, weight_decay=0.1),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                             initial_accumulator_value=0.1),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam_l2": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
}


def optimizer_fixture():
    """Four steps of each optimiser on two parameters with given gradients; then clip_grad_norm_."""
    torch.manual_seed(6)
    start = [torch.randn(7), torch.randn(2, 3)]
    grads = [[torch.randn(7), torch.randn(2, 3)] for _ in range(4)]
    tensors = {"p0": start[0], "p1": start[1]}
    for s, (g0, g1) in enumerate(grads):
        tensors[f"grad{s}.p0"], tensors[f"grad{s}.p1"] = g0, g1
    for name, make in OPTIMIZERS.items():
        params = [p.clone().requires_grad_() for p in start]
        opt = make(params)
        for s in range(4):
            for p, g in zip(params, grads[s]):
                p.grad = g.clone()
            opt.step()
            tensors[f"{name}.step{s}.p0"], tensors[f"{name}.step{s}.p1"] = params[0].clone(), params[1].clone()
    params = [p.clone().requires_grad_() for p in start]
    for p, g in zip(params, grads[0]):
        p.grad = g.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm=1.5)
    tensors["clipped.p0"], tensors["clipped.p1"] = params[0].grad, params[1].grad
    write("optimizers", {"steps": 4, "names": ",".join(OPTIMIZERS), "clip_norm": float(norm)}, tensors)


def cell_fixture(cell):
    """nn.LSTMCell / nn.GRUCell / nn.RNNCell unrolled over T 4 steps, batch 3, 12 hidden units, with
    every gradient of L = sum_t sum(h_t * R_t) [+ sum(c_T * Rc)]."""
    torch.manual_seed({"rnn_tanh": 51, "rnn_relu": 52, "lstm": 53, "gru": 54}[cell])
    T, B, I, H = 4, 3, 5, 12
    if cell.startswith("rnn"):
        module = torch.nn.RNNCell(I, H, nonlinearity=cell[4:])
    elif cell == "lstm":
        module = torch.nn.LSTMCell(I, H)
    else:
        module = torch.nn.GRUCell(I, H)
    has_c = cell == "lstm"
    x = torch.randn(T, B, I, requires_grad=True)
    h0 = (0.5 * torch.randn(B, H)).requires_grad_()
    c0 = (0.5 * torch.randn(B, H)).requires_grad_()
    ry = torch.randn(T, B, H)
    rc = torch.randn(B, H)
    h, c = h0, c0
    outputs = []
    for t in range(T):
        if has_c:
            h, c = module(x[t], (h, c))
        else:
            h = module(x[t], h)
        outputs.append(h)
    out = torch.stack(outputs)
    loss = (out * ry).sum() + ((c * rc).sum() if has_c else 0)
    loss.backward()
    tensors = {name: p for name, p in module.named_parameters()}
    tensors.update({"x": x, "h0": h0, "output": out, "grad_output": ry, "grad.x": x.grad, "grad.h0": h0.grad})
    if has_c:
        tensors.update({"c0": c0, "cn": c, "grad_cn": rc, "grad.c0": c0.grad})
    tensors.update({"grad." + name: p.grad for name, p in module.named_parameters()})
    write(f"cell_{cell}", {"cell": cell, "input_size": I, "hidden_size": H, "steps": T, "batch": B,
                           "loss": loss.item()}, tensors)


class SequenceClassifier(torch.nn.Module):
    """The PyTorch twin of Recur's SequenceClassifier (features input, mean pooling over real steps)."""

    def __init__(self, features, hidden, classes, layers=2, bidirectional=True):
        super().__init__()
        self.rnn = torch.nn.GRU(features, hidden, num_layers=layers, bidirectional=bidirectional)
        self.head = torch.nn.Linear((2 if bidirectional else 1) * hidden, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=x.shape[0])
        mask = (torch.arange(x.shape[0])[:, None] < lengths[None, :]).unsqueeze(-1)
        pooled = (out * mask).sum(0) / lengths[:, None].to(out.dtype)
        return self.head(pooled)


class SequenceTagger(torch.nn.Module):
    """The PyTorch twin of Recur's SequenceTagger (token input): embedding -> bidirectional LSTM ->
    linear at every step; the loss counts the real steps only."""

    def __init__(self, vocabulary, embedding, hidden, tags, layers=2):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        self.rnn = torch.nn.LSTM(embedding, hidden, num_layers=layers, bidirectional=True)
        self.head = torch.nn.Linear(2 * hidden, tags)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=ids.shape[0])
        return self.head(out)


def tagger_fixture():
    """A bidirectional 2-layer LSTM tagger on token ids with packed lengths: logits [T, B, C], the
    mean cross-entropy over the real steps (padding ignored) and every parameter's gradient."""
    torch.manual_seed(41)
    T, B, V, E, H, C = 8, 4, 11, 5, 6, 4
    model = SequenceTagger(V, E, H, C)
    ids = torch.randint(0, V, (T, B))
    lengths = torch.tensor([8, 3, 6, 1])
    tags = torch.randint(0, C, (T, B))
    padded = torch.arange(T)[:, None] >= lengths[None, :]
    targets = tags.masked_fill(padded, -100)
    logits = model(ids, lengths)
    loss = F.cross_entropy(logits.reshape(-1, C), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    tensors = {name: p for name, p in model.state_dict().items()}
    tensors.update({"logits": logits})
    tensors.update({"grad." + name: p.grad for name, p in model.named_parameters()})
    write("tagger_lstm", {"vocabulary": V, "embedding": E, "hidden_size": H, "tags": C, "steps": T, "batch": B,
                          "lengths": lengths.tolist(), "ids": ids.reshape(-1).tolist(), "targets": targets.reshape(-1).tolist(),
                          "loss": loss.item()}, tensors)


class ConditionedGenerator(torch.nn.Module):
    """The PyTorch twin of Recur's conditioned CharRNN: the condition vector c [B, F] sets the initial
    state through a linear map, s = condition(c) viewed as [B, k, L, H] (k = 2 for the LSTM: every
    layer's h, then every layer's c); with every_step, c is also concatenated after each step's
    embedding. The loss counts the real steps only."""

    def __init__(self, cell, vocabulary, embedding, hidden, features, layers=2, every_step=False):
        super().__init__()
        self.cell, self.layers, self.hidden, self.every_step = cell, layers, hidden, every_step
        self.k = 2 if cell == "lstm" else 1
        width = embedding + (features if every_step else 0)
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(width, hidden, num_layers=layers)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(width, hidden, num_layers=layers)
        else:
            self.rnn = torch.nn.RNN(width, hidden, num_layers=layers, nonlinearity=cell[4:])
        self.head = torch.nn.Linear(hidden, vocabulary)
        self.condition = torch.nn.Linear(features, layers * hidden * self.k)

    def forward(self, ids, lengths, c):
        T, B = ids.shape
        s = self.condition(c).view(B, self.k, self.layers, self.hidden)
        h0 = s[:, 0].transpose(0, 1).contiguous()
        state = (h0, s[:, 1].transpose(0, 1).contiguous()) if self.cell == "lstm" else h0
        x = self.embedding(ids)
        if self.every_step:
            x = torch.cat([x, c.unsqueeze(0).expand(T, B, c.shape[1])], dim=2)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = self.rnn(packed, state)
        out, _ = pad_packed_sequence(out, total_length=T)
        return self.head(out)


def generator_fixture(cell, every_step):
    """A conditioned 2-layer generator on token ids with packed lengths and a condition vector per row:
    logits [T, B, V], the mean cross-entropy over the real steps and every parameter's gradient,
    the condition map's included."""
    torch.manual_seed(42)
    T, B, V, E, H, Fc = 7, 4, 9, 5, 6, 3
    model = ConditionedGenerator(cell, V, E, H, Fc, every_step=every_step)
    ids = torch.randint(0, V, (T, B))
    lengths = torch.tensor([7, 2, 5, 1])
    c = torch.randn(B, Fc)
    padded = torch.arange(T)[:, None] >= lengths[None, :]
    targets = torch.randint(0, V, (T, B)).masked_fill(padded, -100)
    logits = model(ids, lengths, c)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    tensors = {name: p for name, p in model.state_dict().items()}
    tensors.update({"conditions": c, "logits": logits})
    tensors.update({"grad." + name: p.grad for name, p in model.named_parameters()})
    write("generator_%s%s" % (cell, "_every_step" if every_step else ""),
          {"vocabulary": V, "embedding": E, "hidden_size": H, "features": Fc, "layers": 2, "steps": T, "batch": B,
           "every_step": every_step, "lengths": lengths.tolist(), "ids": ids.reshape(-1).tolist(),
           "targets": targets.reshape(-1).tolist(), "loss": loss.item()}, tensors)


def generator_fixtures():
    generator_fixture("lstm", False)
    generator_fixture("gru", True)


class Seq2Seq(torch.nn.Module):
    """The PyTorch twin of Recur's Seq2Seq with Bahdanau attention (docs/seq2seq.md): a bidirectional
    GRU encoder over packed source lengths, a bridge tanh(W f + b) from each encoder layer's final
    states of both directions, a decoder of GRUCells whose first cell reads [embedding; context], the
    context from additive attention over the real source steps with the previous top state as the
    query, and the output layer on [state; context]. Teacher forcing throughout."""

    def __init__(self, source_vocabulary, target_vocabulary, embedding, hidden, layers=2):
        super().__init__()
        H, K = hidden, 2 * hidden
        self.hidden, self.layers = H, layers
        self.encoder = torch.nn.Module()
        self.encoder.embedding = torch.nn.Embedding(source_vocabulary, embedding)
        self.encoder.rnn = torch.nn.GRU(embedding, H, num_layers=layers, bidirectional=True)
        self.bridge = torch.nn.Linear(K, H)
        self.decoder = torch.nn.Module()
        self.decoder.embedding = torch.nn.Embedding(target_vocabulary, embedding)
        self.decoder.cells = torch.nn.ModuleList([torch.nn.GRUCell(embedding + K if l == 0 else H, H) for l in range(layers)])
        self.attention = torch.nn.Module()
        self.attention.query = torch.nn.Linear(H, H)
        self.attention.key = torch.nn.Linear(K, H, bias=False)
        self.attention.score = torch.nn.Linear(H, 1, bias=False)
        self.head = torch.nn.Linear(H + K, target_vocabulary)

    def forward(self, source, source_lengths, targets):
        S, B = source.shape
        packed = pack_padded_sequence(self.encoder.embedding(source), source_lengths, enforce_sorted=False)
        keys, final = self.encoder.rnn(packed)
        keys, _ = pad_packed_sequence(keys, total_length=S)                       # [S, B, K]
        final = final.view(self.layers, 2, B, self.hidden)
        states = [torch.tanh(self.bridge(torch.cat([final[l, 0], final[l, 1]], 1))) for l in range(self.layers)]
        projected = self.attention.key(keys)                                      # [S, B, A]
        padded = torch.arange(S)[:, None] >= source_lengths[None, :]               # [S, B]
        previous = torch.full((B,), 1, dtype=torch.long)                           # <s>
        logits = []
        for t in range(targets.shape[0]):
            ids = previous if t == 0 else targets[t - 1]
            scores = self.attention.score(torch.tanh(self.attention.query(states[-1])[None] + projected)).squeeze(2)
            weights = torch.softmax(scores.masked_fill(padded, float("-inf")), 0)  # [S, B]
            context = (weights[:, :, None] * keys).sum(0)                         # [B, K]
            x = torch.cat([self.decoder.embedding(ids), context], 1)
            for l, cell in enumerate(self.decoder.cells):
                states[l] = cell(x, states[l])
                x = states[l]
            logits.append(self.head(torch.cat([x, context], 1)))
        return torch.stack(logits)


def seq2seq_fixture():
    """A Bahdanau encoder-decoder (bidirectional 2-layer GRU encoder, 2-layer GRU decoder) on variable
    source and target lengths: logits [T, B, V], the masked cross-entropy and every gradient."""
    torch.manual_seed(43)
    S, T, B, Vs, Vt, E, H = 6, 5, 3, 8, 7, 4, 5
    model = Seq2Seq(Vs, Vt, E, H)
    source_lengths = torch.tensor([6, 2, 4])
    target_lengths = torch.tensor([5, 1, 3])
    source = torch.randint(1, Vs, (S, B)).masked_fill(torch.arange(S)[:, None] >= source_lengths[None, :], 0)
    padded = torch.arange(T)[:, None] >= target_lengths[None, :]
    targets = torch.randint(0, Vt, (T, B)).masked_fill(padded, 0)
    logits = model(source, source_lengths, targets)
    loss = F.cross_entropy(logits.reshape(-1, Vt), targets.masked_fill(padded, -100).reshape(-1), ignore_index=-100)
    loss.backward()
    tensors = {name: p for name, p in model.state_dict().items()}
    tensors.update({"logits": logits})
    tensors.update({"grad." + name: p.grad for name, p in model.named_parameters()})
    write("seq2seq_bahdanau_gru", {"source_vocabulary": Vs, "target_vocabulary": Vt, "embedding": E, "hidden_size": H, "layers": 2,
                                    "source_steps": S, "target_steps": T, "batch": B, "source": source.reshape(-1).tolist(),
                                    "source_lengths": source_lengths.tolist(), "targets": targets.reshape(-1).tolist(),
                                    "target_lengths": target_lengths.tolist(), "loss": loss.item()}, tensors)


def classifier_fixture():
    """A bidirectional 2-layer GRU classifier with mean pooling on variable lengths: logits, the
    cross-entropy and every parameter's gradient."""
    torch.manual_seed(40)
    T, B, I, H, C = 9, 5, 4, 6, 3
    model = SequenceClassifier(I, H, C)
    x = torch.randn(T, B, I)
    lengths = torch.tensor([9, 4, 1, 6, 2])
    targets = torch.tensor([0, 2, 1, 1, 0])
    logits = model(x, lengths)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    tensors = {name: p for name, p in model.state_dict().items()}
    tensors.update({"x": x, "logits": logits})
    tensors.update({"grad." + name: p.grad for name, p in model.named_parameters()})
    write("classifier_gru_mean", {"features": I, "hidden_size": H, "classes": C, "num_layers": 2,
                                  "bidirectional": True, "steps": T, "batch": B, "lengths": lengths.tolist(),
                                  "targets": targets.tolist(), "loss": loss.item()}, tensors)


class Forecaster(torch.nn.Module):
    """Recur's Forecaster as PyTorch modules (docs/checkpoint-format.md): rnn, decoder.cells (seq2seq
    only), head. `forward` is the teacher-forced pass on windows [N + H, B, T + K]: the predictions
    [R, Q] and the targets [R] they are scored against, in Recur's order."""

    def __init__(self, cell, inputs, targets, hidden, layers, strategy, context, horizon, quantiles):
        super().__init__()
        network = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        step = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[cell]
        self.cell, self.strategy, self.T, self.N, self.H, self.Q = cell, strategy, targets, context, horizon, max(1, len(quantiles))
        self.rnn = network(inputs, hidden, num_layers=layers)
        if strategy == "seq2seq":
            self.decoder = torch.nn.Module()
            self.decoder.cells = torch.nn.ModuleList([step(targets if l == 0 else hidden, hidden) for l in range(layers)])
        self.head = torch.nn.Linear(hidden, (horizon if strategy == "direct" else 1) * targets * self.Q)

    def forward(self, steps):
        N, H, T = self.N, self.H, self.T
        if self.strategy == "direct":
            out, _ = self.rnn(steps[:N])
            return self.head(out[-1]).reshape(-1, self.Q), steps[N:, :, :T].permute(1, 0, 2).reshape(-1)
        if self.strategy == "recursive":
            out, _ = self.rnn(steps[:N + H - 1])
            return self.head(out).reshape(-1, self.Q), steps[1:, :, :T].reshape(-1)
        _, final = self.rnn(steps[:N])
        h, c = final if self.cell == "lstm" else (final, None)
        states = [(h[l], c[l]) if c is not None else h[l] for l in range(len(self.decoder.cells))]
        tops = []
        for k in range(H):
            x = steps[N - 1 + k, :, :T]
            for l, cell in enumerate(self.decoder.cells):
                states[l] = cell(x, states[l])
                x = states[l][0] if self.cell == "lstm" else states[l]
            tops.append(x)
        return self.head(torch.stack(tops)).reshape(-1, self.Q), steps[N:, :, :T].reshape(-1)


def forecast_loss(prediction, target, loss, quantiles):
    if loss == "mse":
        return F.mse_loss(prediction[:, 0], target)
    if loss == "mae":
        return F.l1_loss(prediction[:, 0], target)
    q = torch.tensor(quantiles)
    e = target[:, None] - prediction
    return torch.maximum(q * e, (q - 1) * e).mean()


def forecaster_fixture(name, cell, strategy, loss, quantiles, features):
    """A 2-layer forecaster on windows of 6 + 3 steps of 2 targets (and `features` features), batch 4:
    the teacher-forced predictions, the loss and every gradient."""
    torch.manual_seed({"direct": 50, "recursive": 51, "seq2seq": 52}[strategy])
    N, H, T, B, hidden = 6, 3, 2, 4, 5
    model = Forecaster(cell, T + features, T, hidden, 2, strategy, N, H, quantiles)
    steps = torch.randn(N + H, B, T + features)
    prediction, target = model(steps)
    value = forecast_loss(prediction, target, loss, quantiles)
    value.backward()
    tensors = {name: p for name, p in model.state_dict().items()}
    tensors.update({"steps": steps, "prediction": prediction})
    tensors.update({"grad." + n: p.grad for n, p in model.named_parameters()})
    write(name, {"cell": cell, "strategy": strategy, "loss_kind": loss, "quantiles": ",".join(str(q) for q in quantiles), "targets": T, "features": features,
                 "context": N, "horizon": H, "hidden_size": hidden, "layers": 2, "batch": B, "loss": value.item()}, tensors)


def forecaster_fixtures():
    forecaster_fixture("forecaster_direct_lstm_pinball", "lstm", "direct", "pinball", [0.1, 0.5, 0.9], 1)
    forecaster_fixture("forecaster_recursive_rnn_mae", "rnn", "recursive", "mae", [], 0)
    forecaster_fixture("forecaster_seq2seq_gru_mse", "gru", "seq2seq", "mse", [], 1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for cell in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        for masked in [False, True]:
            recurrent_fixture(cell, masked)
        recurrent_fixture(cell, True, short=True)
    loss_fixture()
    weighted_loss_fixture()
    optimizer_fixture()
    classifier_fixture()
    tagger_fixture()
    generator_fixtures()
    seq2seq_fixture()
    forecaster_fixtures()
    for cell in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        cell_fixture(cell)

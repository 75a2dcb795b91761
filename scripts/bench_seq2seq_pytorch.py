#!/usr/bin/env python3
"""The PyTorch twin of `recur bench --only seq2seq-gru`: the encoder-decoder of scripts/compare_seq2seq.py
(one-layer GRU encoder and decoder, Bahdanau attention) on random tokens (vocabularies of 64, every
source and target of full length), Adam at 2e-3, clipping at 5, teacher forcing: a full training step
timed for --seconds after two warm-up steps, then greedy and beam-5 decoding of a batch of sources for
half that each, the end symbol's output bias set very low so that every decoding runs its full length.
Prints one JSON line with the keys of `recur bench --json`.

Usage: python3 scripts/bench_seq2seq_pytorch.py [--seconds S] [--threads N]
"""
import argparse
import json
import os
import resource
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_seq2seq import BEGIN, END, Seq2Seq  # noqa: E402
from comparison import per_second  # noqa: E402

V, HIDDEN, EMBEDDING, BATCH, SOURCE, TARGET, BEAM = 64, 256, 64, 64, 30, 30, 5


def beam_search(model, source, lengths, beam, limit):
    """Batched beam search (B sources x K beams), summed log-probabilities, no early stop. Each source
    is encoded once and its encoding repeated for its K beams (as Recur does, and fairseq)."""
    B = source.shape[1]
    keys, projected, padded, state = model.encode(source, lengths)
    keys, projected, padded = (t.repeat_interleave(beam, 1) for t in (keys, projected, padded))
    state = state.repeat_interleave(beam, 0)
    scores = torch.full((B, beam), float("-inf"))
    scores[:, 0] = 0
    ids = torch.full((B * beam,), BEGIN, dtype=torch.long)
    history = torch.zeros(B * beam, 0, dtype=torch.long)
    for _ in range(limit):
        logits, state = model.step(ids, state, keys, projected, padded)
        total = (scores.view(-1, 1) + F.log_softmax(logits, 1)).view(B, beam * V)
        scores, best = total.topk(beam, 1)
        parents = (best // V + torch.arange(B)[:, None] * beam).view(-1)
        ids = (best % V).view(-1)
        state = state[parents]
        history = torch.cat([history[parents], ids[:, None]], 1)
    return history.view(B, beam, -1)[:, 0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--bf16", action="store_true", help="forward passes and losses under torch.autocast to bfloat16")
    args = parser.parse_args()
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Seq2Seq(V, V, EMBEDDING, HIDDEN, bidirectional=False, attention=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    pairs = 4 * BATCH
    sources = torch.randint(1, V, (SOURCE, pairs))
    targets = torch.randint(3, V, (TARGET, pairs))
    targets[-1] = END
    lengths = torch.full((BATCH,), SOURCE, dtype=torch.long)

    def step(k):
        rows = slice((k % 4) * BATCH, (k % 4 + 1) * BATCH)
        with autocast():
            logits = model(sources[:, rows], lengths, targets[:, rows])
            loss = F.cross_entropy(logits.reshape(-1, V), targets[:, rows].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5)
        optimizer.step()

    for k in range(2):
        step(k)
    train = per_second(step, args.seconds) * BATCH * TARGET

    model.eval()
    with torch.no_grad(), autocast():
        model.head.bias[END] = -1e4

        def rate(decode):
            decode()
            return per_second(lambda _: decode(), args.seconds / 2) * BATCH

        source = sources[:, :BATCH]
        greedy = rate(lambda: model.greedy(source, lengths, TARGET))
        beam = rate(lambda: beam_search(model, source, lengths, BEAM, TARGET))
    print(json.dumps({"name": "seq2seq-gru", "cell": "gru", "hidden": HIDDEN, "embedding": EMBEDDING, "attention": "bahdanau",
                      "batch": BATCH, "source_length": SOURCE, "target_length": TARGET,
                      "params": sum(p.numel() for p in model.parameters()),
                      "train_tokens_per_s": round(train), "greedy_sentences_per_s": round(greedy), "beam5_sentences_per_s": round(beam),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "threads": torch.get_num_threads(),
                      "precision": "bf16" if args.bf16 else "fp32"},
                     sort_keys=True))


if __name__ == "__main__":
    main()

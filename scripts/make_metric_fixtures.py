#!/usr/bin/env python3
"""Writes Tests/RecurTests/Fixtures/translation_metrics.json: corpus BLEU and chrF computed by
sacreBLEU (its defaults: BLEU-4 on the 13a tokenization with exp smoothing; chrF with character
orders 1-6 and beta 2) on small corpora chosen to exercise the tokenizer (punctuation, digits next to
periods, commas and dashes, HTML entities, non-ASCII text), the brevity penalty, the smoothing of
orders without matches, empty hypotheses, and perfect and hopeless systems. Recur's
TranslationMetrics must reproduce every value.

Run by hand (CI never does): /tmp/torch-venv/bin/pip install sacrebleu
    /tmp/torch-venv/bin/python scripts/make_metric_fixtures.py
"""
import json
import os

import sacrebleu

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurTests", "Fixtures", "translation_metrics.json")

CORPORA = {
    "translation": (["The cat sat on the mat.", "It is 3.14, or -2 degrees; isn't it?", "Hello &amp; goodbye (again)!"],
                    ["The cat sat on a mat.", "It is 3.14, or - 2 degrees ; is it not?", "Hello & goodbye, again!"]),
    "dates": (["2003-10-20", "1999-01-05", "2020-02-30", "2041-12-01"], ["2003-10-20", "1999-01-15", "2020-03-01", "2041-12-01"]),
    "perfect": (["a b c d e", "x y z w"], ["a b c d e", "x y z w"]),
    "short": (["the", "a cat"], ["the cat is here", "a cat sat down there"]),
    "nothing": (["zzz", "qqq"], ["a b c", "d e f"]),
    "empty": (["", "one two three four"], ["something here", "one two three five"]),
    "unicode": (["Le chat était là, à 5 h.", "Grüße aus Köln — tschüß!"], ["Le chat était ici, à 5h.", "Grüße aus Köln, tschüss!"]),
    "numbers": (["12,5 km/h - 7-8 items", "v1.2.3 (beta) [x] {y} @z"], ["12,5 km / h - 7 - 8 items", "v1.2.3 (beta) [x] {y} @ z"]),
}


def main():
    out = {}
    for name, (hypotheses, references) in CORPORA.items():
        out[name] = {"hypotheses": hypotheses, "references": references,
                     "bleu": sacrebleu.corpus_bleu(hypotheses, [references]).score,
                     "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score,
                     "tokenized": [sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a()(h.rstrip()) for h in hypotheses + references]}
    out["sacrebleu_version"] = sacrebleu.__version__
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print("wrote", os.path.relpath(OUT))


if __name__ == "__main__":
    main()

"""Fixed harness for the gpu-train example: data, time budget and evaluation. FROZEN.

autoexp hashes this file before and after every run; the agent may change train.py only.
The text is generated here (no download): a small synthetic language with a grammar, so that
a model can learn it and val_bpb measures how well.
"""
import math
import os
import random

import torch

TINY = os.environ.get("AUTOEXP_TINY") == "1"  # CPU smoke test: seconds, not minutes
TIME_BUDGET = 2.0 if TINY else float(os.environ.get("AUTOEXP_TIME_BUDGET", "300"))
EVAL_BATCHES = 4 if TINY else 40
EVAL_BLOCK = 64
CHARS = " .abcdefghijklmnoprstu"  # 22 symbols
VOCAB_SIZE = len(CHARS)
STOI = {c: i for i, c in enumerate(CHARS)}


def _language(seed: int, n_chars: int) -> str:
    rng = random.Random(seed)
    letters = CHARS[2:]
    def word(k):
        return "".join(rng.choice(letters) for _ in range(k))
    nouns = [word(rng.randint(3, 6)) for _ in range(60)]
    verbs = [word(rng.randint(3, 5)) for _ in range(30)]
    adjs = [word(rng.randint(2, 5)) for _ in range(25)]
    # Each noun prefers a few verbs and adjectives: structure a model can learn.
    likes = {n: (rng.sample(verbs, 3), rng.sample(adjs, 2)) for n in nouns}
    weights = [1 / (i + 1) for i in range(len(nouns))]  # Zipf
    out = []
    size = 0
    while size < n_chars:
        n1, n2 = rng.choices(nouns, weights)[0], rng.choices(nouns, weights)[0]
        v, a = rng.choice(likes[n1][0]), rng.choice(likes[n2][1])
        s = f"{n1} {v} {a} {n2}. "
        out.append(s)
        size += len(s)
    return "".join(out)[:n_chars]


_TEXT = {"train": _language(1, 400_000 if TINY else 4_000_000), "val": _language(2, 60_000)}
_DATA = {k: torch.tensor([STOI[c] for c in v], dtype=torch.long) for k, v in _TEXT.items()}


def get_batch(split: str, batch_size: int, block_size: int, device: str):
    data = _DATA[split]
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[i : i + block_size] for i in ix])
    y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])
    return x.to(device), y.to(device)


@torch.no_grad()
def evaluate_bpb(model, device: str) -> float:
    """Bits per byte (one symbol is one byte) on fixed validation windows: lower is better."""
    model.eval()
    data = _DATA["val"]
    g = torch.Generator().manual_seed(1234)
    total, count = 0.0, 0
    for _ in range(EVAL_BATCHES):
        ix = torch.randint(len(data) - EVAL_BLOCK - 1, (16,), generator=g)
        x = torch.stack([data[i : i + EVAL_BLOCK] for i in ix]).to(device)
        y = torch.stack([data[i + 1 : i + EVAL_BLOCK + 1] for i in ix]).to(device)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
        total += loss.item()
        count += y.numel()
    model.train()
    return total / count / math.log(2)

"""Fixed harness for the gpu-train example: data, time budget and evaluation. FROZEN.

autoexp hashes this file before and after every run; the agent may change train.py only.

Run `python prepare.py` once: it generates the text (no download) into a cache directory,
~/.cache/autoexp-gpu-train (or $AUTOEXP_GPU_TRAIN_CACHE). train.py only reads it, so the eval
can see it read-only (autoexp.yml declares it under isolation.read_only).

The text is a synthetic language with structure at several ranges: a lexicon of invented words
with Zipf frequencies, subject-verb agreement across relative clauses, verbs and adjectives
that depend on the noun, and a topic per document that shifts which nouns appear. Training and
validation text are two independent samples of the SAME language (held-out documents), so
val_bpb measures how well the model learned it. Readable reference points, in bits per symbol:
uniform guessing scores log2(VOCAB_SIZE); letter frequencies alone score `unigram_bpb`; the
generator's own entropy on the validation text (`entropy_bpb`) is about the best possible.
"""
import json
import math
import os
import shutil
import sys
import time
from bisect import bisect
from random import Random

import torch

TINY = os.environ.get("AUTOEXP_TINY") == "1"  # CPU smoke test: seconds, not minutes
TIME_BUDGET = float(os.environ.get("AUTOEXP_TIME_BUDGET", "5" if TINY else "300"))  # training seconds
SEQ_LEN = 128 if TINY else 512  # context length, for training and evaluation
EVAL_TOKENS = 2**14 if TINY else 2**21  # validation symbols scored by evaluate_bpb
TRAIN_CHARS = 1_000_000 if TINY else 100_000_000

CHARS = "\n .,abcdefghijklmnopqrstuvwxyz"  # "\n" ends a document
VOCAB_SIZE = len(CHARS)  # 30
UNIFORM_BPB = math.log2(VOCAB_SIZE)  # uniform guessing: a model must score well below this
LANGUAGE_SEED = 1  # one language: its lexicon and grammar
STREAM_SEEDS = {"train": 1001, "val": 2002}  # two independent samples of it: held-out documents
DATA_VERSION = 3
CACHE_DIR = os.path.join(
    os.environ.get("AUTOEXP_GPU_TRAIN_CACHE") or os.path.expanduser("~/.cache/autoexp-gpu-train"),
    "tiny" if TINY else "full",
)


# ---------------------------------------------------------------------------------------------
# The language. Only Random.random() is used, so the text is the same on every Python version.


def _cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _draw(rng, cum):
    """An index drawn with the weights whose running sums are `cum`."""
    return min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)


def _sample(rng, items, k):
    pool = list(items)
    for i in range(k):
        j = i + int(rng.random() * (len(pool) - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


class Language:
    """A lexicon and a grammar drawn from `seed`; `document()` samples text and its information."""

    N_TOPICS = 100
    DETS = (("the", "a", "one"), ("the", "some", "many"))  # singular, plural
    PREPS = ("in", "on", "near", "with", "under")

    def __init__(self, seed):
        rng = Random(seed)
        onsets, vowels, codas = "bcdfghjklmnprtvwz", "aeiou", ("", "", "", "n", "r", "l", "m")
        taken = set(self.DETS[0] + self.DETS[1] + self.PREPS + ("that",))

        def words(n):
            out = []
            while len(out) < n:
                w = "".join(
                    onsets[int(rng.random() * 17)] + vowels[int(rng.random() * 5)] + codas[int(rng.random() * 7)]
                    for _ in range(1 + int(rng.random() * 3))
                )
                if w not in taken and w + "s" not in taken:
                    taken.update((w, w + "s"))
                    out.append(w)
            return out

        self.nouns, self.verbs, self.adjs = words(5000), words(1500), words(1000)
        zipf = [1 / (r + 1) for r in range(300)]
        self.topics = []
        for _ in range(self.N_TOPICS):  # each topic: 300 nouns in its own Zipf order, 100 adjectives
            nouns = _sample(rng, range(len(self.nouns)), 300)
            adjs = _sample(rng, range(len(self.adjs)), 100)
            prob = {n: z / sum(zipf) for n, z in zip(nouns, zipf)}
            self.topics.append((nouns, _cumulative(zipf), prob, adjs, set(adjs)))
        # Each noun likes 4 verbs and 3 adjectives; each verb likes one preposition.
        self.noun_verbs = [_sample(rng, range(len(self.verbs)), 4) for _ in self.nouns]
        self.noun_adjs = [_sample(rng, range(len(self.adjs)), 3) for _ in self.nouns]
        self.verb_prep = [int(rng.random() * len(self.PREPS)) for _ in self.verbs]
        self.verb_cum, self.verb_w = _cumulative([0.4, 0.3, 0.2, 0.1]), (0.4, 0.3, 0.2, 0.1)
        self.adj_cum, self.adj_w = _cumulative([0.5, 0.3, 0.2]), (0.5, 0.3, 0.2)

    def _noun_phrase(self, rng, topic, plural, out):
        """Appends a noun phrase; returns (noun, bits)."""
        nouns, cum, prob, adjs, adj_set = topic
        noun = nouns[_draw(rng, cum)]
        bits = -math.log2(prob[noun]) + math.log2(3)  # noun, then one of 3 determiners
        out.append(self.DETS[plural][int(rng.random() * 3)])
        if rng.random() < 0.4:  # an adjective: mostly one the noun likes, else one of the topic's
            if rng.random() < 0.7:
                adj = self.noun_adjs[noun][_draw(rng, self.adj_cum)]
            else:
                adj = adjs[int(rng.random() * len(adjs))]
            liked = self.noun_adjs[noun]
            p = 0.7 * (self.adj_w[liked.index(adj)] if adj in liked else 0) + 0.3 * (adj in adj_set) / len(adjs)
            bits += -math.log2(0.4 * p)
            out.append(self.adjs[adj])
        else:
            bits += -math.log2(0.6)
        out.append(self.nouns[noun] + ("s" if plural else ""))
        return noun, bits

    def _verb(self, rng, noun, plural, out):
        """Appends a verb the subject likes (90%) or any verb, agreeing in number; returns (verb, bits)."""
        liked = self.noun_verbs[noun]
        verb = liked[_draw(rng, self.verb_cum)] if rng.random() < 0.9 else int(rng.random() * len(self.verbs))
        p = 0.9 * (self.verb_w[liked.index(verb)] if verb in liked else 0) + 0.1 / len(self.verbs)
        out.append(self.verbs[verb] + ("" if plural else "s"))
        return verb, -math.log2(p)

    def sentence(self, rng, topic, out):
        plural = int(rng.random() * 2)
        subject, bits = self._noun_phrase(rng, topic, plural, out)
        bits += 1  # the subject's number
        if rng.random() < 0.3:  # ", that <verb> <object>," agreeing with the subject
            out[-1] += ","
            out.append("that")
            bits += self._verb(rng, subject, plural, out)[1]
            bits += 1 + self._noun_phrase(rng, topic, int(rng.random() * 2), out)[1]
            out[-1] += ","
            bits += -math.log2(0.3)
        else:
            bits += -math.log2(0.7)
        verb, b = self._verb(rng, subject, plural, out)
        bits += b + 1 + self._noun_phrase(rng, topic, int(rng.random() * 2), out)[1]
        if rng.random() < 0.4:  # a prepositional phrase, mostly with the verb's preposition
            prep = self.verb_prep[verb] if rng.random() < 0.8 else int(rng.random() * 5)
            p = 0.8 * (prep == self.verb_prep[verb]) + 0.2 / 5
            out.append(self.PREPS[prep])
            bits += -math.log2(0.4 * p) + 1 + self._noun_phrase(rng, topic, int(rng.random() * 2), out)[1]
        else:
            bits += -math.log2(0.6)
        out[-1] += "."
        return bits

    def document(self, rng):
        """One document (4 to 16 sentences on one topic, ending in "\\n") and its information in bits."""
        topic = self.topics[int(rng.random() * self.N_TOPICS)]
        n = 4 + int(rng.random() * 13)
        bits = math.log2(self.N_TOPICS) + math.log2(13)
        sentences = []
        for _ in range(n):
            words = []
            bits += self.sentence(rng, topic, words)
            sentences.append(" ".join(words))
        return " ".join(sentences) + "\n", bits

    def text(self, stream_seed, n_chars):
        """At least n_chars of whole documents from an independent stream, and bits per symbol."""
        rng = Random(stream_seed)
        parts, size, bits = [], 0, 0.0
        while size < n_chars:
            doc, b = self.document(rng)
            parts.append(doc)
            size += len(doc)
            bits += b
        return "".join(parts), bits / size


# ---------------------------------------------------------------------------------------------
# The cache: generated once by `python prepare.py`, read by train.py.


def _encode(text):
    table = bytes.maketrans(CHARS.encode(), bytes(range(VOCAB_SIZE)))
    return text.encode("ascii").translate(table)


def decode(symbols):
    """Text from symbol ids (a uint8 tensor, bytes or a list)."""
    data = bytes(symbols.tolist()) if isinstance(symbols, torch.Tensor) else bytes(symbols)
    return data.translate(bytes.maketrans(bytes(range(VOCAB_SIZE)), CHARS.encode())).decode("ascii")


def _meta_path(directory=CACHE_DIR):
    return os.path.join(directory, "meta.json")


def read_meta():
    """The cache's description, or None when it is missing or was made by another prepare.py."""
    try:
        with open(_meta_path()) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    if meta.get("version") != DATA_VERSION or meta.get("train_chars") != TRAIN_CHARS:
        return None
    return meta


def prepare():
    """Generates the data into CACHE_DIR unless it is already there; returns its description."""
    meta = read_meta()
    if meta is not None:
        print(f"Data ready in {CACHE_DIR}")
        return meta
    t0 = time.time()
    language = Language(LANGUAGE_SEED)
    train, _ = language.text(STREAM_SEEDS["train"], TRAIN_CHARS)
    val, entropy = language.text(STREAM_SEEDS["val"], EVAL_TOKENS + 1)
    train, val = train[:TRAIN_CHARS], val[: EVAL_TOKENS + 1]
    counts = [train.count(c) for c in CHARS]
    unigram = -sum(n / len(train) * math.log2(n / len(train)) for n in counts if n)
    meta = {
        "version": DATA_VERSION,
        "chars": CHARS,
        "vocab_size": VOCAB_SIZE,
        "train_chars": len(train),
        "val_chars": len(val),
        "uniform_bpb": round(UNIFORM_BPB, 4),
        "unigram_bpb": round(unigram, 4),
        "entropy_bpb": round(entropy, 4),
        "generation_seconds": round(time.time() - t0, 1),
    }
    tmp = f"{CACHE_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, text in (("train", train), ("val", val)):
        with open(os.path.join(tmp, f"{name}.bin"), "wb") as f:
            f.write(_encode(text))
    with open(_meta_path(tmp), "w") as f:
        json.dump(meta, f, indent=2)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)  # an older version's data
    os.replace(tmp, CACHE_DIR)
    print(f"Data written to {CACHE_DIR} in {meta['generation_seconds']}s")
    return meta


def load_split(split, device):
    """The split's symbols as a uint8 tensor on `device`; exits with one line when not prepared."""
    meta = read_meta()
    path = os.path.join(CACHE_DIR, f"{split}.bin")
    if meta is None or not os.path.exists(path):
        sys.exit(f"gpu-train: no data in {CACHE_DIR}: run python prepare.py first")
    with open(path, "rb") as f:
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    return data.to(device)


def make_train_loader(batch_size, device, seed=0):
    """Returns next_batch() -> (x, y): random windows of SEQ_LEN symbols of the training text."""
    data = load_split("train", device)
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    offsets = torch.arange(SEQ_LEN + 1, device=device)

    def next_batch():
        starts = torch.randint(len(data) - SEQ_LEN - 1, (batch_size, 1), device=device, generator=generator)
        chunk = data[starts + offsets].long()
        return chunk[:, :-1], chunk[:, 1:]

    return next_batch


@torch.no_grad()
def evaluate_bpb(model, batch_size, device):
    """Bits per symbol (one symbol is one byte) on the first EVAL_TOKENS validation symbols, scored
    in windows of SEQ_LEN. `model(x)` takes (B, T) symbol ids and returns (B, T, VOCAB_SIZE) logits.
    Lower is better: uniform guessing scores UNIFORM_BPB."""
    data = load_split("val", device)
    windows = EVAL_TOKENS // SEQ_LEN
    offsets = torch.arange(SEQ_LEN + 1, device=device)
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    for first in range(0, windows, batch_size):
        starts = torch.arange(first, min(first + batch_size, windows), device=device)[:, None] * SEQ_LEN
        chunk = data[starts + offsets].long()
        logits = model(chunk[:, :-1]).float()
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), chunk[:, 1:].reshape(-1), reduction="sum"
        )
        total += loss.double()
    model.train(was_training)
    return total.item() / (windows * SEQ_LEN) / math.log(2)


if __name__ == "__main__":
    meta = prepare()
    print(f"Vocab size: {VOCAB_SIZE}")
    print(f"Train: {meta['train_chars']:,} symbols, validation: {meta['val_chars']:,} (held-out documents)")
    print(f"Uniform guessing: {meta['uniform_bpb']} bpb; letter frequencies alone: {meta['unigram_bpb']} bpb;")
    print(f"the generator's entropy on the validation text: {meta['entropy_bpb']} bpb (about the best possible)")

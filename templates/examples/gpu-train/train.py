"""The gpu-train example's target: a tiny character-level transformer trained for a fixed time.

The agent may change anything in this file. prepare.py (data, time budget, evaluation) is frozen.
Prints a summary block that autoexp reads: val_bpb (lower is better) and peak_vram_mb (a guard).
"""
import math
import time

import torch
import torch.nn as nn

from prepare import TIME_BUDGET, VOCAB_SIZE, evaluate_bpb, get_batch

LEARNING_RATE = 0.003
BATCH_SIZE = 32
BLOCK_SIZE = 64
N_LAYER = 2
N_EMBD = 64
N_HEAD = 4
DROPOUT = 0.0
WEIGHT_DECAY = 0.01
WARMUP_STEPS = 20
SEED = 0


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB_SIZE, N_EMBD)
        self.pos = nn.Embedding(BLOCK_SIZE, N_EMBD)
        layer = nn.TransformerEncoderLayer(
            N_EMBD, N_HEAD, 4 * N_EMBD, DROPOUT, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, N_LAYER)
        self.norm = nn.LayerNorm(N_EMBD)
        self.head = nn.Linear(N_EMBD, VOCAB_SIZE)

    def forward(self, x):
        t = x.size(1)
        h = self.tok(x) + self.pos(torch.arange(t, device=x.device))
        mask = torch.triu(torch.full((t, t), float("-inf"), device=x.device), diagonal=1)
        return self.head(self.norm(self.blocks(h, mask=mask)))


def main():
    torch.manual_seed(SEED)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = Model().to(device)
    params = sum(p.numel() for p in model.parameters())
    print(f"Vocab size: {VOCAB_SIZE}")
    print(f"Params: {params / 1e6:.2f}M")
    print(f"Time budget: {TIME_BUDGET:.1f}s")
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    start = time.time()
    step = 0
    while True:
        elapsed = time.time() - start
        if elapsed >= TIME_BUDGET:
            break
        warm = min(1.0, (step + 1) / WARMUP_STEPS)
        decay = 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / TIME_BUDGET)))
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE * warm * (0.1 + 0.9 * decay)
        x, y = get_batch("train", BATCH_SIZE, BLOCK_SIZE, device)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB_SIZE), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 10 == 0:
            left = max(0, TIME_BUDGET - (time.time() - start))
            print(f"step {step:05d} ({100 * elapsed / TIME_BUDGET:.1f}%) | loss: {loss.item():.6f} | remaining: {left:.0f}s    ", end="\r", flush=True)
    seconds = time.time() - start
    val_bpb = evaluate_bpb(model, device)
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    print("\n---")
    print(f"val_bpb:          {val_bpb:.6f}")
    print(f"training_seconds: {seconds:.1f}")
    print(f"peak_vram_mb:     {peak:.1f}")
    print(f"num_steps:        {step}")


if __name__ == "__main__":
    main()

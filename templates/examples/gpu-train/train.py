"""The gpu-train example's target: a small GPT on characters, trained for a fixed time on one GPU.

The agent may change anything in this file. prepare.py (data, time budget, evaluation) is frozen.
Run `python prepare.py` once first. Prints a summary block that autoexp reads, in karpathy's
format: val_bpb (lower is better; uniform guessing scores log2 of the vocabulary) and
peak_vram_mb (a guard). AUTOEXP_TINY=1 runs the same code, scaled down, on a CPU in seconds.
"""
import contextlib
import inspect
import math
import time

t_start = time.time()

import torch
import torch.nn as nn
import torch.nn.functional as F

from prepare import SEQ_LEN, TIME_BUDGET, TINY, UNIFORM_BPB, VOCAB_SIZE, evaluate_bpb, make_train_loader, read_meta

# Hyperparameters: the ones worth tuning (each `NAME = number` line is one the search agent moves).
DEPTH = 8  # transformer blocks
ASPECT_RATIO = 64  # model width = DEPTH * ASPECT_RATIO, rounded up to a multiple of HEAD_DIM
HEAD_DIM = 64
BATCH_SIZE = 128  # sequences of SEQ_LEN symbols per step (65,536 symbols at SEQ_LEN 512)
LEARNING_RATE = 0.002  # peak AdamW learning rate of the block matrices
EMBEDDING_LR = 0.01  # embedding and output head
WEIGHT_DECAY = 0.1  # on the block matrices only
WARMUP_RATIO = 0.02  # share of the time budget spent warming the learning rate up
WARMDOWN_RATIO = 0.4  # share of the time budget at the end spent decaying it to zero
COMPILE = False  # torch.compile the model (PyTorch 2); compile time is not counted as training
SEED = 0

if TINY:  # the same model, scaled down for a CPU smoke run of a few seconds
    DEPTH, ASPECT_RATIO, HEAD_DIM, BATCH_SIZE = max(1, DEPTH // 8), ASPECT_RATIO // 2, HEAD_DIM // 2, BATCH_SIZE // 8

MODEL_DIM = math.ceil(DEPTH * ASPECT_RATIO / HEAD_DIM) * HEAD_DIM
N_HEAD = MODEL_DIM // HEAD_DIM
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")  # fused attention, PyTorch 2


def rms_norm(x):
    return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6).to(x.dtype)


def rotary(seq_len, head_dim, device):
    freqs = 1.0 / (10000 ** (torch.arange(0, head_dim, 2, device=device).float() / head_dim))
    angles = torch.outer(torch.arange(seq_len, device=device).float(), freqs)
    return angles.cos()[None, None], angles.sin()[None, None]  # (1, 1, T, head_dim / 2)


def apply_rotary(x, cos, sin):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(MODEL_DIM, 3 * MODEL_DIM, bias=False)
        self.proj = nn.Linear(MODEL_DIM, MODEL_DIM, bias=False)
        self.fc = nn.Linear(MODEL_DIM, 4 * MODEL_DIM, bias=False)
        self.out = nn.Linear(4 * MODEL_DIM, MODEL_DIM, bias=False)

    def attention(self, x, cos, sin):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, N_HEAD, HEAD_DIM).permute(2, 0, 3, 1, 4)
        q, k = (apply_rotary(rms_norm(z), cos, sin).type_as(v) for z in (q, k))  # QK norm, then rotary
        if HAS_SDPA:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.x: the same attention, unfused
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(HEAD_DIM)
            causal = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            y = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, MODEL_DIM))

    def forward(self, x, cos, sin):
        x = x + self.attention(rms_norm(x), cos, sin)
        return x + self.out(F.relu(self.fc(rms_norm(x))).square())  # ReLU^2 MLP


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, MODEL_DIM)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.head = nn.Linear(MODEL_DIM, VOCAB_SIZE, bias=False)
        cos, sin = rotary(SEQ_LEN, HEAD_DIM, self.head.weight.device)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        nn.init.normal_(self.embed.weight, std=1.0)
        nn.init.normal_(self.head.weight, std=0.001)
        for block in self.blocks:
            bound = math.sqrt(3 / MODEL_DIM)
            nn.init.uniform_(block.qkv.weight, -bound, bound)
            nn.init.uniform_(block.fc.weight, -bound, bound)
            nn.init.zeros_(block.proj.weight)  # each block starts as the identity
            nn.init.zeros_(block.out.weight)

    def forward(self, idx):
        t = idx.size(1)
        cos, sin = self.cos[:, :, :t], self.sin[:, :, :t]
        x = rms_norm(self.embed(idx))
        for block in self.blocks:
            x = block(x, cos, sin)
        logits = self.head(rms_norm(x)).float()
        return 15 * torch.tanh(logits / 15)  # soft cap on the logits


def lr_multiplier(progress):
    if progress < WARMUP_RATIO:
        return progress / WARMUP_RATIO
    return min(1.0, (1 - progress) / max(WARMDOWN_RATIO, 1e-9))


def peak_flops(device):
    """Dense bf16 peak of the GPU, for MFU; None where unknown."""
    if device != "cuda":
        return None
    name = torch.cuda.get_device_name()
    for key, flops in (("H100", 989.5e12), ("H200", 989.5e12), ("A100", 312e12), ("L40S", 362e12), ("4090", 165e12)):
        if key in name:
            return flops
    return None


def main():
    torch.manual_seed(SEED)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else contextlib.nullcontext()
    model = GPT().to(device)
    num_params = sum(p.numel() for p in model.parameters())
    matrices = [p for p in model.blocks.parameters()]
    others = [model.embed.weight, model.head.weight]
    fused = {"fused": True} if device == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters else {}
    optimizer = torch.optim.AdamW(
        [
            {"params": matrices, "lr": LEARNING_RATE, "weight_decay": WEIGHT_DECAY},
            {"params": others, "lr": EMBEDDING_LR, "weight_decay": 0.0},
        ],
        betas=(0.9, 0.95),
        eps=1e-8,
        **fused,
    )
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    step_model = torch.compile(model) if COMPILE and hasattr(torch, "compile") else model
    next_batch = make_train_loader(BATCH_SIZE, device, seed=SEED)
    # Per symbol: 6 FLOPs per matrix weight (forward and backward) plus attention's 12 * L * T * d.
    flops_per_token = 6 * (num_params - model.embed.weight.numel()) + 12 * DEPTH * SEQ_LEN * MODEL_DIM
    tokens_per_step = BATCH_SIZE * SEQ_LEN

    print(f"Vocab size: {VOCAB_SIZE:,}")
    print(f"Device: {torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}; PyTorch {torch.__version__}")
    print(f"Model: depth {DEPTH}, width {MODEL_DIM}, {N_HEAD} heads, {num_params:,} parameters")
    print(f"Batch: {BATCH_SIZE} x {SEQ_LEN} symbols; time budget {TIME_BUDGET:.0f}s of training")
    meta = read_meta() or {}
    print(f"Uniform guessing scores {UNIFORM_BPB:.3f} bpb; the generator's entropy is {meta.get('entropy_bpb')} bpb")

    x, y = next_batch()
    step, training_time, excluded = 0, 0.0, 3  # the first steps (compilation, warm-up) are not timed
    while True:
        t0 = time.time()
        progress = min(training_time / TIME_BUDGET, 1.0)
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] * lr_multiplier(progress)
        with autocast:
            logits = step_model(x)
        loss = F.cross_entropy(logits.view(-1, VOCAB_SIZE), y.reshape(-1))
        loss.backward()
        x, y = next_batch()  # queued while the GPU works
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()
        step += 1
        if step > excluded:
            training_time += time.time() - t0
        if step % 20 == 0:
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise SystemExit(f"gpu-train: the loss is {loss_value} at step {step}")
            left = max(0.0, TIME_BUDGET - training_time)
            print(f"step {step:05d} ({100 * progress:.1f}%) | loss: {loss_value:.6f} | remaining: {left:.0f}s    ", end="\r", flush=True)
        if step > excluded and training_time >= TIME_BUDGET:
            break

    t_eval = time.time()
    with autocast:
        val_bpb = evaluate_bpb(step_model, BATCH_SIZE, device)
    eval_seconds = time.time() - t_eval
    timed_steps = step - excluded
    tokens_per_sec = timed_steps * tokens_per_step / training_time
    peak = peak_flops(device)
    peak_vram_mb = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    print("\n---")
    print(f"val_bpb:          {val_bpb:.6f}")
    print(f"training_seconds: {training_time:.1f}")
    print(f"total_seconds:    {time.time() - t_start:.1f}")
    print(f"eval_seconds:     {eval_seconds:.1f}")
    print(f"peak_vram_mb:     {peak_vram_mb:.1f}")
    if peak is not None:
        print(f"mfu_percent:      {100 * tokens_per_sec * flops_per_token / peak:.2f}")
    print(f"tokens_per_sec:   {tokens_per_sec:.0f}")
    print(f"total_tokens_M:   {step * tokens_per_step / 1e6:.1f}")
    print(f"num_steps:        {step}")
    print(f"num_params_M:     {num_params / 1e6:.1f}")
    print(f"depth:            {DEPTH}")


if __name__ == "__main__":
    main()

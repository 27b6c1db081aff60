// What a newcomer writes when `autoexp init` names a file to create, per program: small, fast,
// offline, and with numbers the search agent can tune. Used by the init tests.
/** Targets a newcomer writes when init names them: small, fast, with numbers to tune. */
export const STAND_INS = {
  "ml-training": {
    "train.py": `# A stand-in for a training script: fits y = 3x + 1 by gradient descent.
LEARNING_RATE = 0.01
STEPS = 200

xs = [i / 50 for i in range(100)]
ys = [3 * x + 1 for x in xs]
w, b = 0.0, 0.0
for _ in range(STEPS):
    gw = sum(2 * (w * x + b - y) * x for x, y in zip(xs, ys)) / len(xs)
    gb = sum(2 * (w * x + b - y) for x, y in zip(xs, ys)) / len(xs)
    w, b = w - LEARNING_RATE * gw, b - LEARNING_RATE * gb
loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
print("---")
print(f"val_bpb:          {loss:.6f}")
print(f"peak_vram_mb:     {1024.0:.1f}")
`,
  },
  performance: {
    "solution.py": `# Counts pairs i < j with numbers[i] + numbers[j] == target, CHUNK numbers at a time.
CHUNK = 16


def solve(numbers, target):
    count = 0
    for i, a in enumerate(numbers):
        rest = numbers[i + 1 :]
        for start in range(0, len(rest), CHUNK):
            count += rest[start : start + CHUNK].count(target - a)
    return count
`,
  },
  "prompt-optimisation": {
    "agent.py": `# A stand-in agent: keyword scores instead of a model call, so it runs offline.
PROMPT = "Classify the support ticket as billing, bug, feature or account."
BILLING_WEIGHT = 1.0
BUG_WEIGHT = 0.5
FEATURE_WEIGHT = 1.0
ACCOUNT_WEIGHT = 1.0
KEYWORDS = {
    "billing": ["charg", "refund", "invoice", "card", "billed", "receipt", "price"],
    "bug": ["crash", "error", "fails", "empty", "nothing", "wrong", "zero", "twice"],
    "feature": ["add", "support", "would", "could you", "great", "love"],
    "account": ["password", "account", "email", "delete", "colleague", "locked", "owner"],
}


def answer(text):
    weights = {"billing": BILLING_WEIGHT, "bug": BUG_WEIGHT, "feature": FEATURE_WEIGHT, "account": ACCOUNT_WEIGHT}
    text = text.lower()
    scores = {label: weights[label] * sum(word in text for word in words) for label, words in KEYWORDS.items()}
    return max(scores, key=scores.get)
`,
  },
} as const;

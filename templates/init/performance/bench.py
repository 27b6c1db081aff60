"""autoexp's fixed benchmark. Frozen: the agent cannot edit it.

It times solve() from solution.py on fixed inputs (the best of REPEATS runs, so one slow run
from a busy machine does not count) and checks every answer against reference(). It prints
  time_ms: <milliseconds for all inputs>
  correct: 1        (0 when any answer differs: autoexp's guard then refuses the change)
To benchmark your own code, change make_inputs(), reference() and the call in main(); keep the
two printed lines.
"""

import random
import sys
import time
from collections import Counter

REPEATS = 5


def make_inputs():
    rng = random.Random(1234)
    return [([rng.randint(0, 4000) for _ in range(1500)], rng.randint(2000, 6000)) for _ in range(8)]


def reference(numbers, target):
    """The answer solve() must give: how many pairs i < j have numbers[i] + numbers[j] == target."""
    seen = Counter()
    pairs = 0
    for n in numbers:
        pairs += seen[target - n]
        seen[n] += 1
    return pairs


def main():
    from solution import solve

    inputs = make_inputs()
    expected = [reference(numbers, target) for numbers, target in inputs]
    best = float("inf")
    correct = 1
    for _ in range(REPEATS):
        start = time.perf_counter()
        answers = [solve(list(numbers), target) for numbers, target in inputs]
        best = min(best, time.perf_counter() - start)
        if answers != expected:
            wrong = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
            print(f"wrong answer for input {wrong}: got {answers[wrong]}, expected {expected[wrong]}", file=sys.stderr)
            correct = 0
    print(f"time_ms: {best * 1000:.3f}")
    print(f"correct: {correct}")


if __name__ == "__main__":
    main()

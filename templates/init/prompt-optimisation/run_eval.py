"""autoexp's fixed evaluation. Frozen: the agent cannot edit it, nor the data it reads.

It asks agent.answer() every question in data/eval.jsonl (one JSON object a line:
{"id": ..., "input": ..., "expected": ...}), compares each answer with the expected one
(case and surrounding spaces ignored) and prints
  accuracy: <share answered correctly, 0 to 1>
then the first cases it got wrong, so that the next experiment can read them in the log tail.
"""

import json
import sys
from pathlib import Path

SHOW_FAILURES = 5


def normalise(text):
    return " ".join(str(text).strip().lower().split())


def main():
    from agent import answer

    items = [json.loads(line) for line in Path("data/eval.jsonl").read_text().splitlines() if line.strip()]
    failures = []
    for item in items:
        try:
            got = answer(item["input"])
        except Exception as error:  # a crash on one item is a wrong answer, not a crashed eval
            got = f"<error: {type(error).__name__}: {error}>"
        if normalise(got) != normalise(item["expected"]):
            failures.append((item, got))
    print(f"accuracy: {(len(items) - len(failures)) / len(items):.4f}")
    print(f"wrong: {len(failures)} of {len(items)}")
    for item, got in failures[:SHOW_FAILURES]:
        print(f"  #{item['id']}: expected {item['expected']!r}, got {str(got)[:80]!r}: {item['input'][:100]}", file=sys.stderr)


if __name__ == "__main__":
    main()

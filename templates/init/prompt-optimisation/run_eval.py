"""autoexp's fixed evaluation. Frozen: the agent cannot edit it, nor the data it reads.

It asks agent.answer() every question in data/eval.jsonl (one JSON object a line:
{"id": ..., "input": ..., "expected": ...}), compares each answer with the expected one
(case and surrounding spaces ignored) and prints
  accuracy: <share answered correctly, 0 to 1>
  wrong: <wrong answers> of <items>
  errors: <items where answer() raised> of <items>
then the first errors and wrong answers, so that the next experiment can read them in the log
tail. An item where answer() raises counts against accuracy, but is reported apart from a wrong
answer; when every item raised (a missing key, a server that is down) nothing was measured, so
it prints no accuracy and exits 1: autoexp records a crash, not a score of 0.

data/eval.jsonl as init wrote it is a SAMPLE (a support-ticket classifier): replace it with
your own cases, and agent.py with your own agent.
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
    errors = []
    for item in items:
        try:
            got = answer(item["input"])
        except Exception as error:  # one item's crash counts against accuracy, reported apart
            errors.append((item, f"{type(error).__name__}: {error}"))
            continue
        if normalise(got) != normalise(item["expected"]):
            failures.append((item, got))
    for item, why in errors[:SHOW_FAILURES]:
        print(f"  #{item['id']}: ERROR {why[:200]}", file=sys.stderr)
    if items and len(errors) == len(items):
        print(f"every one of the {len(items)} items raised an error (the first above): nothing was measured", file=sys.stderr)
        sys.exit(1)
    print(f"accuracy: {(len(items) - len(failures) - len(errors)) / len(items):.4f}")
    print(f"wrong: {len(failures)} of {len(items)}")
    print(f"errors: {len(errors)} of {len(items)}")
    for item, got in failures[:SHOW_FAILURES]:
        print(f"  #{item['id']}: expected {item['expected']!r}, got {str(got)[:80]!r}: {item['input'][:100]}", file=sys.stderr)

if __name__ == "__main__":
    main()

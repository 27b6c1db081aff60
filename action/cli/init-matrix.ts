import { AutoexpError } from "../util/errors.ts";

/** The most shards `init --shards` writes: one runner each. */
export const MAX_SHARDS = 16;

/**
 * The workflow for K self-hosted GPU runners: the experiment job becomes a matrix of K shards,
 * each running its own line of the tag (`shard: i/K`) and handing off under its own artifact
 * name; the one publish job downloads every shard's handoff and publishes the lines together
 * (the best first; the others' keeps queued for a re-check). GitHub Actions is the distributed
 * engine: no cluster of our own. Pure: a rewrite of the single-runner workflow's lines.
 */
export function matrixWorkflow(single: string, shards: number): string {
  if (!Number.isInteger(shards) || shards < 2 || shards > MAX_SHARDS) {
    throw new AutoexpError(
      `--shards must be a whole number from 2 to ${MAX_SHARDS} (one GPU runner each), not ${shards}`,
    );
  }
  const list = Array.from({ length: shards }, (_, i) => i + 1).join(", ");
  const edits: [string, string][] = [
    [
      "    runs-on: [self-hosted, gpu]\n    timeout-minutes: 360\n",
      `    runs-on: [self-hosted, gpu]\n    timeout-minutes: 360\n    # ${shards} shards on ${shards} GPU runners, each its own line of the tag; one failing leaves the rest.\n    strategy:\n      fail-fast: false\n      matrix:\n        shard: [${list}]\n`,
    ],
    [
      "          experiments: ${{ inputs.experiments }}\n",
      `          experiments: \${{ inputs.experiments }}\n          shard: \${{ matrix.shard }}/${shards}\n`,
    ],
    [
      "          name: autoexp-handoff\n          path:",
      "          name: autoexp-handoff-${{ matrix.shard }}\n          path:",
    ],
    [
      "        with:\n          name: autoexp-handoff\n          path: ${{ runner.temp }}/autoexp-handoff\n      - name: Publish",
      "        with:\n          pattern: autoexp-handoff-* # one folder per shard\n          path: ${{ runner.temp }}/autoexp-handoff\n      - name: Publish",
    ],
  ];
  let text = single;
  for (const [from, to] of edits) {
    if (!text.includes(from))
      throw new Error(`init: the workflow template lacks ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}

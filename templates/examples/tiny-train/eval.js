// The fixed evaluation (frozen: autoexp refuses any candidate that changes it).
// Generates the same "two moons" data every time, trains train.js on it, and prints the
// held-out cross-entropy as `val_loss: <number>` (lower is better).

const { train, hyperparameters } = require("./train.js");

// A fixed compute budget, like autoresearch's fixed time budget but deterministic: bigger models
// must pay with fewer epochs. Over budget is a crash, the way an out-of-memory run is.
const BUDGET = 3000;

function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function moons(n, seed) {
  const rand = random(seed);
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = rand() * Math.PI;
    const x = label ? 1 - Math.cos(t) : Math.cos(t);
    const y = label ? 0.5 - Math.sin(t) : Math.sin(t);
    xs.push([x + (rand() - 0.5) * 0.5, y + (rand() - 0.5) * 0.5]);
    ys.push(label);
  }
  return { xs, ys };
}

const cost = hyperparameters.EPOCHS * hyperparameters.HIDDEN_UNITS;
if (!(cost <= BUDGET)) {
  console.error(`over the compute budget: EPOCHS * HIDDEN_UNITS = ${cost} > ${BUDGET}`);
  process.exit(1);
}

const started = Date.now();
const trainSet = moons(800, 1);
const valSet = moons(400, 2);
const predict = train(trainSet.xs, trainSet.ys);
let loss = 0;
let correct = 0;
for (let i = 0; i < valSet.xs.length; i++) {
  const p = Math.min(1 - 1e-7, Math.max(1e-7, predict(valSet.xs[i])));
  const y = valSet.ys[i];
  loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  if ((p > 0.5 ? 1 : 0) === y) correct++;
}
console.log("---");
console.log(`val_loss:       ${(loss / valSet.xs.length).toFixed(6)}`);
console.log(`val_accuracy:   ${(correct / valSet.xs.length).toFixed(4)}`);
console.log(`train_seconds:  ${((Date.now() - started) / 1000).toFixed(2)}`);

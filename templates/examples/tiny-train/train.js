// A tiny neural network (one hidden tanh layer) trained with SGD + momentum.
// The agent may change anything in this file; eval.js is fixed and scores it.

const LEARNING_RATE = 0.02;
const MOMENTUM = 0.5;
const HIDDEN_UNITS = 4;
const EPOCHS = 20;
const BATCH_SIZE = 64;
const INIT_SCALE = 0.5;
const WEIGHT_DECAY = 0.01;
const SEED = 7;

function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Trains on points xs ([x, y] pairs) with labels ys (0 or 1); returns predict(point) -> P(label 1). */
function train(xs, ys) {
  const rand = random(SEED);
  const H = HIDDEN_UNITS;
  const w1 = Array.from({ length: H * 2 }, () => (rand() * 2 - 1) * INIT_SCALE);
  const b1 = new Array(H).fill(0);
  const w2 = Array.from({ length: H }, () => (rand() * 2 - 1) * INIT_SCALE);
  let b2 = 0;
  const v1 = new Array(H * 2).fill(0);
  const vb1 = new Array(H).fill(0);
  const v2 = new Array(H).fill(0);
  let vb2 = 0;
  const order = xs.map((_, i) => i);
  const h = new Array(H);
  const g1 = new Array(H * 2);
  const gb1 = new Array(H);
  const g2 = new Array(H);

  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += BATCH_SIZE) {
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      let gb2 = 0;
      const end = Math.min(order.length, start + BATCH_SIZE);
      for (let k = start; k < end; k++) {
        const [x0, x1] = xs[order[k]];
        let z = b2;
        for (let u = 0; u < H; u++) {
          h[u] = Math.tanh(w1[2 * u] * x0 + w1[2 * u + 1] * x1 + b1[u]);
          z += w2[u] * h[u];
        }
        const dz = 1 / (1 + Math.exp(-z)) - ys[order[k]];
        gb2 += dz;
        for (let u = 0; u < H; u++) {
          g2[u] += dz * h[u];
          const dh = dz * w2[u] * (1 - h[u] * h[u]);
          g1[2 * u] += dh * x0;
          g1[2 * u + 1] += dh * x1;
          gb1[u] += dh;
        }
      }
      const n = end - start;
      const step = (w, v, g, i) => {
        v[i] = MOMENTUM * v[i] - LEARNING_RATE * (g[i] / n + WEIGHT_DECAY * w[i]);
        w[i] += v[i];
      };
      for (let i = 0; i < H * 2; i++) step(w1, v1, g1, i);
      for (let u = 0; u < H; u++) {
        step(b1, vb1, gb1, u);
        step(w2, v2, g2, u);
      }
      vb2 = MOMENTUM * vb2 - LEARNING_RATE * (gb2 / n);
      b2 += vb2;
    }
  }

  return ([x0, x1]) => {
    let z = b2;
    for (let u = 0; u < H; u++) z += w2[u] * Math.tanh(w1[2 * u] * x0 + w1[2 * u + 1] * x1 + b1[u]);
    return 1 / (1 + Math.exp(-z));
  };
}

module.exports = { train, hyperparameters: { EPOCHS, HIDDEN_UNITS, BATCH_SIZE } };

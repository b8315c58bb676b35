// TensorFlow.js (pure JS CPU backend) runner of layerflow's bench: the same workloads and
// the same data files as the Python runners, same protocol (see bench/common.py):
//   node bench/peers/tfjs/runner.js --config CONFIG.json
// The pure-JS backend is slow, so the training workloads run on fewer samples (CAP;
// throughput is per sample, so rows stay comparable; the note says how many). Its conv2d is
// about 70 s per batch of 128 on 2 cores, so W2 runs only with run.py --slow-peers.
'use strict';

const fs = require('fs');
const path = require('path');

const benchDir = path.resolve(__dirname, '..', '..');
const tf = require(path.join(benchDir, 'tfjs', 'node_modules', '@tensorflow', 'tfjs'));

const SHAPES = {
  W1: {x: [784], classes: 10, batch: 128},
  W2: {x: [28, 28, 1], classes: 10, batch: 128},
  W3: {x: [50, 32], classes: 10, batch: 64},
};
const CAP = {full: {W1: 3000, W2: 128, W3: 128}, quick: {W1: 512, W2: 128, W3: 64}};

function framework() {
  return `tfjs ${tf.version.tfjs} ${tf.getBackend()}`;
}

function row(workload, unit, higherBetter, values, note = '') {
  return {workload, framework: framework(), unit, higher_better: higherBetter, values, note};
}

function load(config, name, n) {
  const meta = JSON.parse(fs.readFileSync(path.join(config.data_dir, 'meta.json')));
  const out = [];
  for (const suffix of ['x', 'y']) {
    const key = `${name}_${suffix}`;
    const shape = meta.arrays[key];
    const buf = fs.readFileSync(path.join(config.data_dir, key + '.bin'));
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    out.push(tf.tensor(all.slice(0, n * per), [n, ...shape.slice(1)], 'float32'));
  }
  return out;
}

function build(name) {
  const L = tf.layers;
  let stack;
  if (name === 'W1') {
    stack = [L.dense({units: 256, activation: 'relu', inputShape: [784]}),
      L.dense({units: 256, activation: 'relu'}), L.dense({units: 10, activation: 'softmax'})];
  } else if (name === 'W2') {
    stack = [L.conv2d({filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1]}),
      L.maxPooling2d({poolSize: 2}), L.conv2d({filters: 64, kernelSize: 3, activation: 'relu'}),
      L.maxPooling2d({poolSize: 2}), L.flatten(), L.dense({units: 128, activation: 'relu'}),
      L.dense({units: 10, activation: 'softmax'})];
  } else {
    stack = [L.lstm({units: 128, inputShape: [50, 32]}), L.dense({units: 10, activation: 'softmax'})];
  }
  const model = tf.sequential({layers: stack});
  model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
  return model;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (a) => { const s = [...a].sort((p, q) => p - q); const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function train(name, config) {
  if (name === 'W2' && !config.slow_peers) {
    return [row(name, '', true, [], 'skipped: pure-JS conv ~2 samples/s (--slow-peers)')];
  }
  const n = Math.min(config.sizes[name].samples, CAP[config.quick ? 'quick' : 'full'][name]);
  const batch = SHAPES[name].batch;
  const [x, y] = load(config, name, n);
  const model = build(name);
  const warm = Math.min(n, 2 * batch + (n % batch));
  await model.fit(x.slice(0, warm), y.slice(0, warm), {batchSize: batch, epochs: 1, verbose: 0});
  const values = [];
  for (let r = 0; r < config.sizes.repeats; r++) {
    const start = now();
    await model.fit(x, y, {batchSize: batch, epochs: 1, verbose: 0, shuffle: true});
    values.push(n / (now() - start));
  }
  return [row(name, 'samples/s', true, values, `${n} samples/epoch`)];
}

async function latency(fn, calls, repeats) {
  for (let i = 0; i < Math.min(calls, 20); i++) await fn();
  const out = [];
  for (let r = 0; r < repeats; r++) {
    const times = [];
    for (let i = 0; i < calls; i++) {
      const start = now();
      await fn();
      times.push(now() - start);
    }
    out.push(median(times) * 1e6);
  }
  return out;
}

async function predict(config) {
  const [x] = load(config, 'W1', 1024);
  const model = build('W1');
  const one = x.slice(0, 1);
  const calls = config.sizes.p1_calls;
  const reps = config.sizes.repeats;
  const run = (f) => () => { const t = f(); const d = t.dataSync(); t.dispose(); return d; };
  return [
    row('P1 predict b1', 'us', false, await latency(run(() => model.predict(one)), calls, reps)),
    row('P1 model(x) b1', 'us', false, await latency(run(() => model.apply(one)), calls, reps),
      'model.apply'),
    row('P1 predict b1024', 'us', false, await latency(
      run(() => model.predict(x, {batchSize: 1024})), Math.max(Math.floor(calls / 20), 5), reps)),
  ];
}

async function eager(config) {
  const a = tf.randomUniform([10, 10]); const b = tf.randomUniform([10, 10]);
  const c = tf.randomUniform([1024, 1024]); const d = tf.randomUniform([1024, 1024]);
  const block = (f, number) => {
    const t = f(); t.dataSync(); t.dispose();
    const out = [];
    for (let r = 0; r < config.sizes.repeats; r++) {
      const start = now();
      for (let i = 0; i < number; i++) { const u = f(); u.dataSync(); u.dispose(); }
      out.push((now() - start) / number * 1e6);
    }
    return out;
  };
  return [row('E1 add 10x10', 'us', false, block(() => tf.add(a, b), config.sizes.e1_small),
    'incl. dataSync'),
  row('E1 matmul 1024', 'us', false, block(() => tf.matMul(c, d), 1))];
}

async function loadModel(config) {
  const model = tf.sequential({layers: [
    tf.layers.dense({units: 2048, activation: 'relu', inputShape: [784]}),
    tf.layers.dense({units: 2048, activation: 'relu'}), tf.layers.dense({units: 10})]});
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}}; }));
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'lfbench-'));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(
    {modelTopology: artifacts.modelTopology, weightsManifest: [
      {paths: ['weights.bin'], weights: artifacts.weightSpecs}]}));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
  const values = [];
  for (let r = 0; r <= config.sizes.repeats; r++) {
    const start = now();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)}));
    values.push((now() - start) * 1e3);
    loaded.dispose();
  }
  fs.rmSync(dir, {recursive: true});
  return [row('L1 load 20MB', 'ms', false, values.slice(1), 'model.json files via fromMemory')];
}

async function memory(config) {
  const n = Math.min(config.sizes.mem_samples, CAP[config.quick ? 'quick' : 'full'].W1);
  const [x, y] = load(config, 'W1', n);
  await build('W1').fit(x, y, {batchSize: 128, epochs: 1, verbose: 0});
  return [row('MEM peak RSS W1', 'MiB', false, [peakRssMb()], `${n} samples`)];
}

// Peak resident memory in MiB: Linux's VmHWM where there is one (maxRSS keeps the peak of the
// process before exec, the Python bench's, as bench/common.py's peak_rss_mb explains).
function peakRssMb() {
  try {
    const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    if (line) return parseInt(line.split(/\s+/)[1], 10) / 1024;
  } catch (e) { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[process.argv.indexOf('--config') + 1]));
  await tf.setBackend('cpu');
  const table = {P1: predict, E1: eager, L1: loadModel, MEM: memory};
  const rows = [];
  for (const name of config.workloads) {
    try {
      rows.push(...await (table[name] ? table[name](config) : train(name, config)));
    } catch (error) {
      console.error(error);
      rows.push(row(name, '', true, [], `skipped: ${error.message}`));
    }
    fs.writeFileSync(config.out, JSON.stringify(rows));
  }
}

main();

// node model.js make DIR   -- a small TF.js model saved to DIR as tfjs-node does
//                             (model.json + weights.bin) plus DIR/predict.json {x, y}
// node model.js load DIR/model.json X.json OUT.json
//                          -- tf.loadLayersModel from a folder; writes weight names and predict(x)
'use strict';
const {tf, fs, path, tensorToJSON, tensorFromJSON, folderHandler, writeJSON} = require('./common');

async function make(dir) {
  const model = tf.sequential();
  model.add(tf.layers.dense({units: 5, inputShape: [3], activation: 'relu',
    kernelInitializer: tf.initializers.glorotUniform({seed: 1})}));
  model.add(tf.layers.dense({units: 2, kernelInitializer: tf.initializers.glorotUniform({seed: 2}),
    biasInitializer: tf.initializers.randomNormal({seed: 3})}));
  fs.mkdirSync(dir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (a) => {
    const json = {modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy,
      convertedBy: a.convertedBy, weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}]};
    writeJSON(path.join(dir, 'model.json'), json);
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData));
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
  }));
  const x = tf.tensor2d([[0.1, -0.2, 0.3], [1, 2, -3], [0.5, 0.5, 0.5], [-1, 0, 1]]);
  writeJSON(path.join(dir, 'predict.json'),
    {x: await tensorToJSON(x), y: await tensorToJSON(model.predict(x))});
}

async function load(jsonPath, xFile, outFile) {
  const model = await tf.loadLayersModel(folderHandler(jsonPath));
  const x = tensorFromJSON(JSON.parse(fs.readFileSync(xFile, 'utf8')));
  const weights = {};
  for (const w of model.weights) weights[w.originalName] = await tensorToJSON(w.read());
  writeJSON(outFile, {y: await tensorToJSON(model.predict(x)), weights});
}

const [cmd, ...args] = process.argv.slice(2);
(cmd === 'make' ? make(...args) : load(...args))
  .catch((e) => { console.error(e); process.exit(1); });

// node train_step.js IN_DIR/model.json X.json Y.json OUT_DIR
//   Load a layers model saved with its optimizer, train one batch (the whole of X, Y) with
//   TF.js's fit, and save it again with its optimizer to OUT_DIR (model.json + weights.bin).
'use strict';
const {tf, fs, path, tensorFromJSON, folderHandler, writeJSON} = require('./common');

async function main(jsonPath, xFile, yFile, outDir) {
  const model = await tf.loadLayersModel(folderHandler(jsonPath));
  const x = tensorFromJSON(JSON.parse(fs.readFileSync(xFile, 'utf8'))[0]);
  const y = tensorFromJSON(JSON.parse(fs.readFileSync(yFile, 'utf8'))[0]);
  await model.fit(x, y, {batchSize: x.shape[0], epochs: 1, shuffle: false, verbose: 0});
  fs.mkdirSync(outDir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeJSON(path.join(outDir, 'model.json'), {
      modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy,
      convertedBy: a.convertedBy, trainingConfig: a.trainingConfig,
      weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}]});
    fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.from(a.weightData));
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
  }), {includeOptimizer: true});
}

main(...process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });

// node predict_model.js DIR/model.json X.json OUT.json
//   tf.loadLayersModel from a folder (layerflow's files), predict on the inputs in X.json
//   (a list of tensors, one per model input), write {y} to OUT.json.
'use strict';
const {tf, fs, tensorToJSON, tensorFromJSON, folderHandler, writeJSON} = require('./common');

async function main(jsonPath, xFile, outFile) {
  const model = await tf.loadLayersModel(folderHandler(jsonPath));
  const xs = JSON.parse(fs.readFileSync(xFile, 'utf8')).map(tensorFromJSON);
  const y = model.predict(xs.length === 1 ? xs[0] : xs);
  writeJSON(outFile, {y: await tensorToJSON(Array.isArray(y) ? y[0] : y)});
}

main(...process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });

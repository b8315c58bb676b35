// node decode_weights.js SPECS.json DATA.bin OUT.json
// tf.io.decodeWeights on layerflow-encoded weights; writes each tensor's values (see common.js).
'use strict';
const {tf, fs, tensorToJSON, toArrayBuffer, writeJSON} = require('./common');

async function main([specsFile, dataFile, outFile]) {
  const specs = JSON.parse(fs.readFileSync(specsFile, 'utf8'));
  const tensors = tf.io.decodeWeights(toArrayBuffer(fs.readFileSync(dataFile)), specs);
  const out = {};
  for (const name of Object.keys(tensors)) out[name] = await tensorToJSON(tensors[name]);
  writeJSON(outFile, out);
}

main(process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });

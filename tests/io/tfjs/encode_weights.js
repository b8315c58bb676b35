// node encode_weights.js IN.json OUT_SPECS.json OUT.bin
// IN.json: [{name, dtype, shape, b64 | strings}]; tf.io.encodeWeights writes specs and bytes.
'use strict';
const {tf, fs, tensorFromJSON, writeJSON} = require('./common');

async function main([inFile, specsFile, dataFile]) {
  const entries = JSON.parse(fs.readFileSync(inFile, 'utf8'));
  const named = entries.map((e) => ({name: e.name, tensor: tensorFromJSON(e)}));
  const {data, specs} = await tf.io.encodeWeights(named);
  writeJSON(specsFile, specs);
  fs.writeFileSync(dataFile, Buffer.from(data));
}

main(process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });

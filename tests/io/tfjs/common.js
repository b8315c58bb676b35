// Shared helpers for the layerflow <-> TensorFlow.js interop scripts (pure @tensorflow/tfjs, CPU).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// Raw little-endian bytes of a tensor's values, base64 (exact; NaN and Inf survive).
async function tensorToJSON(t) {
  const out = {dtype: t.dtype, shape: t.shape};
  if (t.dtype === 'string') {
    out.strings = (await t.bytes()).map((b) => Buffer.from(b).toString('base64'));
  } else if (t.dtype === 'complex64') {
    const re = await tf.real(t).data();
    const im = await tf.imag(t).data();
    const both = new Float32Array(re.length * 2);
    for (let i = 0; i < re.length; i++) {
      both[2 * i] = re[i];
      both[2 * i + 1] = im[i];
    }
    out.b64 = Buffer.from(both.buffer).toString('base64');
  } else {
    const v = await t.data();
    const arr = t.dtype === 'bool' ? Uint8Array.from(v) : v;
    out.b64 = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).toString('base64');
  }
  return out;
}

function tensorFromJSON(e) {
  if (e.dtype === 'string') {
    const vals = e.strings.map((s) => new Uint8Array(Buffer.from(s, 'base64')));
    return tf.tensor(vals, e.shape, 'string');
  }
  const buf = Buffer.from(e.b64, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  if (e.dtype === 'complex64') {
    const both = new Float32Array(ab);
    const re = both.filter((_, i) => i % 2 === 0);
    const im = both.filter((_, i) => i % 2 === 1);
    return tf.complex(tf.tensor(re, e.shape), tf.tensor(im, e.shape));
  }
  const ctor = {float32: Float32Array, int32: Int32Array, bool: Uint8Array}[e.dtype];
  return tf.tensor(new ctor(ab), e.shape, e.dtype);
}

function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

// A load handler reading a model.json folder from disk, as tfjs-node's file:// handler does
// (pure @tensorflow/tfjs has none): shards of each group concatenated in `paths` order.
function folderHandler(jsonPath) {
  const dir = path.dirname(jsonPath);
  return {
    load: async () => {
      const modelJSON = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = [];
        const buffers = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
        }
        return [specs, toArrayBuffer(Buffer.concat(buffers))];
      });
    },
  };
}

function writeJSON(file, obj) {
  fs.writeFileSync(file, JSON.stringify(obj));
}

module.exports = {tf, fs, path, tensorToJSON, tensorFromJSON, toArrayBuffer, folderHandler,
  writeJSON};

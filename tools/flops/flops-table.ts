/**
 * `npm run flops` (tsx tools/flops/flops-table.ts): prints the FLOP table of flop-rows.ts;
 * `npm run flops -- --json` prints the rows as a JSON array instead. Runs on the cpu backend
 * and builds the networks with zero weights, so it takes about a second.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { flopRows } from './flop-rows';
import { formatTable } from './flops-table-format';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  const rows = flopRows();
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${formatTable(rows)}\n\nGFLOPs = 1e9 multiply-adds of convolutions and linear layers; ` +
      `"+elementwise" adds one op per element of activations, bias/BN, residual sums, SE gates ` +
      `and pooling reads. Clip: X3D with temporal padding over T frames (MoViNet: T causal ` +
      `steps); step: the continual network per frame. See tools/flops/README.md.\n`,
  );
}

await main();

import { parentPort, workerData } from 'node:worker_threads';
import { checkFile, schemaFor } from './load';
import type { WorkerFile } from './parallel';

/**
 * The worker thread of `checkFilesInParallel`: parses and schema-checks its share of the files and sends the results
 * back as one JSON text (the values are plain YAML data; JSON crosses threads several times faster than a structured
 * clone of the same objects).
 */
if (parentPort && workerData) {
  const files = (workerData as { files: WorkerFile[] }).files;
  const out = files.map((f) => {
    const schema = schemaFor(f.rel);
    const r = schema ? checkFile(f.file, f.text, schema) : { value: null, findings: [] };
    return { rel: f.rel, value: r.value, findings: r.findings };
  });
  parentPort.postMessage(JSON.stringify(out));
}

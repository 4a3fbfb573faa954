// tufjs-refresh.js METADATA_URL DIR ROOTFILE — the peer of update.bench.sh's refresh row: the tuf-js
// Updater trusts ROOTFILE (copied into the empty cache DIR) and refreshes root, timestamp,
// snapshot and targets from METADATA_URL. Exit 1 on any error.
'use strict';
const { Updater } = require('tuf-js');
const fs = require('fs');
const path = require('path');

const [metadataBaseUrl, dir, rootFile] = process.argv.slice(2);
(async () => {
	fs.mkdirSync(path.join(dir, 'targets'), { recursive: true });
	fs.copyFileSync(rootFile, path.join(dir, 'root.json'));
	const u = new Updater({ metadataBaseUrl, targetBaseUrl: metadataBaseUrl, metadataDir: dir, targetDir: path.join(dir, 'targets') });
	await u.refresh();
})().catch((e) => { console.error(`tuf-js: ${e.constructor.name}: ${e.message}`); process.exit(1); });

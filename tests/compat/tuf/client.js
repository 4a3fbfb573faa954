// client.js METADATA_URL TARGETS_URL CACHEDIR ROOTFILE TARGET OUTFILE — the tuf-js Updater: trust
// ROOTFILE, refresh, fetch TARGET into OUTFILE. Prints the target's custom fields; exit 1 on any error.
'use strict';
const { Updater } = require('tuf-js');
const fs = require('fs');
const path = require('path');

const [metadataBaseUrl, targetBaseUrl, dir, rootFile, target, outFile] = process.argv.slice(2);
(async () => {
	fs.mkdirSync(path.join(dir, 'targets'), { recursive: true });
	fs.copyFileSync(rootFile, path.join(dir, 'root.json'));
	const u = new Updater({ metadataBaseUrl, targetBaseUrl, metadataDir: dir, targetDir: path.join(dir, 'targets') });
	await u.refresh();
	const info = await u.getTargetInfo(target);
	if (!info)
		throw new Error(`no target ${target}`);
	const p = await u.downloadTarget(info, outFile);
	console.log(JSON.stringify(info.custom), fs.readFileSync(p).length);
})().catch((e) => { console.error(`tuf-js: ${e.constructor.name}: ${e.message}`); process.exit(1); });

// make-repo.js OUTDIR TARGETFILE — a TUF repository made with @tufjs/models (the peer's own model
// classes): consistent snapshots, an EC P-256 root key rotated once (2.root.json signed by the old
// and the new key), RSA-PSS targets key, one target with custom fields. Keys are made fresh.
'use strict';
const { Metadata, Root, Timestamp, Snapshot, Targets, Key, MetaFile, TargetFile, Signature } = require('@tufjs/models');
const { canonicalize } = require('@tufjs/canonical-json');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [out, targetPath] = process.argv.slice(2);
const expires = new Date(Date.now() + 86400 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function makeKey(ec) {
	const { privateKey, publicKey } = ec
		? crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
		: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	const obj = { keytype: ec ? 'ecdsa' : 'rsa', scheme: ec ? 'ecdsa-sha2-nistp256' : 'rsassa-pss-sha256',
		keyval: { public: publicKey.export({ type: 'spki', format: 'pem' }) } };
	const keyID = sha256(canonicalize(obj));
	const key = new Key({ keyID, keyType: obj.keytype, scheme: obj.scheme, keyVal: obj.keyval });
	const signer = (bytes) => new Signature({ keyID, sig: crypto.sign('sha256', bytes, ec ? privateKey
		: { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('hex') });
	return { key, signer };
}

const root1 = makeKey(true), root2 = makeKey(true), ts = makeKey(true), snap = makeKey(true), tgt = makeKey(false);
fs.mkdirSync(path.join(out, 'metadata'), { recursive: true });
fs.mkdirSync(path.join(out, 'targets'), { recursive: true });
const write = (name, md) => fs.writeFileSync(path.join(out, 'metadata', name), JSON.stringify(md.toJSON(), null, 1));

const makeRoot = (version, rootKey) => {
	const r = new Root({ version, expires, consistentSnapshot: true });
	[[rootKey, 'root'], [ts, 'timestamp'], [snap, 'snapshot'], [tgt, 'targets']].forEach(([k, role]) => r.addKey(k.key, role));
	return r;
};
const rootMd = new Metadata(makeRoot(1, root1));
rootMd.sign(root1.signer);
write('1.root.json', rootMd);

// root 2: the root key rotated, signed by the old and the new key
const r2Md = new Metadata(makeRoot(2, root2));
r2Md.sign(root1.signer);
r2Md.sign(root2.signer);
write('2.root.json', r2Md);

const data = fs.readFileSync(targetPath);
const name = path.basename(targetPath);
const tf = new TargetFile({ length: data.length, path: name, hashes: { sha256: sha256(data) },
	unrecognizedFields: { custom: { version: '2026.1', made_by: 'tufjs' } } });
fs.writeFileSync(path.join(out, 'targets', `${sha256(data)}.${name}`), data);
const targets = new Targets({ expires, version: 1 });
targets.addTarget(tf);
const tMd = new Metadata(targets);
tMd.sign(tgt.signer);
write('1.targets.json', tMd);
const tBytes = fs.readFileSync(path.join(out, 'metadata', '1.targets.json'));

const snapshot = new Snapshot({ expires, version: 1, meta: { 'targets.json': new MetaFile({ version: 1, length: tBytes.length, hashes: { sha256: sha256(tBytes) } }) } });
const sMd = new Metadata(snapshot);
sMd.sign(snap.signer);
write('1.snapshot.json', sMd);
const sBytes = fs.readFileSync(path.join(out, 'metadata', '1.snapshot.json'));

const timestamp = new Timestamp({ expires, version: 1, snapshotMeta: new MetaFile({ version: 1, length: sBytes.length, hashes: { sha256: sha256(sBytes) } }) });
const tsMd = new Metadata(timestamp);
tsMd.sign(ts.signer);
write('timestamp.json', tsMd);

/**
 * SQLCipher's settings side by side, for the vault's budgets (search and a chart opened for the
 * first time at most 1.25 times the plaintext figure). Measurement only: the product's settings
 * stay in src-main/vault/sqlcipher.ts.
 *
 *   bash scripts/with-keyring.sh npx tsx tests/bench/cipher-settings.ts [--patients N] [--seed N]
 *     [--rounds N] [--samples N] [--loads N] [--only name,name]
 *
 * 1. The raw cost of a page's crypto in Node (OpenSSL, with and without SHA-NI).
 * 2. Each setting checked on a small file: the values read back, and the file itself (page size,
 *    reserve, which HMAC tags its pages, recomputed here with node:crypto); each file opened with
 *    every other setting; and the three ways of asking that are silently ignored.
 * 3. The synthetic clinic of tests/bench/main.ts loaded into a cache per setting, each load in a
 *    fresh process through the product's import path (bulkStoreResources), --loads times.
 * 4. Rounds over fresh connections (the OS file cache warm for every file, as on a workstation):
 *    search and a chart opened for the first time exactly as main.ts measures them, the same with
 *    SQLite's page cache dropped before each operation (every page read is decrypted), a large chart
 *    (large-chart.ts: 500 observations, 50 notes), and scans of 2000 consecutive resources with the
 *    page cache dropped, for the cost of a page read (extra µs per 4 KiB over plaintext). Each round
 *    first reads every cache file whole, so that the OS file cache holds them all (fincore, when
 *    there is one, reports how much of each was still cached after the round).
 *    Each figure is the median of the round's samples; a ratio is taken per round against the
 *    plaintext cache (4096-byte pages) and reported as the median over rounds [min-max].
 *
 * How SQLite3 Multiple Ciphers (the cipher layer of better-sqlite3-multiple-ciphers) takes them:
 * its own pragma names, not SQLCipher's (PRAGMA cipher_hmac_algorithm / cipher_page_size are
 * unknown pragmas, and SQLite ignores an unknown pragma without an error), set after
 * `legacy=4` (which resets legacy_page_size, kdf_iter, hmac_use, kdf_algorithm and hmac_algorithm
 * to SQLCipher v4's) and before the key (the codec takes them when keyed; set later they change
 * nothing on that file):
 *   PRAGMA cipher='sqlcipher'; PRAGMA legacy=4; PRAGMA hmac_algorithm=1;  -- 0 SHA1, 1 SHA256, 2 SHA512
 *   PRAGMA legacy_page_size=8192; PRAGMA key="x'<64 hex digits>'";
 * sqlite3mc computes SQLCipher's HMACs with its own portable C SHA-1/SHA-2 (sha2.c: no SHA-NI,
 * whatever the CPU) and AES with AES-NI: OpenSSL's figures in part 1 are not what a page costs there.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type BetterSqlite3 from 'better-sqlite3';
import { generatePatientRecord, generateResources } from '../../dev/synthetic/clinic.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import {
  bulkStoreResources,
  readPatientRecord,
  searchPatients,
  storeResources,
} from '../../src-main/records/repository.ts';
import { runMigrations } from '../../src-main/vault/migrations.ts';
import { applyConnectionSettings, openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { parseFhirResource } from '../../src-shared/fhir/index.ts';
import { largeChart } from './large-chart.ts';
import { median, time } from './stats.ts';

const Driver = createRequire(import.meta.url)('better-sqlite3-multiple-ciphers') as typeof BetterSqlite3;

type Hmac = 'sha1' | 'sha256' | 'sha512';
interface Setting {
  name: string;
  label: string;
  /** product: opened by src-main/vault/sqlcipher.ts openDatabase, exactly as the app does. */
  kind: 'plain' | 'product' | 'sqlcipher' | 'other';
  /** Before the key (for plaintext: before the first write). */
  pragmas: readonly string[];
  /** What a SQLCipher file written with this setting must be. */
  format?: { hmac: Hmac | null; pageSize: number };
}

const V4 = [`cipher='sqlcipher'`, 'legacy=4'];
const SETTINGS: readonly Setting[] = [
  { name: 'plain', label: 'plaintext, 4096 (the reference)', kind: 'plain', pragmas: [] },
  { name: 'plain-16k', label: 'plaintext, 16384', kind: 'plain', pragmas: ['page_size = 16384'] },
  {
    name: 'v4',
    label: 'SQLCipher v4 default: HMAC-SHA512, 4096 (the product)',
    kind: 'product',
    pragmas: V4,
    format: { hmac: 'sha512', pageSize: 4096 },
  },
  {
    name: 'sha256-4k',
    label: 'HMAC-SHA256, 4096',
    kind: 'sqlcipher',
    pragmas: [...V4, 'hmac_algorithm = 1'],
    format: { hmac: 'sha256', pageSize: 4096 },
  },
  {
    name: 'sha512-8k',
    label: 'HMAC-SHA512, 8192',
    kind: 'sqlcipher',
    pragmas: [...V4, 'legacy_page_size = 8192'],
    format: { hmac: 'sha512', pageSize: 8192 },
  },
  {
    name: 'sha256-8k',
    label: 'HMAC-SHA256, 8192',
    kind: 'sqlcipher',
    pragmas: [...V4, 'hmac_algorithm = 1', 'legacy_page_size = 8192'],
    format: { hmac: 'sha256', pageSize: 8192 },
  },
  {
    name: 'sha512-16k',
    label: 'HMAC-SHA512, 16384',
    kind: 'sqlcipher',
    pragmas: [...V4, 'legacy_page_size = 16384'],
    format: { hmac: 'sha512', pageSize: 16384 },
  },
  {
    name: 'sha256-16k',
    label: 'HMAC-SHA256, 16384',
    kind: 'sqlcipher',
    pragmas: [...V4, 'hmac_algorithm = 1', 'legacy_page_size = 16384'],
    format: { hmac: 'sha256', pageSize: 16384 },
  },
  {
    name: 'sha1-4k',
    label: "HMAC-SHA1, 4096 (SQLCipher 3's MAC)",
    kind: 'sqlcipher',
    pragmas: [...V4, 'hmac_algorithm = 0'],
    format: { hmac: 'sha1', pageSize: 4096 },
  },
  {
    name: 'nohmac-4k',
    label: 'no HMAC, 4096 (INSECURE: AES alone, reference)',
    kind: 'sqlcipher',
    pragmas: [...V4, 'hmac_use = 0'],
    format: { hmac: null, pageSize: 4096 },
  },
  { name: 'aegis', label: 'sqlite3mc AEGIS-256, 4096 (not SQLCipher)', kind: 'other', pragmas: [`cipher='aegis'`] },
  {
    name: 'chacha20',
    label: 'sqlite3mc ChaCha20-Poly1305, 4096 (not SQLCipher)',
    kind: 'other',
    pragmas: [`cipher='chacha20'`],
  },
];

function openWith(setting: Setting, file: string, key: string): Database {
  if (setting.kind === 'product') return openDatabase(file, key);
  if (setting.kind === 'plain' && setting.pragmas.length === 0) return openDatabase(file, null);
  const db = new Driver(file, { fileMustExist: false });
  try {
    for (const pragma of setting.pragmas) db.pragma(pragma);
    if (setting.kind !== 'plain') db.pragma(`key="x'${key}'"`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    samples: { type: 'string', default: '500' },
    loads: { type: 'string', default: '3' },
    only: { type: 'string' },
    'load-child': { type: 'string' },
    'crypto-child': { type: 'boolean', default: false },
    target: { type: 'string' },
  },
});
const patients = Number(values.patients);
const seed = Number(values.seed);
const rounds = Number(values.rounds);
const samples = Number(values.samples);
const loads = Number(values.loads);
const LARGE = { charts: 20, size: { observations: 500, notes: 50 } };
const progress = (text: string) => process.stderr.write(`cipher-settings: ${text}\n`);

// -----------------------------------------------------------------------------------------------
// Raw crypto in Node: what one page costs in OpenSSL (µs per page, best of 5 runs).
// -----------------------------------------------------------------------------------------------

/**
 * µs per page for each operation: [one call on one page, as SQLCipher makes them; the same bytes
 * within a 1 MiB stream, which leaves out Node's fixed cost per call and measures the hash itself].
 */
function cryptoFigures(): Record<string, [number, number]> {
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  const stream = crypto.randomBytes(1 << 20);
  // What SQLCipher MACs per 4096-byte page: the ciphertext and the IV (page minus the tag), the page number.
  const page = (tag: number) => crypto.randomBytes(4096 - tag + 4);
  // Many short runs, the fastest kept: on a shared machine a short run often finds a quiet moment.
  const best = (iterations: number, run: () => void) => {
    for (let i = 0; i < iterations * 4; i++) run();
    let fastest = Infinity;
    for (let r = 0; r < 40; r++) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) run();
      fastest = Math.min(fastest, performance.now() - start);
    }
    return (fastest * 1000) / iterations;
  };
  const hmac = (algorithm: Hmac, tag: number): [number, number] => {
    const bytes = page(tag);
    return [
      best(500, () => crypto.createHmac(algorithm, key).update(bytes).digest()),
      best(4, () => crypto.createHmac(algorithm, key).update(stream).digest()) / 256,
    ];
  };
  const decrypt = (input: Buffer) => {
    const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    decipher.update(input);
    decipher.final();
  };
  const cipherText = crypto.randomBytes(4096 - 80);
  return {
    'HMAC-SHA1': hmac('sha1', 20),
    'HMAC-SHA256': hmac('sha256', 32),
    'HMAC-SHA512': hmac('sha512', 64),
    'AES-256-CBC decrypt': [best(500, () => decrypt(cipherText)), best(4, () => decrypt(stream)) / 256],
  };
}

if (values['crypto-child']) {
  process.stdout.write(`${JSON.stringify(cryptoFigures())}\n`);
  process.exit(0);
}

// -----------------------------------------------------------------------------------------------
// One bulk load, in a process of its own (as tests/bench/load.ts does for main.ts).
// -----------------------------------------------------------------------------------------------

if (values['load-child']) {
  const setting = SETTINGS.find((s) => s.name === values['load-child']);
  const key = process.env.CIPHER_BENCH_KEY;
  if (!setting || !values.target || !key) throw new Error('load-child: unknown setting, no target or no key');
  const db = openWith(setting, values.target, key);
  applyConnectionSettings(db);
  runMigrations(db, workstationMigrations);
  for (const resource of generateResources({ seed: seed + 1, patients: 2000 })) parseFhirResource(resource);
  const clock = { generateMs: 0 };
  function* timedBatches(): Generator<unknown[]> {
    const source = generateResources({ seed, patients });
    for (;;) {
      const start = performance.now();
      const batch: unknown[] = [];
      let next = source.next();
      while (!next.done) {
        batch.push(next.value);
        if (batch.length === 5000) break;
        next = source.next();
      }
      clock.generateMs += performance.now() - start;
      if (batch.length > 0) yield batch;
      if (next.done) return;
    }
  }
  const start = performance.now();
  const result = bulkStoreResources(db, timedBatches());
  const loadMs = performance.now() - start - clock.generateMs;
  // The large charts after the timed load (the clinic's own patients, their resources repeated).
  let rejected = result.rejected.length;
  for (const { id, resources } of largeChartPatients()) {
    rejected += storeResources(db, largeChart(resources as never[], id, LARGE.size)).rejected.length;
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  if (rejected > 0) throw new Error(`load-child: ${rejected} generated resources were rejected`);
  process.stdout.write(`${JSON.stringify({ stored: result.stored, loadMs })}\n`);
  process.exit(0);
}

/**
 * The patients given a large chart, spread over the clinic: each the first from its place on with
 * an observation, with the notes of the next patients that have one (large-chart.ts repeats both).
 */
function largeChartPatients(): { id: string; resources: unknown[] }[] {
  const record = (index: number) => generatePatientRecord({ seed, patients }, index % patients);
  const has = (type: string) => (r: { resources: { resourceType: string }[] }) =>
    r.resources.some((x) => x.resourceType === type);
  return Array.from({ length: LARGE.charts }, (_, k) => {
    let index = Math.floor(((k + 0.5) * patients) / LARGE.charts);
    while (!has('Observation')(record(index))) index++;
    const own = record(index);
    const resources: unknown[] = [...own.resources];
    for (
      let next = index;
      !resources.some((r) => (r as { resourceType: string }).resourceType === 'DocumentReference');
    )
      resources.push(...record(++next).resources);
    return { id: own.id, resources };
  });
}

if (![patients, seed, rounds, samples, loads].every(Number.isInteger) || patients < 1000 || rounds < 1) {
  process.stderr.write('cipher-settings: --patients >= 1000, --rounds >= 1 and integers only\n');
  process.exit(2);
}
const chosen = values.only ? new Set(['plain', ...values.only.split(',')]) : null;
const settings = SETTINGS.filter((s) => !chosen || chosen.has(s.name));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-cipher-settings-'));
const key = crypto.randomBytes(32).toString('hex');
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
const out: string[] = [];
const say = (line = '') => out.push(line);
const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
say(`Load average at the start: ${loadAverage()} (${os.cpus().length} cores; other processes skew the figures)`);

// -----------------------------------------------------------------------------------------------
// 1. Raw crypto.
// -----------------------------------------------------------------------------------------------

progress('raw crypto in Node');
const flags = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/);
const withShaNi = cryptoFigures();
const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--crypto-child'], {
  encoding: 'utf8',
  // OpenSSL's capability mask: clear the SHA extensions bit (CPUID 7.EBX bit 29).
  env: { ...process.env, OPENSSL_ia32cap: ':~0x20000000' },
});
const withoutShaNi = child.status === 0 ? (JSON.parse(child.stdout.trim()) as Record<string, [number, number]>) : null;
say(
  `CPU: ${os.cpus()[0]?.model ?? '?'}; ${['sha_ni', 'aes', 'avx2', 'avx512f'].map((f) => `${f} ${flags.includes(f) ? 'yes' : 'no'}`).join(', ')}`,
);
say(`Node crypto (OpenSSL ${process.versions.openssl}), µs per 4096-byte page, fastest of 40 runs:`);
say(
  table(
    ['operation', 'one call per page', 'within a 1 MiB stream', 'one call, SHA-NI off', 'stream, SHA-NI off'],
    Object.entries(withShaNi).map(([name, [call, streamed]]) => [
      name,
      call.toFixed(2),
      streamed.toFixed(2),
      ...(withoutShaNi ? withoutShaNi[name]!.map((us) => us.toFixed(2)) : ['?', '?']),
    ]),
  ),
);

// -----------------------------------------------------------------------------------------------
// 2. Does each setting take effect?
// -----------------------------------------------------------------------------------------------

progress('checking that each setting takes effect');
const verifyDir = path.join(root, 'verify');
fs.mkdirSync(verifyDir);
const READ_BACK = [
  'cipher',
  'legacy',
  'hmac_algorithm',
  'legacy_page_size',
  'hmac_use',
  'kdf_algorithm',
  'plaintext_header_size',
];

/** Writes a few pages through `open` and closes. */
function writeSmall(db: Database): void {
  db.exec('CREATE TABLE t (x BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (randomblob(3000))');
  db.transaction(() => {
    for (let i = 0; i < 40; i++) insert.run();
  })();
  db.close();
}

/**
 * What a SQLCipher file is, read with node:crypto alone: the page size and reserve for which page 1
 * and page 2 carry a valid tag (HMAC over the ciphertext, the IV and the page number, keyed by
 * PBKDF2-HMAC-SHA512(key, salt ^ 0x3a, 2 iterations) as SQLCipher 4 does) and decrypt to a header
 * that says so.
 */
function inspectFile(file: string): string {
  const bytes = fs.readFileSync(file);
  const raw = Buffer.from(key, 'hex');
  const salt = bytes.subarray(0, 16);
  const hmacKey = crypto.pbkdf2Sync(
    raw,
    salt.map((b) => b ^ 0x3a),
    2,
    32,
    'sha512',
  );
  const candidates: { reserve: number; hmac: Hmac | null; tag: number }[] = [
    { reserve: 80, hmac: 'sha512', tag: 64 },
    { reserve: 48, hmac: 'sha256', tag: 32 },
    { reserve: 48, hmac: 'sha1', tag: 20 },
    { reserve: 16, hmac: null, tag: 0 },
  ];
  for (let pageSize = 512; pageSize <= 65536; pageSize *= 2) {
    if (bytes.length < 2 * pageSize) continue;
    for (const c of candidates) {
      const tagOk = (pgno: number) => {
        if (!c.hmac) return true;
        const page = bytes.subarray((pgno - 1) * pageSize, pgno * pageSize);
        const n = pageSize - c.reserve;
        const number = Buffer.alloc(4);
        number.writeUInt32LE(pgno);
        const from = pgno === 1 ? 16 : 0;
        const mac = crypto
          .createHmac(c.hmac, hmacKey)
          .update(page.subarray(from, n + 16))
          .update(number)
          .digest()
          .subarray(0, c.tag);
        return mac.equals(page.subarray(n + 16, n + 16 + c.tag));
      };
      if (!tagOk(1) || !tagOk(2)) continue;
      const n = pageSize - c.reserve;
      const decipher = crypto.createDecipheriv('aes-256-cbc', raw, bytes.subarray(n, n + 16)).setAutoPadding(false);
      const header = Buffer.concat([decipher.update(bytes.subarray(16, n)), decipher.final()]);
      const headerPageSize = header.readUInt16BE(0) === 1 ? 65536 : header.readUInt16BE(0);
      if (headerPageSize !== pageSize || header[4] !== c.reserve) continue;
      return `${pageSize}-byte pages, ${c.reserve} reserved (16 IV + ${c.tag ? `${c.tag}-byte HMAC-${c.hmac!.toUpperCase()} tag` : 'no tag'})`;
    }
  }
  return 'not a SQLCipher 4 file for this key';
}

const verifiable = settings.filter((s) => s.kind !== 'plain');
const verifyFile = (s: Setting) => path.join(verifyDir, `${s.name}.db`);
for (const s of verifiable) {
  const db = openWith(s, verifyFile(s), key);
  const readBack = READ_BACK.map((p) => `${p}=${String(db.pragma(p, { simple: true }))}`).join(' ');
  const pageSize = db.pragma('page_size', { simple: true });
  writeSmall(db);
  const found = s.format ? inspectFile(verifyFile(s)) : '(not SQLCipher: not inspected)';
  say(`${s.name.padEnd(11)} read back: ${readBack} page_size=${String(pageSize)}`);
  say(`${''.padEnd(11)} file: ${found}`);
}
say();
say('Each file opened with each setting (ok, or the error):');
const matrix = verifiable.map((file) => [
  file.name,
  ...settings.map((s) => {
    try {
      const db = openWith(s, verifyFile(file), key);
      try {
        db.prepare('SELECT count(*) FROM t').get();
        return 'ok';
      } finally {
        db.close();
      }
    } catch (error) {
      return String((error as { code?: string }).code ?? error).replace('SQLITE_', '');
    }
  }),
]);
say(table(['file \\ opened as', ...settings.map((s) => s.name)], matrix));
say();
say('Ways of asking that are silently ignored (the file written, then read as above):');
const pitfalls: [string, (db: Database) => void, string[]][] = [
  [
    "SQLCipher's names: cipher_hmac_algorithm = HMAC_SHA256, cipher_page_size = 8192",
    () => {},
    [...V4, 'cipher_hmac_algorithm = HMAC_SHA256', 'cipher_page_size = 8192'],
  ],
  ['hmac_algorithm = 1 before legacy = 4', () => {}, [`cipher='sqlcipher'`, 'hmac_algorithm = 1', 'legacy=4']],
  [
    'hmac_algorithm = 1, legacy_page_size = 8192 after the key',
    (db) => {
      db.pragma('hmac_algorithm = 1');
      db.pragma('legacy_page_size = 8192');
    },
    V4,
  ],
];
pitfalls.forEach(([label, afterKey, pragmas], i) => {
  const file = path.join(verifyDir, `pitfall-${i}.db`);
  const db = new Driver(file);
  const answers = pragmas.map((p) => `${p} -> ${JSON.stringify(db.pragma(p, { simple: true }) ?? null)}`);
  db.pragma(`key="x'${key}'"`);
  afterKey(db);
  const readBack = ['hmac_algorithm', 'legacy_page_size'].map((p) => `${p}=${String(db.pragma(p, { simple: true }))}`);
  writeSmall(db);
  say(`- ${label}: ${answers.slice(1).join('; ')}; read back after the key: ${readBack.join(' ')}`);
  say(`  file: ${inspectFile(file)}`);
});

// -----------------------------------------------------------------------------------------------
// 3. Bulk loads.
// -----------------------------------------------------------------------------------------------

const cacheFile = (s: Setting) => path.join(root, s.name, 'cache.db');
const loadMs = new Map<string, number[]>(settings.map((s) => [s.name, []]));
let stored = 0;
for (let run = 0; run < loads; run++) {
  for (let k = 0; k < settings.length; k++) {
    const s = settings[(k + run) % settings.length]!;
    progress(`load ${run + 1}/${loads}: ${patients} patients into ${s.name}`);
    fs.rmSync(path.dirname(cacheFile(s)), { recursive: true, force: true });
    fs.mkdirSync(path.dirname(cacheFile(s)));
    const loaded = spawnSync(
      process.execPath,
      [
        ...['--import', 'tsx', import.meta.filename, '--load-child', s.name, '--target', cacheFile(s)],
        ...['--patients', String(patients), '--seed', String(seed)],
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CIPHER_BENCH_KEY: key } },
    );
    if (loaded.status !== 0) throw new Error(`loading ${s.name} failed`);
    const answer = JSON.parse(loaded.stdout.trim()) as { stored: number; loadMs: number };
    loadMs.get(s.name)!.push(answer.loadMs);
    stored = answer.stored;
    if (process.platform === 'linux') spawnSync('sync');
  }
}

// -----------------------------------------------------------------------------------------------
// 4. Rounds over fresh connections.
// -----------------------------------------------------------------------------------------------

const METRICS = [
  'search',
  'searchCold',
  'chartFirst',
  'chartAgain',
  'chartCold',
  'largeFirst',
  'largeCold',
  'scan',
] as const;
type Metric = (typeof METRICS)[number];
/** perRound[metric][setting] = the round medians (ms). */
const perRound = new Map<Metric, Map<string, number[]>>(
  METRICS.map((m) => [m, new Map(settings.map((s) => [s.name, [] as number[]]))]),
);
const tableBytes = new Map<string, number>();
let lastRowid = 0;
{
  const db = new Map(settings.map((s) => [s.name, openWith(s, cacheFile(s), key)]));
  for (const s of settings) {
    const conn = db.get(s.name)!;
    const pages = conn.prepare(`SELECT count(*) AS n FROM dbstat WHERE name = 'resources'`).get() as { n: number };
    tableBytes.set(s.name, pages.n * (conn.pragma('page_size', { simple: true }) as number));
    lastRowid = (conn.prepare('SELECT max(rowid) AS n FROM resources').get() as { n: number }).n;
    conn.close();
  }
}

/**
 * The same operation on every cache, the order turning with each sample so drift hits all alike;
 * `cold` drops the connection's page cache first (PRAGMA shrink_memory frees every unused page).
 */
function measure(
  dbs: readonly Database[],
  count: number,
  run: (db: Database, i: number) => void,
  options: { warmup: number; cold: boolean },
): number[] {
  for (let i = 0; i < options.warmup; i++) for (const db of dbs) run(db, i);
  const ms = dbs.map(() => [] as number[]);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < dbs.length; k++) {
      const j = (i + k) % dbs.length;
      if (options.cold) dbs[j]!.pragma('shrink_memory');
      ms[j]!.push(time(() => run(dbs[j]!, i)).ms);
    }
  }
  return ms.map(median);
}

/** Reads a cache file whole (and its WAL): its pages are then in the OS file cache. */
function warmFileCache(file: string): void {
  const buffer = Buffer.alloc(4 << 20);
  for (const f of [file, `${file}-wal`]) {
    if (!fs.existsSync(f)) continue;
    const fd = fs.openSync(f, 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** The share of a file in the OS file cache (fincore), or null without fincore. */
function residency(file: string): number | null {
  const answer = spawnSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', file], {
    encoding: 'utf8',
  });
  const [res, size] = (answer.stdout ?? '').trim().split(/\s+/).map(Number);
  return answer.status === 0 && res !== undefined && size ? res / size : null;
}
const residencies: number[] = [];
const SCAN = { rows: 2000, samples: 20 };
const scanStatements = new WeakMap<Database, BetterSqlite3.Statement>();

for (let round = 0; round < rounds; round++) {
  progress(`round ${round + 1}/${rounds}`);
  for (const s of settings) warmFileCache(cacheFile(s));
  const order = settings.map((_, k) => settings[(k + round) % settings.length]!);
  const dbs = order.map((s) => {
    const db = openWith(s, cacheFile(s), key);
    applyConnectionSettings(db);
    return db;
  });
  const sample = Array.from({ length: samples }, (_, i) =>
    generatePatientRecord(
      { seed, patients },
      (Math.floor(((i * 7919) % samples) * (patients / samples)) + round * 7) % patients,
    ),
  );
  // As main.ts: names (a family prefix, or a given and a family prefix), MRNs and birth dates, pooled.
  const queries = sample.flatMap((r, i) => [
    i % 2 === 0 ? r.family.slice(0, 2 + (i % 3)) : `${r.given[0]!.slice(0, 3)} ${r.family.slice(0, 2)}`,
    r.mrn,
    r.birthDate,
  ]);
  const large = largeChartPatients().map((p) => p.id);
  const record = (metric: Metric, medians: number[]) =>
    medians.forEach((ms, j) => perRound.get(metric)!.get(order[j]!.name)!.push(ms));
  const search = (db: Database, i: number) => void searchPatients(db, queries[i]!, 50);
  const chart = (db: Database, i: number) => void readPatientRecord(db, sample[i]!.id);
  const largeChartOf = (db: Database, i: number) => void readPatientRecord(db, large[i]!);
  record('search', measure(dbs, queries.length, search, { warmup: 50, cold: false }));
  record('searchCold', measure(dbs, queries.length, search, { warmup: 0, cold: true }));
  record('chartFirst', measure(dbs, samples, chart, { warmup: 0, cold: false }));
  record('chartAgain', measure(dbs, samples, chart, { warmup: 0, cold: false }));
  record('chartCold', measure(dbs, samples, chart, { warmup: 0, cold: true }));
  record('largeFirst', measure(dbs, large.length, largeChartOf, { warmup: 0, cold: false }));
  record('largeCold', measure(dbs, large.length, largeChartOf, { warmup: 0, cold: true }));
  const scanFrom = Array.from({ length: SCAN.samples }, (_, i) =>
    Math.floor(((i + 0.5 + round / rounds) * (lastRowid - SCAN.rows)) / SCAN.samples),
  );
  const scan = (db: Database, i: number) => {
    let statement = scanStatements.get(db);
    if (!statement) {
      statement = db.prepare('SELECT sum(length(json)) FROM resources WHERE rowid > ? AND rowid <= ?');
      scanStatements.set(db, statement);
    }
    statement.get(scanFrom[i]!, scanFrom[i]! + SCAN.rows);
  };
  record('scan', measure(dbs, SCAN.samples, scan, { warmup: 1, cold: true }));
  for (const db of dbs) db.close();
  for (const s of settings) {
    const share = residency(cacheFile(s));
    if (share !== null) residencies.push(share);
  }
}

// -----------------------------------------------------------------------------------------------
// Report.
// -----------------------------------------------------------------------------------------------

const spread = (xs: readonly number[], digits = 2) =>
  `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]`;
const ratios = (metric: Metric, name: string) => {
  const mine = perRound.get(metric)!.get(name)!;
  const plain = perRound.get(metric)!.get('plain')!;
  return mine.map((ms, r) => ms / plain[r]!);
};
const rows = settings.map((s) => {
  const rate = loadMs.get(s.name)!.map((ms) => stored / (ms / 1000));
  const extraUs = perRound
    .get('scan')!
    .get(s.name)!
    .map(
      (ms, r) =>
        ((ms - perRound.get('scan')!.get('plain')![r]!) * 1000) /
        ((tableBytes.get(s.name)! * SCAN.rows) / lastRowid / 4096),
    );
  return [
    s.name,
    `${Math.round(median(rate))} [${Math.round(Math.min(...rate))}-${Math.round(Math.max(...rate))}]`,
    spread(ratios('search', s.name)),
    spread(ratios('searchCold', s.name)),
    spread(ratios('chartFirst', s.name)),
    spread(ratios('chartCold', s.name)),
    spread(ratios('largeFirst', s.name)),
    spread(ratios('largeCold', s.name)),
    spread(ratios('chartAgain', s.name)),
    spread(extraUs, 1),
  ];
});
say();
say(
  `Clinic: ${patients} patients, seed ${seed}, ${stored} resources (+${LARGE.charts} large charts of ${LARGE.size.observations} observations and ${LARGE.size.notes} notes); ` +
    `${loads} loads, ${rounds} rounds of ${samples} patients (${samples * 3} searches); node ${process.version}, ${os.cpus().length} cores`,
);
say(`Load average at the end: ${loadAverage()}`);
if (residencies.length > 0)
  say(`OS file cache after each round: at least ${(100 * Math.min(...residencies)).toFixed(1)}% of every cache file`);
say('Settings:');
for (const s of settings) say(`  ${s.name.padEnd(11)} ${s.label}: ${s.pragmas.join('; ') || '(none)'}`);
say();
say('Ratios to plaintext (4096-byte pages), median over rounds [min-max]; "as main.ts" = the budget figures:');
say(
  table(
    [
      'setting',
      'bulk load res/s',
      'search (as main.ts)',
      'search, cold cache',
      'chart 1st time (as main.ts)',
      'chart, cold cache',
      'large chart 1st',
      'large chart cold',
      'chart again',
      'scan: extra µs/4 KiB',
    ],
    rows,
  ),
);
say();
say('Medians in ms (median over rounds):');
say(
  table(
    ['setting', ...METRICS],
    settings.map((s) => [s.name, ...METRICS.map((m) => median(perRound.get(m)!.get(s.name)!).toFixed(3))]),
  ),
);
process.stdout.write(`${out.join('\n')}\n`);

function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

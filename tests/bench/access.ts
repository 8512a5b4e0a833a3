/**
 * Authorization bench (issue 4 budget: decision median <= 50 µs, it sits on every request).
 * 1. The pure decision over ~200,000 varied requests (every role and permission, with and without
 *    a patient, relationships and grants), each timed on its own: the figure includes the timer.
 * 2. For reference: decision + care-relationship lookup on a real SQLCipher database filled from the
 *    synthetic clinic (keyed with a random key here: the keychain plays no part in a lookup).
 * Run alone with `tsx tests/bench/access.ts`; `npm run bench` can call benchAuthorization().
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateResources, syntheticPatientId, clinicStaff } from '../../dev/synthetic/clinic.ts';
import { authorize } from '../../src-main/access/authorize.ts';
import { decide, type AccessRequest, type AccessUser, type ActiveGrant } from '../../src-main/access/decision.ts';
import type { CareRelationship } from '../../src-main/records/relationships.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import { generateCacheKey } from '../../src-main/vault/key-material.ts';
import { runMigrations } from '../../src-main/vault/migrations.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { applyConnectionSettings, openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { Permission, Role } from '../../src-shared/access/roles.ts';
import { median, percentile, printTable, type BenchRow } from './stats.ts';

/** A small deterministic PRNG (mulberry32), so every run measures the same requests. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RELATIONSHIPS: CareRelationship[] = ['careTeam', 'encounter', 'generalPractitioner'];

function variedRequests(count: number, seed: number): AccessRequest[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const patients = Array.from({ length: 500 }, (_, i) => `pat-${i}`);
  const users: AccessUser[] = Array.from({ length: 50 }, (_, i) => ({
    userId: `user-${i}`,
    role: pick(Role.options),
    practitionerId: next() < 0.9 ? `prac-${i}` : null,
  }));
  const requests: AccessRequest[] = [];
  for (let i = 0; i < count; i++) {
    const user = pick(users);
    const patientId = next() < 0.1 ? null : pick(patients);
    const grants: ActiveGrant[] = [];
    const grantCount = Math.floor(next() * 4); // 0-3 grants: own or others', this patient or others
    for (let g = 0; g < grantCount; g++) {
      grants.push({
        grantId: `g-${i}-${g}`,
        userId: next() < 0.8 ? user.userId : pick(users).userId,
        patientId: next() < 0.3 && patientId ? patientId : pick(patients),
      });
    }
    requests.push({
      user,
      action: pick(Permission.options),
      patientId,
      relationships: RELATIONSHIPS.filter(() => next() < 0.3),
      activeGrants: grants,
    });
  }
  return requests;
}

const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;

function benchPureDecision(): BenchRow[] {
  const requests = variedRequests(200_000, 4);
  let allowed = 0;
  for (let round = 0; round < 3; round++) for (const r of requests) if (decide(r).allowed) allowed++; // JIT warm-up
  const samples = new Array<number>(requests.length);
  for (let i = 0; i < requests.length; i++) {
    const start = performance.now();
    const decision = decide(requests[i]!);
    samples[i] = performance.now() - start;
    if (decision.allowed) allowed++;
  }
  // Throughput without a timer around each call, for scale.
  const start = performance.now();
  for (const r of requests) if (decide(r).allowed) allowed++;
  const perCall = (performance.now() - start) / requests.length;
  if (allowed < 0) throw new Error('unreachable'); // keeps the results alive
  const m = median(samples);
  return [
    {
      name: `authorization decision, median (${requests.length} varied requests)`,
      figure: us(m),
      budget: '<= 50 µs',
      pass: m <= 0.05,
    },
    {
      name: 'authorization decision, p99 / mean untimed',
      figure: `${us(percentile(samples, 99))} / ${us(perCall)}`,
      budget: '(reference)',
      pass: true,
    },
  ];
}

function benchWithLookup(patients = 2000, lookups = 20_000): BenchRow[] {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-bench-access-'));
  const db = openDatabase(path.join(root, 'cache.db'), generateCacheKey());
  try {
    applyConnectionSettings(db);
    runMigrations(db, workstationMigrations);
    const options = { seed: 3, patients };
    const batch: unknown[] = [...generateResources(options)];
    bulkStoreResources(db, [batch]);
    const clinicians = clinicStaff(options).filter((s) => s.role === 'physician' || s.role === 'nurse');
    const next = random(9);
    const requests = Array.from({ length: lookups }, () => {
      const member = clinicians[Math.floor(next() * clinicians.length)]!;
      return {
        user: { userId: member.username, role: member.role, practitionerId: member.practitionerId },
        action: next() < 0.7 ? ('patient.clinical.read' as const) : ('patient.clinical.write' as const),
        patientId: syntheticPatientId(Math.floor(next() * patients)),
        activeGrants: [] as ActiveGrant[],
      };
    });
    for (let i = 0; i < 2000; i++) authorize(db, requests[i % requests.length]!); // statements, page cache, JIT
    const samples: number[] = [];
    let allowed = 0;
    for (const r of requests) {
      const start = performance.now();
      if (authorize(db, r).allowed) allowed++;
      samples.push(performance.now() - start);
    }
    return [
      {
        name: `decision + relationship lookup, SQLCipher (${patients} patients), median / p95`,
        figure: `${us(median(samples))} / ${us(percentile(samples, 95))} (${Math.round((100 * allowed) / requests.length)}% allowed)`,
        budget: '(reference)',
        pass: true,
      },
    ];
  } finally {
    db.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export function benchAuthorization(): BenchRow[] {
  return [...benchPureDecision(), ...benchWithLookup()];
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${printTable(benchAuthorization())}\n`);
}

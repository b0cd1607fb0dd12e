import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID, type Hash } from 'node:crypto';

import { HASH_AUDIT_MAC, type AuditMac } from '../encryption/audit-mac';
import type { SecretCodec } from '../encryption/secret-codec';
import { AuditTrailInvalidError } from '../errors';
import type { AuditCheckpoint, AuditEntry, AuditOperation, AuditRecord } from './secret-record';
import type { SecretStoreRepository } from './secret-store-repository';

/** The actor of the operations run inside store.withActor: async context, shared by every store of the process. */
const actors = new AsyncLocalStorage<string>();

export function runWithActor<T>(actor: string, work: () => T): T {
  return actors.run(actor, work);
}

/** The actor of an operation: the one it was given, else the one of its async context, else null. */
export function actorOf(explicit: string | undefined): string | null {
  return explicit ?? actors.getStore() ?? null;
}

/** The operations that write a value: each makes the next version of its key. */
const VALUE_WRITES: ReadonlySet<AuditOperation> = new Set(['set', 'set-many', 'restore']);

/** What a record's MAC covers: everything the store chose, nothing the database fills in. */
function entryText(entry: AuditEntry): string {
  const { id, operation, key, writeId, actor, at } = entry;
  return JSON.stringify(['record', 1, id, operation, key, writeId, actor, at.toISOString()]);
}

/** What a checkpoint's digest covers of each record it seals: the whole row, database fields included. */
function sealedText(record: AuditRecord): string {
  const { seq, id, operation, key, writeId, actor, at, macKeyId, mac, versions, keys, recordedAt } = record;
  return JSON.stringify([
    seq,
    id,
    operation,
    key,
    writeId,
    actor,
    at.toISOString(),
    macKeyId,
    mac,
    versions,
    keys,
    recordedAt.toISOString(),
  ]);
}

function checkpointText(checkpoint: Pick<AuditCheckpoint, 'records' | 'digest' | 'previousMac'>): string {
  return JSON.stringify(['checkpoint', 1, checkpoint.records, checkpoint.digest, checkpoint.previousMac]);
}

/** A new audit record for an operation, signed with `mac`. */
export function auditEntry(
  mac: AuditMac,
  operation: AuditOperation,
  key: string | null,
  writeId: string | null,
  actor: string | null,
): AuditEntry {
  const unsigned = { id: randomUUID(), operation, key, writeId, actor, at: new Date(), macKeyId: mac.keyId, mac: '' };
  return { ...unsigned, mac: mac.sign(entryText(unsigned)) };
}

/**
 * Where the sealed trail ends: keep it outside the database (a log, a ticket, another system) and pass it to
 * verifyAuditTrail later, and records cannot be removed from the end of the sealed trail unnoticed.
 */
export interface AuditTrailHead {
  /** The position of the last checkpoint; 0 when nothing is sealed yet. */
  checkpoint: number;
  /** How many records all checkpoints up to it seal. */
  records: number;
  /** SHA-256 over every sealed record, chained from the first checkpoint. */
  digest: string;
}

/** The first thing verifyAuditTrail found wrong. */
export interface AuditTrailProblem {
  kind:
    | 'record-altered'
    | 'record-unverifiable'
    | 'checkpoint-altered'
    | 'checkpoint-unverifiable'
    | 'checkpoint-chain-broken'
    | 'sealed-records-changed'
    | 'versions-out-of-order'
    | 'value-not-audited'
    | 'secret-missing'
    | 'head-not-found';
  /** The audit record's position, for a problem of one record. */
  seq?: number;
  /** The checkpoint's position, for a problem of one checkpoint. */
  checkpoint?: number;
  key?: string;
  message: string;
}

export interface AuditTrailVerification {
  ok: boolean;
  /** Records checked. */
  checked: number;
  /** Records no checkpoint seals yet: each is checked on its own, but their order and number are not. */
  unsealed: number;
  /** Where the sealed trail ends now. */
  head: AuditTrailHead;
  firstProblem?: AuditTrailProblem;
}

/** An audit record as readAuditTrail shows it: never a value. */
export interface AuditTrailRecord {
  /** Its position in the trail. */
  seq: number;
  operation: AuditOperation;
  /** The secret; null for a purge or a read of many. */
  key: string | null;
  /** The versions written, deleted, destroyed, restored or read. */
  versions: number[];
  /** The keys a purge removed, or a read of many read. */
  keys: string[];
  actor: string | null;
  /** When the store made the record. */
  at: Date;
  /** The checkpoint that seals it; null until one does. */
  checkpoint: number | null;
}

export function toTrailRecord(record: AuditRecord): AuditTrailRecord {
  const { seq, operation, key, versions, keys, actor, at, sealedBy } = record;
  return { seq, operation, key, versions, keys, actor, at, checkpoint: sealedBy };
}

const PAGE = 1_000;
/** Records sealed by one checkpoint at most, so that one seal never holds an unbounded list. */
const CHECKPOINT_RECORDS = 10_000;

const EMPTY_HEAD: AuditTrailHead = { checkpoint: 0, records: 0, digest: '' };

function digestOf(previousDigest: string): Hash {
  return createHash('sha256').update(previousDigest, 'utf8');
}

/** How a trail is checked: which MAC checks a record or checkpoint signed under a key id. */
interface MacLookup {
  macFor(keyId: string | null): AuditMac | undefined;
}

/** A keyring store accepts unkeyed records only when it seals records made before it had a keyring (rotation). */
function lookupOf(codec: SecretCodec, trustUnkeyed: boolean): MacLookup {
  return {
    macFor: (keyId) => codec.auditMacFor(keyId) ?? (keyId === null && trustUnkeyed ? HASH_AUDIT_MAC : undefined),
  };
}

function checkRecord(lookup: MacLookup, record: AuditRecord): AuditTrailProblem | undefined {
  const mac = lookup.macFor(record.macKeyId);
  if (mac === undefined) {
    return {
      kind: 'record-unverifiable',
      seq: record.seq,
      key: record.key ?? undefined,
      message:
        record.macKeyId === null
          ? `record ${record.seq} carries a plain hash, not a MAC: anyone who writes to the table could have made it`
          : `record ${record.seq} is signed under key id ${JSON.stringify(record.macKeyId)}, which is not in the keyring`,
    };
  }
  if (mac.sign(entryText(record)) !== record.mac) {
    return {
      kind: 'record-altered',
      seq: record.seq,
      key: record.key ?? undefined,
      message: `record ${record.seq} does not match its MAC: it was altered, or forged without the keyring`,
    };
  }
  return undefined;
}

function checkCheckpoint(
  lookup: MacLookup,
  checkpoint: AuditCheckpoint,
  previousMac: string,
): AuditTrailProblem | undefined {
  if (checkpoint.previousMac !== previousMac) {
    return {
      kind: 'checkpoint-chain-broken',
      checkpoint: checkpoint.seq,
      message: `checkpoint ${checkpoint.seq} does not follow the checkpoint before it: one was removed, added or reordered`,
    };
  }
  const mac = lookup.macFor(checkpoint.macKeyId);
  if (mac === undefined) {
    return {
      kind: 'checkpoint-unverifiable',
      checkpoint: checkpoint.seq,
      message: `checkpoint ${checkpoint.seq} is signed under ${checkpoint.macKeyId === null ? 'no key (a plain hash)' : `key id ${JSON.stringify(checkpoint.macKeyId)}, which is not in the keyring`}`,
    };
  }
  if (mac.sign(checkpointText(checkpoint)) !== checkpoint.mac) {
    return {
      kind: 'checkpoint-altered',
      checkpoint: checkpoint.seq,
      message: `checkpoint ${checkpoint.seq} does not match its MAC: it was altered, or forged without the keyring`,
    };
  }
  return undefined;
}

function headOf(checkpoints: readonly AuditCheckpoint[]): AuditTrailHead {
  const last = checkpoints.at(-1);
  if (last === undefined) return EMPTY_HEAD;
  return {
    checkpoint: last.seq,
    records: checkpoints.reduce((sum, { records }) => sum + records, 0),
    digest: last.digest,
  };
}

/** Per checkpoint: the digest of the records found sealed by it, so far, and how many. */
interface SealedTally {
  hash: Hash;
  count: number;
}

/**
 * Checks the whole trail, reading it once in order: every checkpoint's MAC and place in the chain; that each
 * checkpoint's records are all there, unchanged and in order (its digest); the MAC of every record no checkpoint
 * seals yet; that the versions each key's writes made follow one another; and that every secret's current value
 * is the one its latest audited write wrote (an older value put back, with its version and binding, shows here).
 * With `head`, also that the trail still holds that head. Read-only: it takes no lock, so records sealed while it
 * runs are checked as unsealed ones.
 */
export async function verifyAuditTrail(
  codec: SecretCodec,
  repository: SecretStoreRepository,
  head: AuditTrailHead | undefined,
): Promise<AuditTrailVerification> {
  const lookup = lookupOf(codec, false);
  const checkpoints = await repository.listAuditCheckpoints();
  const currentHead = headOf(checkpoints);
  let checked = 0;
  let unsealed = 0;
  const result = (firstProblem?: AuditTrailProblem): AuditTrailVerification => ({
    ok: firstProblem === undefined,
    checked,
    unsealed,
    head: currentHead,
    ...(firstProblem && { firstProblem }),
  });

  const tallies = new Map<number, SealedTally>();
  let previousMac = '';
  let previousDigest = '';
  for (const checkpoint of checkpoints) {
    const problem = checkCheckpoint(lookup, checkpoint, previousMac);
    if (problem) return result(problem);
    tallies.set(checkpoint.seq, { hash: digestOf(previousDigest), count: 0 });
    previousMac = checkpoint.mac;
    previousDigest = checkpoint.digest;
  }
  if (head !== undefined && head.checkpoint !== 0) {
    const held = checkpoints.find(({ seq }) => seq === head.checkpoint);
    if (
      held === undefined ||
      held.digest !== head.digest ||
      headOf(checkpoints.slice(0, checkpoints.indexOf(held) + 1)).records !== head.records
    ) {
      return result({
        kind: 'head-not-found',
        checkpoint: head.checkpoint,
        message: `the trail no longer holds checkpoint ${head.checkpoint} as the head kept outside it recorded it: sealed records were removed or replaced`,
      });
    }
  }

  const lastVersions = new Map<string, number>();
  // Keys whose latest change left them with a value: their row must still be there.
  const live = new Set<string>();
  let lastSeq = 0;
  for (let afterSeq = 0; ;) {
    const page = await repository.readAuditRecords({ afterSeq, limit: PAGE });
    for (const record of page) {
      checked++;
      const tally = record.sealedBy === null ? undefined : tallies.get(record.sealedBy);
      if (tally) {
        tally.hash.update(`\n${sealedText(record)}`, 'utf8');
        tally.count++;
      } else {
        unsealed++;
        const problem = checkRecord(lookup, record);
        if (problem) return result(problem);
      }
      if (VALUE_WRITES.has(record.operation) && record.key !== null && record.versions.length === 1) {
        const [version] = record.versions;
        const last = lastVersions.get(record.key);
        if (last !== undefined && version !== last + 1) {
          return result({
            kind: 'versions-out-of-order',
            seq: record.seq,
            key: record.key,
            message: `record ${record.seq} writes version ${version} of ${JSON.stringify(record.key)} after version ${last}: a write's record is missing or out of order`,
          });
        }
        lastVersions.set(record.key, version);
      }
      trackLiveness(live, record);
      lastSeq = record.seq;
    }
    if (page.length < PAGE) break;
    afterSeq = page[page.length - 1].seq;
  }
  // A secret changed after the scan read its records is not judged by them: verification takes no lock.
  const changedSince = async (key: string) =>
    (await repository.readAuditRecords({ key, afterSeq: lastSeq, limit: 1 })).length > 0;

  for (const checkpoint of checkpoints) {
    const tally = tallies.get(checkpoint.seq) as SealedTally;
    if (tally.count !== checkpoint.records || tally.hash.digest('base64') !== checkpoint.digest) {
      return result({
        kind: 'sealed-records-changed',
        checkpoint: checkpoint.seq,
        message: `the records checkpoint ${checkpoint.seq} seals were removed, added, changed or reordered (${tally.count} found, ${checkpoint.records} sealed)`,
      });
    }
  }

  for (let afterKey = ''; ;) {
    const page = await repository.listCurrentWrites(afterKey, PAGE);
    for (const current of page) {
      live.delete(current.key);
      const lastVersion = lastVersions.get(current.key);
      const rolledBack = lastVersion !== undefined && current.version < lastVersion;
      const unaudited =
        current.writeId !== current.auditedWriteId && (current.auditedWriteId !== null || current.writeId !== null);
      if ((rolledBack || unaudited) && !(await changedSince(current.key))) {
        return result({
          kind: 'value-not-audited',
          key: current.key,
          message: `the current value of ${JSON.stringify(current.key)} (version ${current.version}) is not the one its latest audited write wrote: it was put back or written around the store`,
        });
      }
    }
    if (page.length < PAGE) break;
    afterKey = page[page.length - 1].key;
  }
  for (const key of live) {
    if (await changedSince(key)) continue;
    return result({
      kind: 'secret-missing',
      key,
      message: `${JSON.stringify(key)} has no value although its latest audited change left it one: its row was deleted or its value erased around the store`,
    });
  }
  return result();
}

/** Which keys a record leaves with a value (a write, an undelete), and which it may leave without one. */
function trackLiveness(live: Set<string>, record: AuditRecord): void {
  if (record.key === null) {
    if (record.operation === 'purge') for (const key of record.keys) live.delete(key);
    return;
  }
  if (VALUE_WRITES.has(record.operation) || record.operation === 'undelete') live.add(record.key);
  else if (record.operation === 'destroy') live.delete(record.key);
}

/**
 * Seals every record no checkpoint seals yet, after checking their MACs and the last checkpoint's (a seal
 * never vouches for a record it could not check), in checkpoints of up to 10,000 records signed with the active
 * MAC. Runs in one transaction that keeps other sealers waiting. Resolves the head of the sealed trail.
 */
export async function sealAuditTrail(
  codec: SecretCodec,
  repository: SecretStoreRepository,
  trustUnkeyed = false,
): Promise<AuditTrailHead> {
  const lookup = lookupOf(codec, trustUnkeyed);
  await repository.lockAuditTrail();
  const checkpoints = await repository.listAuditCheckpoints();
  const last = checkpoints.at(-1);
  if (last) {
    const problem = checkCheckpoint(lookup, last, last.previousMac);
    if (problem) throw new AuditTrailInvalidError(problem.message);
  }
  let head = headOf(checkpoints);
  let previousMac = last?.mac ?? '';
  for (;;) {
    const records: AuditRecord[] = [];
    for (let afterSeq = 0; records.length < CHECKPOINT_RECORDS;) {
      const page = await repository.readUnsealedAuditRecords(
        afterSeq,
        Math.min(PAGE, CHECKPOINT_RECORDS - records.length),
      );
      records.push(...page);
      if (page.length === 0) break;
      afterSeq = page[page.length - 1].seq;
    }
    if (records.length === 0) return head;
    const hash = digestOf(head.digest);
    for (const record of records) {
      const problem = checkRecord(lookup, record);
      if (problem) throw new AuditTrailInvalidError(problem.message);
      hash.update(`\n${sealedText(record)}`, 'utf8');
    }
    const unsigned = { records: records.length, digest: hash.digest('base64'), previousMac };
    const sealed = await repository.sealAuditRecords(
      { ...unsigned, macKeyId: codec.auditMac.keyId, mac: codec.auditMac.sign(checkpointText(unsigned)) },
      records.map(({ seq }) => seq),
    );
    head = { checkpoint: sealed.seq, records: head.records + sealed.records, digest: sealed.digest };
    previousMac = sealed.mac;
  }
}

/**
 * Signs every checkpoint again with the active MAC, each after checking it under the key that signed it, so
 * that the trail still verifies once that key leaves the keyring. Run by rotation after it has sealed every
 * record (records made under an old key stay checkable through the checkpoint that seals them). Resolves how
 * many checkpoints it signed again.
 */
export async function resealAuditCheckpoints(codec: SecretCodec, repository: SecretStoreRepository): Promise<number> {
  const lookup = lookupOf(codec, true);
  await repository.lockAuditTrail();
  const checkpoints = await repository.listAuditCheckpoints();
  let resealed = 0;
  let storedPrevious = '';
  let newPrevious = '';
  for (const checkpoint of checkpoints) {
    const problem = checkCheckpoint(lookup, checkpoint, storedPrevious);
    if (problem) throw new AuditTrailInvalidError(problem.message);
    storedPrevious = checkpoint.mac;
    if (checkpoint.macKeyId === codec.auditMac.keyId && checkpoint.previousMac === newPrevious) {
      newPrevious = checkpoint.mac;
      continue;
    }
    const mac = codec.auditMac.sign(checkpointText({ ...checkpoint, previousMac: newPrevious }));
    await repository.resealAuditCheckpoint(checkpoint.seq, newPrevious, codec.auditMac.keyId, mac);
    newPrevious = mac;
    resealed++;
  }
  return resealed;
}

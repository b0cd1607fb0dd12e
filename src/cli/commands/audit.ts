import type { AuditTrailHead, AuditTrailRecord, AuditTrailVerification } from '../../secretstore/audit-trail';
import { assertValidKey } from '../../secretstore/key-names';
import { headArgument } from '../../secretstore/lifecycle-arguments';
import type { SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { parseJson } from '../json-input';
import { formatFields, formatTable, formatTime, type CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

export interface AuditOptions {
  key?: string;
  after?: number;
  limit?: number;
  verify?: boolean;
  /** --head: a head `--seal` printed, as JSON. */
  head?: string;
  seal?: boolean;
}

interface AuditRecordJson {
  seq: number;
  at: string;
  operation: string;
  key: string | null;
  versions: number[];
  keys: string[];
  actor: string | null;
  checkpoint: number | null;
}

interface AuditJson {
  records: AuditRecordJson[];
  /** There when more records follow: pass it as --after. */
  next?: number;
}

/** A page of the trail, as readAuditTrail returns it. */
type AuditTrailPage = Awaited<ReturnType<SecretStore['readAuditTrail']>>;

/** The head of a trail with nothing sealed: what a folder without a store has. */
const EMPTY_HEAD: AuditTrailHead = { checkpoint: 0, records: 0, digest: '' };

function recordJson(record: AuditTrailRecord): AuditRecordJson {
  const { seq, at, operation, key, versions, keys, actor, checkpoint } = record;
  return { seq, at: at.toISOString(), operation, key, versions, keys, actor, checkpoint };
}

/** One page of the trail, oldest first. */
async function listRecords(context: CommandContext, options: AuditOptions): Promise<CommandResult> {
  const { key, after, limit } = options;
  const page = await context.database.withExistingStore<AuditTrailPage>(
    (store) => store.readAuditTrail({ key, after, limit }),
    () => {
      if (key !== undefined) assertValidKey(key);
      return { records: [] };
    },
  );
  const json: AuditJson = { records: page.records.map(recordJson) };
  if (page.next !== undefined) json.next = page.next;
  if (page.records.length === 0) {
    return { json, text: key === undefined ? 'no audit records' : `no audit records of ${JSON.stringify(key)}` };
  }
  const rows = page.records.map((record) => [
    String(record.seq),
    formatTime(record.at),
    record.operation,
    record.key ?? (record.keys.length > 0 ? record.keys.join(',') : '-'),
    record.versions.length > 0 ? record.versions.join(',') : '-',
    record.actor ?? '-',
  ]);
  const table = formatTable(['SEQ', 'AT', 'OPERATION', 'KEY', 'VERSIONS', 'ACTOR'], rows);
  return { json, text: page.next === undefined ? table : `${table}\nmore: secretstore audit --after ${page.next}` };
}

/** --head as the library takes it: JSON, then the library's own check of its fields. */
function parseHead(text: string | undefined): AuditTrailHead | undefined {
  return text === undefined ? undefined : headArgument(parseJson(text, '--head'));
}

/** Where there is no store there is no trail: it verifies, unless it was to hold a sealed head. */
function verifyNothing(head: AuditTrailHead | undefined): AuditTrailVerification {
  const verification: AuditTrailVerification = { ok: true, checked: 0, unsealed: 0, head: EMPTY_HEAD };
  if (head === undefined || head.checkpoint === 0) return verification;
  return {
    ...verification,
    ok: false,
    firstProblem: {
      kind: 'head-not-found',
      checkpoint: head.checkpoint,
      message: `there is no store here, so no trail holds checkpoint ${head.checkpoint}`,
    },
  };
}

/** Verifies the trail (against a head kept elsewhere, with --head); exit 5 when it does not verify. */
async function verify(context: CommandContext, options: AuditOptions): Promise<CommandResult> {
  const head = parseHead(options.head);
  const verification = await context.database.withExistingStore(
    (store) => store.verifyAuditTrail({ head }),
    () => verifyNothing(head),
  );
  const fields = formatFields([
    ['verified', verification.ok ? 'ok' : 'NO'],
    ['checked', String(verification.checked)],
    ['unsealed', String(verification.unsealed)],
    ['head', JSON.stringify(verification.head)],
    ...(verification.firstProblem
      ? [['problem', `${verification.firstProblem.message} (${verification.firstProblem.kind})`] as const]
      : []),
  ]);
  if (verification.ok) return { json: verification, text: fields };
  return { json: verification, text: fields, exitCode: ExitCode.failure };
}

/** Seals what is unsealed and prints the head, as JSON either way: it is meant to be kept outside the database. */
async function seal(context: CommandContext): Promise<CommandResult> {
  const head = await context.database.withExistingStore(
    (store) => store.sealAuditTrail(),
    () => EMPTY_HEAD,
  );
  context.output.notice('secretstore: keep this head outside the database; `audit --verify --head <it>` checks it');
  return { json: head, text: JSON.stringify(head) };
}

/** The audit trail: a page of records, or with --verify its verification, or with --seal its new head. */
export async function auditCommand(context: CommandContext, options: AuditOptions): Promise<CommandResult> {
  if (options.head !== undefined && options.verify !== true) {
    throw new CliUsageError('USAGE', '--head is what --verify checks the trail against: give --verify too');
  }
  if (options.verify === true) return verify(context, options);
  if (options.seal === true) return seal(context);
  return listRecords(context, options);
}

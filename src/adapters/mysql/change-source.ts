/**
 * MySQL/MariaDB as a change source: the binlog read from the queue's last durable commit by @vlasky/zongji
 * (as a replica would: COM_BINLOG_DUMP with our own server id), translated by binlog-translator.ts.
 *
 * The server keeps no cursor for us (unlike a PostgreSQL slot): our durable position is the only one, so a
 * resume first checks that the binlog file it needs still exists, and confirm() has nothing to tell the server.
 */
import ZongJi from '@vlasky/zongji';
import type { Conn } from '../../core/connection.js';
import { DbError, UserError } from '../../infra/errors.js';
import type { CaptureId, CaptureStream, ChangeSource } from '../engine.js';
import { binlogFiles, binlogHead } from './binlog-status.js';
import { BinlogTranslator, type BinlogEventLike } from './binlog-translator.js';
import { baseOptions, withConnection } from './connection.js';
import { mapConnectError } from './errors.js';
import { binlogProblems } from './guardrails.js';
import { BINLOG_ORIGIN, formatBinlogPosition, parseBinlogPosition } from './positions.js';
import { listTables } from './table-catalog.js';

/** Idle servers send a heartbeat this often, so an idle stream still advances (and a dead one is noticed). */
const HEARTBEAT_NS = 1_000_000_000;

const EVENTS = ['rotate', 'format', 'mariadbgtid', 'gtid', 'anonymousgtid', 'query', 'xid', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'heartbeat', 'transactionpayload', 'partialupdaterows'];

/** Our replica server id: stable per migration (a second reader with the same id would cut this one off). */
export function replicaServerId(capture: CaptureId): number {
  let h = 0x811c9dc5;
  for (const ch of `${capture.migrationUuid}/${capture.side}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 100_000 + (h % 2_000_000_000);
}

async function open(c: Conn, o: Parameters<ChangeSource['open']>[1], sink: Parameters<ChangeSource['open']>[2]): Promise<CaptureStream> {
  if (o.from === BINLOG_ORIGIN) throw new DbError('internal', 'a MySQL change stream needs the snapshot position to start from');
  const from = parseBinlogPosition(o.from);
  const tables = await withConnection(c, async (conn) => {
    const files = await binlogFiles(conn);
    if (!files.some((f) => f.name === from.file)) {
      throw new UserError(
        `the binary log file ${from.file}, where this migration's change stream goes on, is no longer on the source (purged; oldest kept: ${files[0]?.name ?? 'none'})`,
        'the changes since then are lost for this migration: export the data again with --start-clean true, and keep binary logs longer (binlog_expire_logs_seconds)',
        'config',
      );
    }
    const all = await listTables(conn, c.settings.database);
    const wanted = o.tables && new Set(o.tables.map((t) => t.table));
    return all.filter((t) => !wanted || wanted.has(t.table));
  });
  const translator = new BinlogTranslator(c.settings.database, tables, from, sink);
  const zongji = new ZongJi({ ...baseOptions(c), database: undefined });
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let closed = false;
  const fail = (e: unknown) => {
    if (closed) return;
    closed = true;
    zongji.stop();
    settle.reject(e instanceof DbError || e instanceof UserError ? e : mapConnectError(e, c.settings));
  };
  zongji.on('binlog', (e) => {
    if (closed) return;
    try {
      translator.onEvent(e as unknown as BinlogEventLike);
    } catch (err) {
      fail(err);
    }
  });
  zongji.on('error', fail);
  zongji.on('ready', () => {
    // Queued before the dump command (zongji emits 'ready' just before sending it).
    zongji.connection?.query(`SET @master_heartbeat_period = ${HEARTBEAT_NS}`, () => undefined);
  });
  zongji.start({ serverId: replicaServerId(o.capture), filename: from.file, position: from.pos, includeEvents: EVENTS });
  o.log.info('reading the binlog', { from: o.from, serverId: replicaServerId(o.capture), tables: tables.length });
  return {
    confirm: () => undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      zongji.stop();
      settle.resolve();
    },
    done,
  };
}

export const mysqlChangeSource: ChangeSource = {
  async check(c, tables) {
    return withConnection(c, async (conn) => {
      const problems = await binlogProblems(conn);
      const catalog = await listTables(conn, c.settings.database);
      for (const t of tables ?? []) {
        const my = catalog.find((x) => x.table === t.table);
        if (!my) problems.push(`table ${t.table} no longer exists in ${c.settings.database} on the source`);
        else if (!my.pk.length) problems.push(`table ${c.settings.database}.${my.name} has no primary key: add one, or export without it`);
      }
      return { problems, warnings: [] };
    });
  },
  // Nothing to create: the binlog is the server's own, read like a replica reads it.
  prepare: async () => [],
  open,
  currentPosition: (c) =>
    withConnection(c, async (conn) => {
      const head = await binlogHead(conn);
      if (!head) throw new UserError('the source has no binary log position (log_bin is off)', 'enable the binary log on the source');
      return formatBinlogPosition(head);
    }),
  retained: (c) =>
    withConnection(c, async (conn) => {
      const files = await binlogFiles(conn);
      const total = files.reduce((n, f) => n + f.bytes, 0);
      const head = await binlogHead(conn);
      return { bytes: total, detail: { binlogFiles: files.length, oldest: files[0]?.name, head: head && formatBinlogPosition(head) } };
    }),
  drop: async () => [],
};

/**
 * PostgreSQL as a change source: a pgoutput logical slot and a publication per capture (the forward stream on
 * the source, the fall-back stream on the target), read over a replication connection with our own decoder.
 * Row changes of exported tables are written to the queue straight from the replication frame
 * (pgoutput-lines.ts); everything else goes through decodePgOutput → PgOutputTranslator.
 */
import type { CaptureId, CaptureSink, CaptureStream, ChangeSource, StreamedTable, TableRef } from '../engine.js';
import { failpoint } from '../../infra/failpoints.js';
import type { Logger } from '../../infra/logger.js';
import { publicationName, slotName } from './capture-names.js';
import { withClient } from './connection.js';
import { mapQueryError } from './errors.js';
import { checkStreamingPrerequisites } from './guardrails.js';
import { formatLsn, parseLsn } from './lsn.js';
import { decodePgOutput } from './pgoutput-decoder.js';
import { PgOutputTranslator } from './pgoutput-events.js';
import { PgOutputLineEncoder } from './pgoutput-lines.js';
import {
  createLogicalSlotIfMissing, createPublicationIfMissing, currentWalPosition, dropPublicationIfExists, dropSlotIfExists, nudgeWal,
} from './replication-objects.js';
import { ReplicationStream, slotRetainedWal } from './replication-stream.js';

export function captureNames(capture: CaptureId): { slot: string; publication: string } {
  return { slot: slotName(capture.migrationUuid, capture.side), publication: publicationName(capture.migrationUuid, capture.side) };
}

/** Decoded replication messages → the capture sink, one transaction at a time. */
export class PgOutputFeed {
  private inTransaction = false;
  private taking = false;
  private readonly lines: PgOutputLineEncoder;
  private readonly notes = new Set<string>();

  constructor(private readonly translator: PgOutputTranslator, private readonly sink: CaptureSink, private readonly log: Logger) {
    this.lines = new PgOutputLineEncoder(translator);
  }

  onData(payload: Buffer, offset = 0): void {
    // Most messages are row changes of exported tables: written to the queue straight from the frame.
    if (this.taking && this.lines.append(payload, offset, this.sink.lines)) return;
    const t = this.translator.translate(decodePgOutput(payload, offset));
    switch (t.kind) {
      case 'begin':
        this.inTransaction = true;
        // finalLsn is where the commit record starts.
        this.taking = this.sink.begin(formatLsn(t.finalLsn));
        return;
      case 'change':
        if (this.taking) this.sink.change(t.event);
        return;
      case 'commit':
        this.inTransaction = false;
        this.taking = false;
        this.sink.commit(formatLsn(t.endLsn), t.ts);
        return;
      case 'truncate':
        this.sink.truncate(t.tables);
        return;
      case 'none':
        if (t.note && !this.notes.has(t.note)) {
          this.notes.add(t.note);
          this.log.debug(t.note);
        }
        return;
    }
  }

  onKeepalive(walEnd: bigint): void {
    if (!this.inTransaction) this.sink.idle(formatLsn(walEnd));
  }
}

export const pgChangeSource: ChangeSource = {
  async check(c, tables, capture) {
    return withClient(c, 'yb-voyager change export monitor', async (client) => {
      try {
        return await checkStreamingPrerequisites(client, tables ?? [], { needNewSlot: false, slotName: captureNames(capture).slot });
      } catch (e) {
        throw mapQueryError(e, `checking the ${capture.side} database before streaming`);
      }
    });
  },

  async prepare(c, capture, tables: readonly TableRef[]) {
    const { slot, publication } = captureNames(capture);
    const created: string[] = [];
    await withClient(c, 'yb-voyager cutover', async (client) => {
      if (await createPublicationIfMissing(client, publication, tables)) created.push(`publication ${publication} (${tables.length} tables)`);
      failpoint('cutover.importer.after-publication');
      if (await createLogicalSlotIfMissing(client, slot)) created.push(`replication slot ${slot}`);
      failpoint('cutover.importer.after-slot');
    });
    return created;
  },

  async open(c, o, sink): Promise<CaptureStream> {
    const { slot, publication } = captureNames(o.capture);
    const feed = new PgOutputFeed(new PgOutputTranslator(o.tables as StreamedTable[] | undefined), sink, o.log);
    const confirmed = parseLsn(o.from);
    // Start from the slot: the server resends from its confirmed position, which may be behind the queue (a
    // crash between our commit and the confirmation); the sink skips what the queue already holds.
    const stream = await ReplicationStream.open(c.settings, c.secret, {
      slot, publication, startLsn: 0n, confirmedLsn: confirmed, side: o.capture.side, log: o.log,
      msUntilNeeded: () => sink.msUntilCommitDue?.() ?? 0,
    }, {
      onData: (frame, offset) => feed.onData(frame, offset),
      onKeepalive: (walEnd) => feed.onKeepalive(walEnd),
    });
    return {
      confirm: (pos) => stream.confirm(parseLsn(pos)),
      close: () => stream.close(),
      done: stream.done,
    };
  },

  async currentPosition(c, log) {
    return withClient(c, 'yb-voyager cutover', async (client) => {
      const position = await currentWalPosition(client);
      // Best effort: only an idle server needs it, and a PostgreSQL-compatible engine may lack the function.
      await nudgeWal(client).catch((e) => log.warn('could not write a WAL record past the cutover position; on an idle server the stream may take until the next keepalive to pass it', { err: e }));
      return position;
    });
  },

  async retained(c, capture) {
    return withClient(c, 'yb-voyager change export monitor', async (client) => {
      const { slot } = captureNames(capture);
      const s = await slotRetainedWal(client, slot);
      return s && { bytes: s.retainedBytes, detail: { slot, active: s.active, confirmedFlush: s.confirmedFlush } };
    });
  },

  async drop(c, capture) {
    const { slot, publication } = captureNames(capture);
    return withClient(c, 'yb-voyager cleanup', async (client) => {
      const dropped: string[] = [];
      if (await dropSlotIfExists(client, slot)) dropped.push(`replication slot ${slot}`);
      failpoint('cutover.exporter.after-drop-slot');
      if (await dropPublicationIfExists(client, publication)) dropped.push(`publication ${publication}`);
      return dropped;
    });
  },
};

/** The socket under a pg client: pg keeps it as `connection.stream` and offers no accessor for it. */
import type net from 'node:net';
import type pg from 'pg';

export function socketOf(client: pg.Client): net.Socket | undefined {
  return (client as unknown as { connection?: { stream?: net.Socket } }).connection?.stream;
}

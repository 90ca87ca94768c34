import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { events } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import { decodeRecords, encodeRecords } from './spool_codec';
import { SpoolError } from './spool_error';
import { acquireSpoolLock } from './spool_lock';

const ioError = (what: string, path: string, error: unknown) =>
  new SpoolError(
    'SPOOL_IO',
    `${what} spool ${path} failed: ${error instanceof Error ? error.message : String(error)}; check free space and permissions of the folder`,
  );

/**
 * An append-only file of events (see spool_codec for the record format), owned by one process at a
 * time through a lock file beside it. Events a crashed process left are read once, at open.
 */
export class SpoolFile {
  private recovered: events.Event[];
  private bytes: number;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly release: () => Promise<void>,
    recovered: events.Event[],
    bytes: number,
  ) {
    this.recovered = recovered;
    this.bytes = bytes;
  }

  static async open(path: string, logger: Logger): Promise<SpoolFile> {
    const dir = dirname(path);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw ioError('creating the folder of', path, error);
    }
    const release = await acquireSpoolLock(`${path}.lock`);
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'a+');
      const { events: recovered, validBytes, tornBytes } = decodeRecords(await handle.readFile());
      if (tornBytes > 0) {
        // Appending after a torn record would hide every later record from the next reader.
        await handle.truncate(validBytes);
        await handle.sync();
        logger.warn({ file: path, tornBytes }, 'dropped the torn last record of the spool (the process died while writing it)');
      }
      await syncDirectory(dir);
      if (recovered.length > 0) {
        logger.info(
          { file: path, recovered: recovered.length },
          `recovered ${recovered.length} events from the spool of a previous run; publishing them before new events`,
        );
      }
      return new SpoolFile(path, handle, release, recovered, validBytes);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await release();
      throw error instanceof SpoolError ? error : ioError('opening', path, error);
    }
  }

  /** The events found at open, handed out once. */
  takeRecovered(): events.Event[] {
    const out = this.recovered;
    this.recovered = [];
    return out;
  }

  isEmpty(): boolean {
    return this.bytes === 0;
  }

  /** Resolves once the events are on disk (written and fsynced). */
  async append(list: readonly events.Event[]): Promise<void> {
    const data = encodeRecords(list);
    try {
      await this.handle.appendFile(data);
      await this.handle.sync();
    } catch (error) {
      // A half-written batch would end the readable part of the file: cut it off (best effort).
      await this.handle.truncate(this.bytes).catch(() => undefined);
      throw ioError('writing', this.path, error);
    }
    this.bytes += data.length;
  }

  /** Empties the file once everything in it was acknowledged by the bus. */
  async clear(): Promise<void> {
    try {
      await this.handle.truncate(0);
      await this.handle.sync();
    } catch (error) {
      throw ioError('truncating', this.path, error);
    }
    this.bytes = 0;
  }

  /** Releases the file; an empty one is removed, so folders do not fill with spools of past prefixes. */
  async close(): Promise<void> {
    await this.handle.close();
    if (this.bytes === 0) await rm(this.path, { force: true });
    await this.release();
  }
}

/** Makes a newly created file's directory entry durable, so the file itself survives a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

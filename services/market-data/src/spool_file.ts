import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@marketpulse/runtime';
import { decodeRecords, encodeRecords, recordBytesAt, type SpoolRecord } from './spool_codec';
import { SpoolError } from './spool_error';
import { acquireSpoolLock } from './spool_lock';

/** Bytes read per call while scanning or reading back; a larger record is read whole. */
const READ_CHUNK_BYTES = 1 << 20;

const ioError = (what: string, path: string, error: unknown) =>
  new SpoolError(
    'SPOOL_IO',
    `${what} spool ${path} failed: ${error instanceof Error ? error.message : String(error)}; check free space and permissions of the folder`,
  );

/**
 * An append-only file of events (see spool_codec for the record format), owned by one process at a
 * time through a lock file beside it. Records are read back in pieces (`read`), so a spool far
 * larger than memory can be replayed; `recovered` counts what a crashed run left at open.
 */
export class SpoolFile {
  private bytes: number;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly release: () => Promise<void>,
    /** Records found at open (left by an earlier run), at the start of the file. */
    readonly recovered: number,
    bytes: number,
  ) {
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
      const size = (await handle.stat()).size;
      let validBytes = 0;
      let recovered = 0;
      for (;;) {
        const { records, next } = await readRecords(handle, validBytes, size, 10_000);
        if (records.length === 0) break;
        recovered += records.length;
        validBytes = next;
      }
      const tornBytes = size - validBytes;
      if (tornBytes > 0) {
        // Appending after a torn record would hide every later record from the next reader.
        await handle.truncate(validBytes);
        await handle.sync();
        logger.warn({ file: path, tornBytes }, 'dropped the torn last record of the spool (the process died while writing it)');
      }
      await syncDirectory(dir);
      if (recovered > 0) {
        logger.info(
          { file: path, recovered },
          `recovered ${recovered} events from the spool of a previous run; publishing them before new events`,
        );
      }
      return new SpoolFile(path, handle, release, recovered, validBytes);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await release();
      throw error instanceof SpoolError ? error : ioError('opening', path, error);
    }
  }

  /** Up to `maxRecords` records from byte `from` (0 or a `next` this returned), and the byte after them. */
  async read(from: number, maxRecords: number): Promise<{ records: SpoolRecord[]; next: number }> {
    try {
      return await readRecords(this.handle, from, this.bytes, maxRecords);
    } catch (error) {
      throw ioError('reading', this.path, error);
    }
  }

  /** Bytes of whole records in the file. */
  size(): number {
    return this.bytes;
  }

  isEmpty(): boolean {
    return this.bytes === 0;
  }

  /** Resolves once the events are on disk (written and fsynced). */
  async append(list: readonly SpoolRecord[]): Promise<void> {
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

/** Whole records between `from` and `end`, at most `maxRecords`; none at a torn or damaged record. */
async function readRecords(
  handle: FileHandle,
  from: number,
  end: number,
  maxRecords: number,
): Promise<{ records: SpoolRecord[]; next: number }> {
  let want = Math.min(end - from, READ_CHUNK_BYTES);
  for (;;) {
    if (want <= 0) return { records: [], next: from };
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, from);
    const data = buf.subarray(0, bytesRead);
    const { records, validBytes } = decodeRecords(data, maxRecords);
    if (records.length > 0) return { records, next: from + validBytes };
    // No whole record in the piece: either the first record is larger than it, or it is torn.
    const whole = recordBytesAt(data);
    if (whole === undefined || whole <= bytesRead || from + whole > end) return { records: [], next: from };
    want = whole;
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

// Named storage errors with a stable `code`, so the agent can print a clear message and exit
// (start-up refusals) or stop the node (a failed write) instead of limping on.

export type StorageErrorCode =
  /** DATA_DIR belongs to another node id. */
  | 'DATA_DIR_NODE_MISMATCH'
  /** A log record at or below the commit index is unreadable, or the log has a hole. */
  | 'LOG_CORRUPT'
  /** Term/vote/commit cannot be read: voting again could break election safety. */
  | 'HARD_STATE_CORRUPT'
  /** Node id, bootstrap configuration or log base record is unreadable. */
  | 'META_CORRUPT'
  /** No valid snapshot covers the compacted part of the log. */
  | 'SNAPSHOT_UNRECOVERABLE'
  /** An earlier write failed: what is on disk is unknown, so every later call fails too. */
  | 'STORAGE_FAILED'
  | 'STORAGE_CLOSED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly dataDir: string;

  constructor(code: StorageErrorCode, dataDir: string, message: string, options?: ErrorOptions) {
    super(`${message} (DATA_DIR ${dataDir})`, options);
    this.name = 'StorageError';
    this.code = code;
    this.dataDir = dataDir;
  }
}

/** The data on disk is damaged in a way start-up must not paper over: refuse to start. */
export class StorageCorruptError extends StorageError {
  /** The log index concerned, when there is one. */
  readonly index: number | null;

  constructor(code: StorageErrorCode, dataDir: string, message: string, index: number | null) {
    super(code, dataDir, message);
    this.name = 'StorageCorruptError';
    this.index = index;
  }
}

/** A record (log entry, meta value, snapshot file) failed verification; `reason` says how. */
export class RecordError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RecordError';
  }
}

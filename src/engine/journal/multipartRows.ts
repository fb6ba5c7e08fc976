/**
 * multipartRows: the statements behind SqliteJournal's MultipartJournal
 * methods (tables multipart_upload and multipart_part, schema version 2).
 * Kept apart from the synced/retry/hash statements because only resumable
 * uploads (S3RemoteStore, files above the resumable threshold) use them.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { MultipartUploadRecord, UploadedPart } from '../ports.js';
import { numValue, textValue } from './rowValues.js';

const UPLOAD_COLUMNS = 'key, upload_id, file_path, size, mtime_ms, inode, md5, part_size, created_at';

export class MultipartStatements {
  private readonly selectAll: StatementSync;
  private readonly selectOne: StatementSync;
  private readonly selectParts: StatementSync;
  private readonly deleteUpload: StatementSync;
  private readonly insertUpload: StatementSync;
  private readonly upsertPart: StatementSync;

  constructor(db: DatabaseSync) {
    this.selectAll = db.prepare(`SELECT ${UPLOAD_COLUMNS} FROM multipart_upload`);
    this.selectOne = db.prepare(`SELECT ${UPLOAD_COLUMNS} FROM multipart_upload WHERE key = ?`);
    this.selectParts = db.prepare('SELECT part_number, etag, size FROM multipart_part WHERE key = ? ORDER BY part_number');
    // Parts go with their upload (ON DELETE CASCADE; foreign keys are on for every connection).
    this.deleteUpload = db.prepare('DELETE FROM multipart_upload WHERE key = ?');
    this.insertUpload = db.prepare(`INSERT INTO multipart_upload (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // Only while the row still belongs to `uploadId`: a late part of an upload already replaced or forgotten is dropped.
    this.upsertPart = db.prepare(
      `INSERT INTO multipart_part (key, part_number, etag, size)
       SELECT key, ?, ?, ? FROM multipart_upload WHERE key = ? AND upload_id = ?
       ON CONFLICT (key, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size`,
    );
  }

  all(): MultipartUploadRecord[] {
    return this.selectAll.all().map(uploadFromRow);
  }

  one(key: string): { upload: MultipartUploadRecord; parts: UploadedPart[] } | undefined {
    const row = this.selectOne.get(key);
    if (row === undefined) return undefined;
    const parts = this.selectParts.all(key).map((p) => ({
      partNumber: num(p, 'part_number'),
      etag: text(p, 'etag'),
      size: num(p, 'size'),
    }));
    return { upload: uploadFromRow(row), parts };
  }

  /** Call inside a transaction: the old record's parts must not survive under the new upload. */
  begin(r: MultipartUploadRecord): void {
    this.deleteUpload.run(r.key);
    this.insertUpload.run(r.key, r.uploadId, r.filePath, r.size, r.mtimeMs, r.inode, r.md5, r.partSize, r.createdAt);
  }

  putPart(key: string, uploadId: string, part: UploadedPart): void {
    this.upsertPart.run(part.partNumber, part.etag, part.size, key, uploadId);
  }

  forget(key: string): void {
    this.deleteUpload.run(key);
  }
}

function uploadFromRow(row: Record<string, SQLOutputValue>): MultipartUploadRecord {
  return {
    key: text(row, 'key'),
    uploadId: text(row, 'upload_id'),
    filePath: text(row, 'file_path'),
    size: num(row, 'size'),
    mtimeMs: num(row, 'mtime_ms'),
    inode: num(row, 'inode'),
    md5: text(row, 'md5'),
    partSize: num(row, 'part_size'),
    createdAt: num(row, 'created_at'),
  };
}

function text(row: Record<string, SQLOutputValue>, column: string): string {
  return textValue(row[column], column);
}

function num(row: Record<string, SQLOutputValue>, column: string): number {
  return numValue(row[column], column);
}

/**
 * Typed reads of SQLite column values: a value of the wrong type means a row
 * this version of Stratus did not write (BadRowError, reported as a damaged
 * journal), never a silent conversion.
 */
import type { SQLOutputValue } from 'node:sqlite';
import { BadRowError } from './journalErrors.js';

export function textValue(value: SQLOutputValue | undefined, column: string): string {
  if (typeof value !== 'string') throw new BadRowError(`${column} is ${typeof value}, expected text`);
  return value;
}

export function numValue(value: SQLOutputValue | undefined, column: string): number {
  if (typeof value !== 'number') throw new BadRowError(`${column} is ${typeof value}, expected a number`);
  return value;
}

/**
 * The one helper for reading Node's file-system error codes (`ENOENT`,
 * `EACCES`…), which the local scanner branches on: a vanished file is not a
 * problem, a permission error is.
 */

/** The errno code of a Node fs error, or `EUNKNOWN` for anything else. */
export function errnoCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/**
 * The user's answer to a fired safety rail (issue 8), kept in memory for the
 * next run only, once. `confirm` lets through at most the deletes the user was
 * shown, in the direction they were shown (core's `confirmedStop`); `restore`
 * makes that run bring the files back instead (the engine forgets the journal
 * rows of the paths it would delete, so each becomes a one-sided file that is
 * copied again). A first-download stop (nothing deleted) takes `confirm` only:
 * at most the files and bytes shown.
 */
import type { SafetyStop } from '../../core/plan.js';
import type { CommandResult } from '../../shared/StratusApi.js';

export type RailChoice = 'confirm' | 'restore';

export interface RailAnswerFor {
  readonly choice: RailChoice;
  readonly code: SafetyStop['code'];
  readonly direction: SafetyStop['direction'];
  readonly count: number;
  /** `first-download`: the bytes the user was shown. */
  readonly bytes: number;
}

export class RailAnswer {
  private fired: Pick<SafetyStop, 'code' | 'direction' | 'count' | 'bytes'> | undefined;
  private answer: RailAnswerFor | undefined;

  /** A run ended (not a dry run): remembers the rail it stopped at, or that none fired. */
  ranWith(stop: SafetyStop | undefined): void {
    this.fired = stop === undefined ? undefined : { code: stop.code, direction: stop.direction, count: stop.count, ...(stop.bytes === undefined ? {} : { bytes: stop.bytes }) };
  }

  /**
   * Records the user's choice for the last rail that fired. `about` names what
   * the person was shown (a Download button never confirms deletes, nor the
   * reverse); absent, any confirm goes to the rail that fired.
   */
  choose(choice: RailChoice, about?: 'deletes' | 'download'): CommandResult {
    const fired = this.fired;
    if (fired === undefined) return { ok: false, message: 'No safety stop is waiting for an answer.' };
    if (about !== undefined && (about === 'download') !== (fired.code === 'first-download')) {
      return { ok: false, message: `The safety stop waiting is about ${fired.code === 'first-download' ? 'a download' : 'deletes'}; look at it again before answering.` };
    }
    const files = `${fired.count.toLocaleString('en-US')} file${fired.count === 1 ? '' : 's'}`;
    if (fired.code === 'first-download') {
      // Nothing was deleted, so nothing can be restored: the only answer is to go ahead (or to leave it waiting).
      if (choice === 'restore') return { ok: false, message: 'Nothing was deleted: this stop only waits for you to confirm the download.' };
      this.answer = { choice, code: fired.code, direction: fired.direction, count: fired.count, bytes: fired.bytes ?? 0 };
      return { ok: true, message: `The next sync downloads the ${files}; if there is more to download by then, it asks again.` };
    }
    this.answer = { choice, code: fired.code, direction: fired.direction, count: fired.count, bytes: 0 };
    const where = fired.direction === 'remote' ? 'in the cloud' : 'on this computer';
    return choice === 'confirm'
      ? { ok: true, message: `The next sync deletes the ${files} ${where}; if it would delete more, it stops again.` }
      : { ok: true, message: `The next sync brings back the ${files} instead of deleting them ${where}.` };
  }

  /** The answer for the run about to start (then gone). */
  take(): RailAnswerFor | undefined {
    const answer = this.answer;
    this.answer = undefined;
    return answer;
  }
}

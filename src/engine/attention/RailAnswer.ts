/**
 * The user's answer to a fired safety rail (issue 8), kept in memory for the
 * next run only, once. `confirm` lets through at most the deletes the user was
 * shown, in the direction they were shown (core's `confirmedStop`); `restore`
 * makes that run bring the files back instead (the engine forgets the journal
 * rows of the paths it would delete, so each becomes a one-sided file that is
 * copied again).
 */
import type { SafetyStop } from '../../core/plan.js';
import type { CommandResult } from '../../shared/StratusApi.js';

export type RailChoice = 'confirm' | 'restore';

export interface RailAnswerFor {
  readonly choice: RailChoice;
  readonly direction: SafetyStop['direction'];
  readonly count: number;
}

export class RailAnswer {
  private fired: Pick<SafetyStop, 'code' | 'direction' | 'count'> | undefined;
  private answer: RailAnswerFor | undefined;

  /** A run ended (not a dry run): remembers the rail it stopped at, or that none fired. */
  ranWith(stop: SafetyStop | undefined): void {
    this.fired = stop === undefined ? undefined : { code: stop.code, direction: stop.direction, count: stop.count };
  }

  /** Records the user's choice for the last rail that fired. */
  choose(choice: RailChoice): CommandResult {
    const fired = this.fired;
    if (fired === undefined) return { ok: false, message: 'No safety stop is waiting for an answer.' };
    this.answer = { choice, direction: fired.direction, count: fired.count };
    const files = `${fired.count.toLocaleString('en-US')} file${fired.count === 1 ? '' : 's'}`;
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

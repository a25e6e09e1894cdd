// Replays case histories against the current workflow code, in this process: the dossier's "replay result" (a case's
// recorded history is exactly what today's code produces, or the first point where it is not).
import { Worker } from '@temporalio/worker';
import type { HistoryReplay } from '../processes/dossier';

/** A replayer over the workflow bundle `code` gives (built or read from its cache once, on first use). */
export function createHistoryReplayer(code: () => Promise<string>): HistoryReplay {
  let bundle: Promise<string> | undefined;
  return async (histories) => {
    bundle ??= code();
    const src = await bundle;
    const out: { runId: string; replayed: boolean; mismatch?: string }[] = [];
    let i = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: { code: src }, replayName: 'dossier-replay' }, histories.map((h) => ({ workflowId: h.workflowId, history: h.history })))) {
      out.push({ runId: histories[i++].runId, replayed: !r.error, ...(r.error && { mismatch: r.error.message }) });
    }
    return out;
  };
}

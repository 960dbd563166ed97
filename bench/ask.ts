/**
 * What an answer costs, side by side with the baseline it is measured against: ranking every turn of a real
 * meeting for a question with `ask`'s ranker (question processing, passages, feedback, fusion) against BM25
 * over single turns (clients/eval/baseline.ts), on the same meetings and questions, in the same process.
 * Every task runs many rounds, so the ranker's memo of analysed turns is warm, as in a process that answers
 * many questions (a server, the eval); a single `myc ask` pays the analysis once more.
 */
import { Bench } from 'tinybench';
import { rankTurns, type RankTurn } from '../activities/intelligence/ask';
import { Bm25TurnBaseline } from '../clients/eval/baseline';
import { voiceName } from '../clients/eval/files';
import { loadQmsum } from '../clients/eval/qmsum';
import type { BenchOutcome } from './support/report';

export async function runAskBench(o: { data: string; evidence: string; time: number }): Promise<BenchOutcome> {
  const meetings = await loadQmsum(o.data, o.evidence);
  const cases = meetings.map((m) => ({
    turns: m.turns
      .map((t, position): RankTurn => ({ itemId: m.name, position, text: t.content, speakerId: voiceName(t.speaker), speakerName: voiceName(t.speaker) }))
      .filter((t) => t.text.trim()),
    texts: m.turns.map((t) => t.content),
    questions: m.queries.map((q) => q.query),
  }));
  const questions = cases.reduce((n, c) => n + c.questions.length, 0);

  // Both sides build their index per meeting and rank every question of it, as `ask` does per call.
  const bench = new Bench({ time: o.time, warmupTime: 500 });
  bench
    .add('ask ranker (rankTurns)', () => {
      for (const c of cases) for (const q of c.questions) rankTurns(q, [c.turns]);
    })
    .add('baseline (BM25 over single turns)', () => {
      for (const c of cases) {
        const baseline = new Bm25TurnBaseline(c.texts);
        for (const q of c.questions) baseline.rank(q, 10);
      }
    });
  await bench.run();

  const perQuestion = (name: string): number => {
    const result = bench.tasks.find((t) => t.name === name)?.result;
    if (!result || result.error) throw new Error(`${name}: no result${result?.error ? ` (${String(result.error)})` : ''}`);
    return result.mean / questions;
  };
  const ours = perQuestion('ask ranker (rankTurns)');
  const base = perQuestion('baseline (BM25 over single turns)');
  return {
    key: 'ask',
    title: 'ask ranker',
    command: '',
    text: [
      `${meetings.length} meetings, ${questions} questions, ${o.time} ms per task`,
      `ask ranker:     ${ours.toFixed(2)} ms/question`,
      `BM25 baseline:  ${base.toFixed(2)} ms/question`,
    ].join('\n'),
    verdict: `ask: ${(ours / base).toFixed(1)}× the BM25 baseline's time per question`,
    figures: { meetings: meetings.length, questions, ours_ms_per_question: ours, bm25_ms_per_question: base, ratio: ours / base },
  };
}

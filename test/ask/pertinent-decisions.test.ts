/** Which logged decisions `myc ask` fuses into an answer as evidence. */
import { describe, expect, it } from 'vitest';
import { pertinentDecisions } from '../../clients/memory-operations';

const log = [
  { id: 'runbook', topic: 'rollback runbook', statement: 'Carla writes the rollback runbook before the release' },
  { id: 'freeze', topic: 'release freeze', statement: 'Code freeze two days before each release' },
  { id: 'colours', topic: 'case colours', statement: 'The case comes in three colours' },
];
const ids = (question: string): string[] => pertinentDecisions(question, log).map((x) => x.d.id);

describe('pertinentDecisions', () => {
  it('a question about decisions takes every decision sharing a topic word, best first', () => {
    expect(ids('What did we decide about the release runbook?')).toEqual(['runbook', 'freeze']);
  });

  it('any other question only takes decisions sharing half of its topic words', () => {
    // "release" alone is too common to pull the freeze into a question about the runbook's owner and deadline
    expect(ids('Who owns the rollback runbook for the release?')).toEqual(['runbook']);
    expect(ids('How long is the freeze before a release?')).toEqual(['freeze']);
    expect(ids('What was said about the release?')).toEqual(['runbook', 'freeze']);
  });

  it('takes nothing for a question sharing no topic word', () => {
    expect(ids('What did we decide about pricing?')).toEqual([]);
  });
});

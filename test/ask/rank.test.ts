import { describe, expect, it } from 'vitest';
import { extractSentences, namedSpeakers, queryWeights, questionIntent, rankTurns, sentencesOf, type RankTurn } from '../../activities/intelligence/ask';

const turns = (texts: [string, string][], itemId = 'm1'): RankTurn[] =>
  texts.map(([speaker, text], position) => ({ itemId, position, text, speakerId: `${speaker.toLowerCase().replace(/\W+/g, '.')}@x.test`, speakerName: speaker }));

describe('question processing', () => {
  it('keeps the topic words (stemmed), down-weights the phrasing, drops stop words', () => {
    const w = queryWeights('What did the group discuss about the budgets of the remote controls?', { questionWordWeight: 0.25 });
    expect(Object.fromEntries(w)).toEqual({ group: 0.25, discuss: 0.25, budget: 1, remot: 1, control: 1 });
    expect([...queryWeights('What did the group discuss about the budget?').keys()]).toEqual(['budget']);
  });

  it('tells decision questions apart', () => {
    expect(questionIntent('What did we decide about the rollback runbook?')).toBe('decision');
    expect(questionIntent('What was agreed on pricing?')).toBe('decision');
    expect(questionIntent('Why did Carla object?')).toBe('reason');
    expect(questionIntent('Summarize the pricing discussion')).toBe('general');
  });

  it('splits sentences, also with spaced-out punctuation', () => {
    expect(sentencesOf('So , this is it . And then ? Yes!')).toEqual(['So , this is it .', 'And then ?', 'Yes!']);
  });
});

describe('named speakers', () => {
  const scope = turns([
    ['Project Manager', 'a'],
    ['Industrial Designer', 'b'],
    ['Marketing', 'c'],
    ['Professor C', 'd'],
    ['Grad C', 'e'],
    ['Carla Reyes', 'f'],
  ]);
  const named = (q: string) => [...namedSpeakers(q, scope).ids].sort();

  it('by full name of two words or more, any case and word ending', () => {
    expect(named('What did the industrial designers say about the case?')).toEqual(['industrial.designer@x.test']);
    expect(namedSpeakers('What did the project manager decide?', scope).words).toEqual(new Set(['project', 'manager']));
  });

  it('by a capitalized word only one speaker has', () => {
    expect(named('What did Carla say about the migration?')).toEqual(['carla.reyes@x.test']);
    expect(named('Why did Marketing want a wheel?')).toEqual(['marketing@x.test']);
  });

  it('not by a lowercase topic word, a shared word, or the first word', () => {
    expect(named('What about the marketing budget?')).toEqual([]);
    expect(named('What did C think about it?')).toEqual([]); // "C" is in two names
    expect(named('Marketing plans?')).toEqual([]);
  });
});

describe('rankTurns', () => {
  it('a turn inside a run of matching turns outranks an equal match standing alone', () => {
    const t = turns([
      ['A', 'the battery should last two years'],
      ['B', 'lunch is at noon today for everyone'],
      ['A', 'we also need a rechargeable battery in the base'],
      ['B', 'battery life matters for the charger and the battery pack'],
      ['A', 'and the battery dock needs a cradle'],
      ['B', 'the weather is nice for a walk outside'],
    ]);
    const { ranked } = rankTurns('battery', [t], { feedbackTurns: 0, fusionK: 0 });
    const order = ranked.map((r) => r.position);
    expect(order.indexOf(2)).toBeLessThan(order.indexOf(0)); // same single-turn match, better context
  });

  it('a substantive turn outranks a back-channel that repeats the word', () => {
    const t = turns([
      ['A', 'something unrelated here about lunch plans and parking spaces'],
      ['B', 'Budget? Yeah.'],
      ['A', 'unrelated talk about the weather and the trains being late'],
      ['C', 'I think the budget of twelve euros per unit rules out the titanium case and the touch screen'],
      ['A', 'unrelated chatter about the football results from yesterday evening'],
    ]);
    const { ranked } = rankTurns('what did they say about the budget?', [t], { feedbackTurns: 0, window: 0, fusionK: 0 });
    expect(ranked[0]?.position).toBe(3);
  });

  it('favours the turns of a participant the question names', () => {
    const t = turns([
      ['Bob Okafor', 'the migration to schema seven is merged'],
      ['Carla Reyes', 'the migration runs twice on android'],
    ]);
    const plain = rankTurns('what about the migration?', [t], { window: 0, feedbackTurns: 0, fusionK: 0 }).ranked[0]?.position;
    const named = rankTurns('what did Carla say about the migration?', [t], { window: 0, feedbackTurns: 0, fusionK: 0 });
    expect(named.explain.speakers).toEqual(['carla.reyes@x.test']);
    expect(named.ranked[0]?.position).toBe(1);
    expect(plain).toBe(0); // without the name, the two turns tie and the earlier one comes first
  });

  it('passages never cross items, and nothing is returned without topic support', () => {
    const a = turns([['A', 'the runbook is done'], ['B', 'great']], 'a');
    const b = turns([['A', 'lunch'], ['B', 'more lunch']], 'b');
    const { ranked } = rankTurns('the runbook', [a, b], { feedbackTurns: 0 });
    expect(ranked.every((r) => r.itemId === 'a')).toBe(true);
    expect(rankTurns('what did we discuss about pricing?', [a, b]).ranked).toEqual([]);
  });
});

describe('extractive answer', () => {
  it('picks the matching sentences of the passages, each citing its passage', () => {
    const sentences = extractSentences({
      question: 'what did we decide about the runbook?',
      maxSentences: 2,
      passages: [
        { marker: 1, itemId: 'i', position: 3, score: 1, text: 'Good morning all. The runbook is owned by Carla . It ships Friday.' },
        { marker: 2, itemId: 'i', position: 9, score: 0.5, text: 'Lunch is late. We decided the runbook links from the checklist.' },
      ],
    });
    expect(sentences).toEqual([
      { text: 'The runbook is owned by Carla.', citations: [1] },
      { text: 'We decided the runbook links from the checklist.', citations: [2] },
    ]);
  });
});

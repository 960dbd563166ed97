/**
 * What the files connector reports as held back, per unit (identity and counts, never content), how a
 * transcript speaker is matched to an attendee email, and the summary line the CLI prints.
 */
import { describe, expect, it } from 'vitest';
import { attendeeEmailFor, parseReportedUnit } from '../../activities/connectors/files';
import { describeHeldBack } from '../../clients/registry/ops/people-text';
import { mergeHeldBack } from '../../workflows/held-back';
import { context, teamContext } from '../connectors/helpers';

describe('held back by the files connector', () => {
  it('an email from someone opted out: nothing stored, the sender reported', async () => {
    const { unit, heldBack } = await parseReportedUnit(await teamContext(), 'mail/04-from-carol.eml');
    expect(unit.items).toEqual([]);
    expect(heldBack).toEqual([{ id: 'carol@acme.test', name: 'Carol Evans', items: 1 }]);
  });

  it('an email with no directory at all: the sender as the headers give them', async () => {
    const { heldBack } = await parseReportedUnit(context(), 'mail/04-from-carol.eml');
    expect(heldBack).toEqual([{ id: 'carol@acme.test', name: 'Carol Evans', items: 1 }]);
  });

  it('transcript turns, counted per speaker, speakers matched to attendee emails', async () => {
    const { unit, heldBack } = await parseReportedUnit(await teamContext(), 'transcripts/standup-2025-01-13.vtt');
    expect(unit.items).toHaveLength(1);
    expect(heldBack).toEqual([
      { id: 'carol@acme.test', name: 'Carol Evans', items: 1 }, // two cues, one turn
      { id: 'vera@partner.test', name: 'Vera Vendor', items: 1 },
    ]);
    // nothing of what they said is in the report
    expect(JSON.stringify(heldBack)).not.toMatch(/SECRET|mockups|API is ready/);
  });

  it('without a directory every speaker is held back, and nothing is stored', async () => {
    const { unit, heldBack } = await parseReportedUnit(context(), 'transcripts/standup-2025-01-13.vtt');
    expect(unit.items).toEqual([]);
    expect(heldBack.map((a) => a.id)).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'vera@partner.test']);
    // "Alice Chen" and "alice@acme.test" are one speaker, with three turns (consecutive cues are one turn)
    expect(heldBack.find((a) => a.id === 'alice@acme.test')).toMatchObject({ name: 'Alice Chen', items: 3 });
  });

  it('Slack messages by people outside the opt-in, by their export profile', async () => {
    const { heldBack } = await parseReportedUnit(await teamContext(), 'slack/general/2025-01-13.json');
    expect(heldBack).toEqual([
      { id: 'carol@acme.test', name: 'Carol Evans', items: 1 },
      { id: 'vera@partner.test', name: 'Vera Vendor', items: 1 },
    ]);
  });
});

describe('attendeeEmailFor', () => {
  const attendees = ['alice@acme.test', 'bob.okafor@acme.test', 'cevans@acme.test', 'dan@acme.test', 'dana@acme.test'];
  it.each([
    ['Alice Chen', 'alice@acme.test'],
    ['Bob Okafor', 'bob.okafor@acme.test'],
    ['Carol Evans', 'cevans@acme.test'],
    ['Dan', 'dan@acme.test'],
    ['Ünal Smith', undefined],
    ['', undefined],
  ])('%s → %s', (name, email) => {
    expect(attendeeEmailFor(name, attendees)).toBe(email);
  });

  it('refuses to guess between two attendees', () => {
    expect(attendeeEmailFor('Alice Chen', ['alice@acme.test', 'achen@acme.test'])).toBeUndefined();
  });
});

describe('the held-back summary', () => {
  it('sums batches per author', () => {
    const merged = mergeHeldBack(
      { items: 3, authors: [{ id: 'a@x.test', name: 'A', items: 2 }, { name: 'Someone', items: 1 }] },
      { items: 4, authors: [{ id: 'a@x.test', items: 1 }, { id: 'b@x.test', items: 3 }] },
    );
    expect(merged).toEqual({
      items: 7,
      authors: [
        { id: 'a@x.test', name: 'A', items: 3 },
        { id: 'b@x.test', items: 3 },
        { name: 'Someone', items: 1 },
      ],
    });
  });

  it('reads as one line naming the authors and the way in; nothing when nothing was held back', () => {
    const authors = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => ({ id: `${x}@x.test`, items: 2 }));
    expect(describeHeldBack({ items: 14, authors })).toEqual([
      '14 items held back: their 7 authors are not in the directory or not opted in: a@x.test, b@x.test, c@x.test, d@x.test, e@x.test, and 2 more (`myc people`)' +
        ' — add them with `myc people add <email>` / opt them in with `myc people opt-in <email>`',
    ]);
    expect(describeHeldBack({ items: 1, authors: [{ name: 'Vera Vendor', items: 1 }] })[0]).toMatch(
      /^1 item held back: its author is not in the directory or not opted in: "Vera Vendor" \(no email seen\) — /,
    );
    expect(describeHeldBack({ items: 0, authors: [] })).toEqual([]);
    expect(describeHeldBack(undefined)).toEqual([]);
  });
});

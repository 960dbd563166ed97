-- Each attendee's own brief of a meeting: gathered on their behalf alone (nothing in it they may not see), made in
-- the same pass as the meeting's shared brief (prepareBrief) from one read for all of them, and sent to them by the
-- brief's telling. Kept apart from `briefs`, whose rows any attendee may read: this text is its recipient's only.
CREATE TABLE personal_briefs (
  brief_id        text NOT NULL REFERENCES briefs (id) ON DELETE CASCADE,
  recipient_id    text NOT NULL,
  markdown        text NOT NULL,
  -- the items it cites (the notification's lineage when it is sent)
  source_item_ids text[] NOT NULL,
  PRIMARY KEY (brief_id, recipient_id)
);

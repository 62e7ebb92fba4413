-- Issue 23: texts and emails to people through GOV.UK Notify, kept here until Notify has
-- them (retried on 429 and 5xx, never on 400) and then until it says they were delivered.
-- They carry no health details: personalisation holds only a first name, a day and a time.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    episode_id INTEGER REFERENCES episodes(id),
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    to_address TEXT NOT NULL,
    personalisation TEXT NOT NULL,
    -- What the person reads (the text Notify's template makes), for staff to see.
    preview TEXT NOT NULL,
    -- One per purpose and occasion (a reminder per episode and appointment time).
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    notify_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    -- Not worth sending after this (a reminder after the appointment).
    send_before TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX notifications_due ON notifications(next_attempt_at);
CREATE INDEX notifications_person ON notifications(pcn_id, person_id);
CREATE INDEX notifications_notify ON notifications(notify_id);

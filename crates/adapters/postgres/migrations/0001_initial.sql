-- Questions, choices, voters and idempotency keys of one environment.
-- Runs with search_path set to the environment's schema: names stay unqualified.
-- Constraint names are part of the adapter's contract: src/errors.rs maps them to port errors.

CREATE TABLE questions (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT questions_pkey PRIMARY KEY,
    question_text text        NOT NULL,
    pub_date      date        NOT NULL,
    created_at    timestamptz NOT NULL,
    version       bigint      NOT NULL DEFAULT 1
);

CREATE TABLE choices (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT choices_pkey PRIMARY KEY,
    question_id bigint NOT NULL
        CONSTRAINT choices_question_fk REFERENCES questions (id) ON DELETE CASCADE,
    choice_text text   NOT NULL,
    votes       bigint NOT NULL DEFAULT 0 CONSTRAINT choices_votes_not_negative CHECK (votes >= 0),
    -- Also the index behind "the choices of question N".
    CONSTRAINT choices_question_text_unique UNIQUE (question_id, choice_text)
);

-- Named voters of each question: a voter votes at most once per question.
CREATE TABLE voters (
    question_id bigint      NOT NULL
        CONSTRAINT voters_question_fk REFERENCES questions (id) ON DELETE CASCADE,
    voter_id    text        NOT NULL,
    voted_at    timestamptz NOT NULL,
    CONSTRAINT voters_question_voter_unique UNIQUE (question_id, voter_id)
);

-- Idempotency keys of counted votes, scoped to their question.
CREATE TABLE idempotency_keys (
    question_id bigint      NOT NULL
        CONSTRAINT idempotency_keys_question_fk REFERENCES questions (id) ON DELETE CASCADE,
    key         text        NOT NULL,
    choice_id   bigint      NOT NULL
        CONSTRAINT idempotency_keys_choice_fk REFERENCES choices (id) ON DELETE CASCADE,
    voter_id    text,
    created_at  timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (question_id, key)
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_choice_idx ON idempotency_keys (choice_id);

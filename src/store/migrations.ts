/**
 * Schema migrations keyed by PRAGMA user_version. Append only: a released migration is
 * never edited, a new one is added at the end.
 */
export const migrations: ReadonlyArray<string> = [
  // 1: tenants, LMS registrations with their sync settings, links (for R1 staleness), audit, meta.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE tenants (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    coursera_org       TEXT NOT NULL,
    coursera_url       TEXT NOT NULL,
    coursera_client_id TEXT,
    created_at         TEXT NOT NULL
  );
  CREATE TABLE lms_registrations (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL UNIQUE REFERENCES tenants(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('moodle','blackboard','canvas','d2l','google-classroom','schoology','buzz')),
    issuer         TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    deployment_id  TEXT NOT NULL,
    auth_url       TEXT NOT NULL,
    token_url      TEXT NOT NULL,
    jwks_url       TEXT NOT NULL,
    token_audience TEXT,
    grade_sync     TEXT NOT NULL CHECK (grade_sync IN ('assignment','course','final')),
    incremental    INTEGER NOT NULL DEFAULT 1 CHECK (incremental IN (0,1)),
    no_sso         INTEGER NOT NULL DEFAULT 0 CHECK (no_sso IN (0,1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
  );
  CREATE INDEX lms_registrations_issuer ON lms_registrations(issuer);
  CREATE TABLE links (
    id                  INTEGER PRIMARY KEY,
    registration_id     INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    context_id          TEXT NOT NULL,
    resource_link_id    TEXT NOT NULL,
    target_kind         TEXT NOT NULL CHECK (target_kind IN ('course','item')),
    target_id           TEXT NOT NULL,
    grade_sync          TEXT NOT NULL,
    lineitem_url        TEXT,
    lineitems_url       TEXT,
    created_at          TEXT NOT NULL,
    stale_at            TEXT,
    stale_reason        TEXT,
    UNIQUE (registration_id, resource_link_id)
  );
  CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    os_user   TEXT NOT NULL,
    tenant    TEXT,
    command   TEXT NOT NULL,
    args      TEXT NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('ok','failed')),
    exit_code INTEGER NOT NULL,
    message   TEXT
  );
  `,
  // 2: the Coursera side — programs (R2 activation), courses and their gradable items (R3),
  // learners with the test flag, program memberships (licenses, R5), and LMS launches (R4).
  `
  CREATE TABLE programs (
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    program_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    slug          TEXT,
    url           TEXT,
    license_count INTEGER,
    active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0,1)),
    activated_at  TEXT,
    gone_at       TEXT,
    first_seen_at TEXT NOT NULL,
    pulled_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, program_id)
  ) WITHOUT ROWID;
  CREATE TABLE courses (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    course_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    slug         TEXT,
    url          TEXT,
    course_type  TEXT,
    items_known  INTEGER NOT NULL DEFAULT 0 CHECK (items_known IN (0,1)),
    refreshed_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, course_id)
  ) WITHOUT ROWID;
  CREATE TABLE program_courses (
    tenant_id  INTEGER NOT NULL,
    program_id TEXT NOT NULL,
    course_id  TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, program_id, course_id),
    FOREIGN KEY (tenant_id, program_id) REFERENCES programs(tenant_id, program_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, course_id) REFERENCES courses(tenant_id, course_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX program_courses_course ON program_courses(tenant_id, course_id);
  CREATE TABLE items (
    tenant_id  INTEGER NOT NULL,
    course_id  TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    item_type  TEXT,
    item_order INTEGER,
    weight     REAL,
    PRIMARY KEY (tenant_id, course_id, item_id),
    FOREIGN KEY (tenant_id, course_id) REFERENCES courses(tenant_id, course_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE TABLE learners (
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    external_id   TEXT NOT NULL,
    email         TEXT,
    full_name     TEXT,
    is_test       INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0,1)),
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
  ) WITHOUT ROWID;
  CREATE INDEX learners_email ON learners(tenant_id, email COLLATE NOCASE);
  CREATE TABLE memberships (
    tenant_id   INTEGER NOT NULL,
    program_id  TEXT NOT NULL,
    external_id TEXT NOT NULL,
    state       TEXT,
    joined_at   INTEGER,
    PRIMARY KEY (tenant_id, program_id, external_id),
    FOREIGN KEY (tenant_id, program_id) REFERENCES programs(tenant_id, program_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, external_id) REFERENCES learners(tenant_id, external_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX memberships_learner ON memberships(tenant_id, external_id);
  CREATE TABLE launches (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    external_id      TEXT NOT NULL,
    lms_sub          TEXT NOT NULL,
    context_id       TEXT NOT NULL,
    resource_link_id TEXT NOT NULL,
    program_id       TEXT,
    course_id        TEXT,
    item_id          TEXT,
    launched_at      TEXT NOT NULL
  );
  CREATE INDEX launches_learner ON launches(tenant_id, external_id);
  `,
  // 3: what gg4l serve learns from launches — the program/course/item a link points at and
  // its AGS/NRPS service URLs (a connected link), the LMS users behind Coursera learners
  // (sub ↔ externalId, from a launch or the NRPS roster), and single-use OIDC states/nonces.
  `
  ALTER TABLE links ADD COLUMN program_id TEXT;
  ALTER TABLE links ADD COLUMN course_id TEXT;
  ALTER TABLE links ADD COLUMN item_id TEXT;
  ALTER TABLE links ADD COLUMN title TEXT;
  ALTER TABLE links ADD COLUMN nrps_url TEXT;
  ALTER TABLE links ADD COLUMN connected_at TEXT;
  ALTER TABLE links ADD COLUMN last_launch_at TEXT;
  CREATE INDEX links_course ON links(registration_id, course_id);
  CREATE TABLE lms_users (
    registration_id INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    sub             TEXT NOT NULL,
    external_id     TEXT,
    email           TEXT,
    name            TEXT,
    source          TEXT NOT NULL CHECK (source IN ('launch','nrps')),
    first_seen_at   TEXT NOT NULL,
    last_launch_at  TEXT,
    PRIMARY KEY (registration_id, sub)
  ) WITHOUT ROWID;
  CREATE INDEX lms_users_learner ON lms_users(registration_id, external_id);
  CREATE TABLE oidc_states (
    state           TEXT PRIMARY KEY,
    nonce           TEXT NOT NULL UNIQUE,
    registration_id INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    target_link_uri TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
  );
  `,
  // 4: grade sync — Coursera grades as last pulled, LMS columns gg4l knows (line items), the
  // ledger of scores the LMS acknowledged (R7, R9), sync runs with their actionable plan
  // items, and the per-tenant lease that keeps two runs apart.
  `
  CREATE TABLE coursera_grades (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    course_id    TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    program_id   TEXT NOT NULL,
    grade        REAL,
    passed       INTEGER NOT NULL DEFAULT 0,
    completed    INTEGER NOT NULL DEFAULT 0,
    completed_at INTEGER,
    PRIMARY KEY (tenant_id, course_id, item_id, external_id)
  ) WITHOUT ROWID;
  CREATE INDEX coursera_grades_learner ON coursera_grades(tenant_id, external_id);
  CREATE INDEX launches_link ON launches(tenant_id, resource_link_id, context_id, external_id);
  CREATE TABLE line_items (
    link_id       INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    item_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    label         TEXT,
    score_maximum REAL NOT NULL,
    created       INTEGER NOT NULL DEFAULT 0,
    found_at      TEXT NOT NULL,
    PRIMARY KEY (link_id, item_id)
  ) WITHOUT ROWID;
  CREATE TABLE score_ledger (
    column_url    TEXT NOT NULL,
    lms_user_id   TEXT NOT NULL,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    score_given   REAL,
    score_maximum REAL NOT NULL,
    comment       TEXT,
    sent_at_ms    INTEGER NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('accepted','stale')),
    run_id        INTEGER NOT NULL,
    acked_at      TEXT NOT NULL,
    PRIMARY KEY (column_url, lms_user_id)
  ) WITHOUT ROWID;
  CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    command      TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    options      TEXT NOT NULL,
    fingerprint  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('running','ok','partial','failed','interrupted')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    counts       TEXT NOT NULL DEFAULT '{}',
    error        TEXT
  );
  CREATE TABLE plan_items (
    run_id         INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('create-column','post')),
    kind           TEXT,
    link_id        INTEGER NOT NULL,
    course_id      TEXT NOT NULL,
    item_id        TEXT NOT NULL,
    external_id    TEXT,
    lms_user_id    TEXT,
    column_url     TEXT,
    container_url  TEXT,
    resource_link_id TEXT,
    label          TEXT,
    score_given    REAL,
    score_maximum  REAL,
    comment        TEXT,
    comment_changed INTEGER NOT NULL DEFAULT 1,
    last_sent_ms   INTEGER,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','stale','failed')),
    message        TEXT,
    done_at        TEXT,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE locks (
    tenant_id   INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    holder      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
  );
  `,
  // 5: Google Classroom — its settings per registration (API URL, service account, teachers to
  // impersonate per Classroom course or by default), the classroom-return setting, the course
  // work gg4l published per (Classroom course, Coursera course, item), and the Classroom
  // rosters with the Coursera learner each student is matched to by e-mail.
  `
  ALTER TABLE lms_registrations ADD COLUMN classroom_return INTEGER NOT NULL DEFAULT 0 CHECK (classroom_return IN (0,1));
  CREATE TABLE classroom_settings (
    registration_id INTEGER PRIMARY KEY REFERENCES lms_registrations(id) ON DELETE CASCADE,
    api_url         TEXT NOT NULL,
    service_account TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    default_teacher TEXT,
    updated_at      TEXT NOT NULL
  );
  CREATE TABLE classroom_teachers (
    registration_id     INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    classroom_course_id TEXT NOT NULL,
    teacher             TEXT NOT NULL,
    PRIMARY KEY (registration_id, classroom_course_id)
  ) WITHOUT ROWID;
  CREATE TABLE classroom_course_work (
    registration_id     INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    classroom_course_id TEXT NOT NULL,
    course_id           TEXT NOT NULL,
    item_id             TEXT NOT NULL,
    course_work_id      TEXT NOT NULL,
    column_ref          TEXT NOT NULL,
    link_id             INTEGER REFERENCES links(id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    max_points          REAL NOT NULL,
    created             INTEGER NOT NULL DEFAULT 0 CHECK (created IN (0,1)),
    published_at        TEXT NOT NULL,
    PRIMARY KEY (registration_id, classroom_course_id, course_id, item_id)
  ) WITHOUT ROWID;
  CREATE TABLE classroom_roster (
    registration_id     INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    classroom_course_id TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    email               TEXT,
    name                TEXT,
    external_id         TEXT,
    seen_at             TEXT NOT NULL,
    PRIMARY KEY (registration_id, classroom_course_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX classroom_roster_learner ON classroom_roster(registration_id, external_id);
  `,
  // 6: the score ledger's journal. An acknowledged score is one appended row holding the whole
  // ledger record; a per-score upsert into score_ledger plus a plan-item update cost six times
  // as much. mergeAcks folds the journal into score_ledger in bulk, at the end of a run and
  // before every plan. Posts are read from the run's plan as it was built; only the ones that
  // fail become plan_items rows (with what the LMS said), next to the column creations.
  `
  -- The planner looks up the LMS user of every grade's launch: with lms_sub in the index the
  -- look-up never reads the table (half the planning time at a million grades).
  CREATE INDEX launches_link_sub ON launches(tenant_id, resource_link_id, context_id, external_id, lms_sub);
  DROP INDEX launches_link;
  -- No foreign key or CHECK: they cost a quarter of each append, and the rows are transient
  -- (mergeAcks folds only those of runs that exist, then empties the table).
  CREATE TABLE score_acks (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL,
    column_url    TEXT NOT NULL,
    lms_user_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    score_given   REAL,
    score_maximum REAL NOT NULL,
    comment       TEXT,
    sent_at_ms    INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    message       TEXT,
    acked_at      TEXT NOT NULL
  );
  `,
  // 7: every run on record from its first second (R12). A run row gets the phase it is in
  // (pull, plan, post, fold) and may end 'abandoned' (its process was killed: the next command
  // that looks finds its lease gone); a failed plan item keeps the LMS's HTTP status; a roster
  // read (no-SSO sync) is timed, so an offline dry run can say how old the rosters it used are.
  // SQLite cannot widen a CHECK in place: sync_runs is rebuilt, and its plan items, which the
  // DROP would cascade away, are set aside and put back.
  `
  CREATE TEMP TABLE plan_items_v7 AS SELECT * FROM main.plan_items;
  CREATE TABLE sync_runs_v7 (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    command      TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    options      TEXT NOT NULL,
    fingerprint  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('running','ok','partial','failed','interrupted','abandoned')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    counts       TEXT NOT NULL DEFAULT '{}',
    error        TEXT,
    phase        TEXT CHECK (phase IN ('pull','plan','post','fold')),
    host         TEXT
  );
  INSERT INTO sync_runs_v7 (id, tenant_id, command, os_user, pid, options, fingerprint, status, started_at, finished_at,
    counts, error)
    SELECT id, tenant_id, command, os_user, pid, options, fingerprint, status, started_at, finished_at, counts, error
    FROM main.sync_runs;
  DROP TABLE main.sync_runs;
  ALTER TABLE sync_runs_v7 RENAME TO sync_runs;
  CREATE INDEX sync_runs_tenant ON sync_runs(tenant_id, command, id);
  INSERT INTO main.plan_items SELECT * FROM temp.plan_items_v7;
  DROP TABLE temp.plan_items_v7;
  ALTER TABLE plan_items ADD COLUMN status_code INTEGER;
  CREATE TABLE roster_reads (
    registration_id INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    context_id      TEXT NOT NULL,
    read_at         TEXT NOT NULL,
    PRIMARY KEY (registration_id, context_id)
  ) WITHOUT ROWID;
  `,
  // 8: learner identity and link state (R11, R1, R5). How each LMS user was bound to its Coursera
  // learner (a binding by the LMS user id alone is weaker and gives way to a launch carrying the
  // e-mail); launches refused before any binding or license (no e-mail, a test learner) so doctor
  // can count them; whether test learners may take licenses by launching; and links left stale
  // although their grade-sync option is the LMS's current one again come back.
  `
  ALTER TABLE lms_users ADD COLUMN linked_by TEXT;
  UPDATE lms_users SET linked_by = CASE
    WHEN external_id IS NULL THEN NULL
    WHEN source = 'nrps' THEN 'roster'
    WHEN external_id NOT LIKE '%@%' AND external_id LIKE '%:' || sub THEN 'lms-user-id'
    ELSE 'email' END;
  ALTER TABLE lms_registrations ADD COLUMN test_launches INTEGER NOT NULL DEFAULT 0 CHECK (test_launches IN (0,1));
  CREATE TABLE launch_refusals (
    id               INTEGER PRIMARY KEY,
    registration_id  INTEGER NOT NULL REFERENCES lms_registrations(id) ON DELETE CASCADE,
    reason           TEXT NOT NULL CHECK (reason IN ('no-email','test-learner')),
    sub              TEXT NOT NULL,
    external_id      TEXT,
    context_id       TEXT NOT NULL,
    resource_link_id TEXT NOT NULL,
    refused_at       TEXT NOT NULL
  );
  CREATE INDEX launch_refusals_reason ON launch_refusals(registration_id, reason);
  UPDATE links SET stale_at = NULL, stale_reason = NULL
  WHERE stale_at IS NOT NULL
    AND grade_sync = (SELECT r.grade_sync FROM lms_registrations r WHERE r.id = links.registration_id);
  `,
  // 9 (issue 20): single-use LTI Dynamic Registration URLs. Only the SHA-256 of the URL's token
  // is kept; the URL is shown once. used_at is set when a registration completed through it.
  `
  CREATE TABLE lms_registration_tokens (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    grade_sync  TEXT NOT NULL CHECK (grade_sync IN ('assignment','course','final')),
    public_url  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    claimed_at  TEXT,
    used_at     TEXT,
    issuer      TEXT
  );
  `,
  // 10 (issue 21): what each run posted, kept per run. The journal (score_acks) is emptied when
  // it is folded into score_ledger, and the ledger keeps only the latest acknowledgement per
  // column and learner, so a score posted again later would no longer show in the earlier run.
  // The fold copies the journal here: one row per acknowledged score, bounded by what runs post;
  // a column's URL is stored once (score_columns), so a row takes about 40 bytes, not 120.
  // The failed plan items get an index for `sync show`, which reads them per ledger score.
  `
  CREATE TABLE score_columns (
    id  INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE
  );
  CREATE TABLE run_scores (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    column_id     INTEGER NOT NULL,
    lms_user_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    score_given   REAL,
    score_maximum REAL NOT NULL,
    outcome       TEXT NOT NULL
  );
  CREATE INDEX run_scores_run ON run_scores(run_id, id);
  -- sync show's unchanged rows leave out the scores the run failed to post, looked up per score.
  CREATE INDEX plan_items_failed ON plan_items(run_id, column_url, lms_user_id) WHERE status = 'failed';
  `,
];

export const latestSchemaVersion = migrations.length;

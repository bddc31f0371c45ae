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
];

export const latestSchemaVersion = migrations.length;

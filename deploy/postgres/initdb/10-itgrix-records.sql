-- itgrix: the tables Asterisk's cel_pgsql and cdr_pgsql write (core/records/recordTables.ts; the same
-- DDL as `npm run records-setup -- --print`, checked by test/unit/records/recordTablesFile.test.ts).
-- Idempotent. Run once when the compose PostgreSQL creates its database.

CREATE TABLE IF NOT EXISTS "cel" (
  id bigserial PRIMARY KEY,
  eventtype varchar(30) NOT NULL,
  eventtime timestamp NOT NULL,
  userdeftype varchar(255) NOT NULL DEFAULT '',
  cid_name varchar(80) NOT NULL DEFAULT '',
  cid_num varchar(80) NOT NULL DEFAULT '',
  cid_ani varchar(80) NOT NULL DEFAULT '',
  cid_rdnis varchar(80) NOT NULL DEFAULT '',
  cid_dnid varchar(80) NOT NULL DEFAULT '',
  exten varchar(80) NOT NULL DEFAULT '',
  context varchar(80) NOT NULL DEFAULT '',
  channame varchar(80) NOT NULL DEFAULT '',
  appname varchar(80) NOT NULL DEFAULT '',
  appdata text NOT NULL DEFAULT '',
  amaflags integer NOT NULL DEFAULT 0,
  accountcode varchar(80) NOT NULL DEFAULT '',
  peeraccount varchar(80) NOT NULL DEFAULT '',
  uniqueid varchar(150) NOT NULL DEFAULT '',
  linkedid varchar(150) NOT NULL DEFAULT '',
  userfield varchar(255) NOT NULL DEFAULT '',
  peer text NOT NULL DEFAULT '',
  extra text NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS "cel_linkedid_idx" ON "cel" (linkedid);

CREATE INDEX IF NOT EXISTS "cel_eventtime_idx" ON "cel" (eventtime);

CREATE TABLE IF NOT EXISTS "cdr" (
  id bigserial PRIMARY KEY,
  accountcode varchar(80) NOT NULL DEFAULT '',
  src varchar(80) NOT NULL DEFAULT '',
  dst varchar(80) NOT NULL DEFAULT '',
  dcontext varchar(80) NOT NULL DEFAULT '',
  clid varchar(80) NOT NULL DEFAULT '',
  channel varchar(80) NOT NULL DEFAULT '',
  dstchannel varchar(80) NOT NULL DEFAULT '',
  lastapp varchar(80) NOT NULL DEFAULT '',
  lastdata text NOT NULL DEFAULT '',
  start timestamp,
  answer timestamp,
  "end" timestamp,
  duration integer NOT NULL DEFAULT 0,
  billsec integer NOT NULL DEFAULT 0,
  disposition varchar(45) NOT NULL DEFAULT '',
  amaflags varchar(45) NOT NULL DEFAULT '',
  userfield varchar(255) NOT NULL DEFAULT '',
  uniqueid varchar(150) NOT NULL DEFAULT '',
  linkedid varchar(150) NOT NULL DEFAULT '',
  peeraccount varchar(80) NOT NULL DEFAULT '',
  sequence integer NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS "cdr_linkedid_idx" ON "cdr" (linkedid);

CREATE INDEX IF NOT EXISTS "cdr_start_idx" ON "cdr" (start);

import GRDB

/// The versioned schema. Migrations are only ever appended: a node opens a database written by
/// any older version and brings it up to date before it serves.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE node_meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE accounts (
                        id TEXT PRIMARY KEY NOT NULL,
                        flags INTEGER NOT NULL
                    );
                    CREATE TABLE transfers (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        debit_account TEXT NOT NULL REFERENCES accounts(id),
                        credit_account TEXT NOT NULL REFERENCES accounts(id),
                        amount INTEGER NOT NULL CHECK (amount > 0),
                        is_pending INTEGER NOT NULL,
                        timeout_ms INTEGER,
                        reason TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
                        posted_amount INTEGER NOT NULL CHECK (posted_amount >= 0 AND posted_amount <= amount),
                        resolved_at INTEGER
                    );
                    CREATE INDEX transfers_pending ON transfers(state) WHERE state = 'pending';
                    -- The journal is append-only with respect to ids: an id keeps its accounts and
                    -- amount forever, and only a pending transfer may change state.
                    CREATE TRIGGER transfers_keep_identity
                    BEFORE UPDATE OF id, debit_account, credit_account, amount, is_pending, created_at ON transfers
                    BEGIN SELECT RAISE(ABORT, 'a transfer keeps its id, accounts and amount'); END;
                    CREATE TRIGGER transfers_move_forward
                    BEFORE UPDATE OF state ON transfers WHEN OLD.state <> 'pending'
                    BEGIN SELECT RAISE(ABORT, 'a resolved transfer cannot change state'); END;
                    CREATE TRIGGER transfers_never_deleted
                    BEFORE DELETE ON transfers
                    BEGIN SELECT RAISE(ABORT, 'transfers are never deleted'); END;
                    CREATE TABLE pools (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL UNIQUE,
                        priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 10),
                        metadata TEXT NOT NULL,
                        creation_key TEXT,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE agents (
                        id TEXT PRIMARY KEY NOT NULL,
                        pool_id TEXT NOT NULL REFERENCES pools(id),
                        priority TEXT NOT NULL,
                        initial_budget INTEGER NOT NULL CHECK (initial_budget >= 0),
                        creation_key TEXT,
                        alert_level INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE alerts (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        agent_id TEXT NOT NULL REFERENCES agents(id),
                        pool_id TEXT NOT NULL REFERENCES pools(id),
                        level INTEGER NOT NULL,
                        used INTEGER NOT NULL,
                        budget INTEGER NOT NULL,
                        transfer_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2_peers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE peers (
                        system_id TEXT PRIMARY KEY NOT NULL,
                        address TEXT NOT NULL,
                        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
                        trust_configured INTEGER NOT NULL CHECK (trust_configured BETWEEN 0 AND 10000),
                        trust_effective INTEGER NOT NULL CHECK (trust_effective BETWEEN 0 AND trust_configured),
                        good_messages INTEGER NOT NULL DEFAULT 0,
                        bad_messages INTEGER NOT NULL DEFAULT 0,
                        last_contact INTEGER,
                        source TEXT NOT NULL CHECK (source IN ('config', 'api')),
                        created_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3_federation_records") { db in
            // Settlement and grant records, in the order the node wrote them: replaying them
            // rebuilds the federation state. Written in the same transaction as their ledger
            // movements, and never changed or deleted.
            try db.execute(
                sql: """
                    CREATE TABLE federation_records (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        peer TEXT NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX federation_records_by_id ON federation_records(record_id);
                    CREATE TRIGGER federation_records_append_only
                    BEFORE UPDATE ON federation_records
                    BEGIN SELECT RAISE(ABORT, 'federation records are never changed'); END;
                    CREATE TRIGGER federation_records_never_deleted
                    BEFORE DELETE ON federation_records
                    BEGIN SELECT RAISE(ABORT, 'federation records are never deleted'); END;
                    """)
        }
        migrator.registerMigration("v4_policies") { db in
            try db.execute(
                sql: """
                    -- Every automatic budget change, written in the same transaction as its transfer.
                    CREATE TABLE decisions (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        policy TEXT NOT NULL,
                        pool_id TEXT,
                        agent_id TEXT,
                        old_value INTEGER NOT NULL,
                        new_value INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        inputs TEXT NOT NULL,
                        transfer_id TEXT,
                        at INTEGER NOT NULL
                    );
                    CREATE TRIGGER decisions_append_only BEFORE UPDATE ON decisions
                    BEGIN SELECT RAISE(ABORT, 'decisions are never changed'); END;
                    CREATE TABLE pool_policies (
                        pool_id TEXT NOT NULL REFERENCES pools(id),
                        kind TEXT NOT NULL,
                        body TEXT NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (pool_id, kind)
                    );
                    CREATE TABLE pool_freezes (
                        pool_id TEXT PRIMARY KEY NOT NULL REFERENCES pools(id),
                        frozen_at INTEGER NOT NULL
                    );
                    CREATE TABLE agent_rate_limits (
                        agent_id TEXT PRIMARY KEY NOT NULL REFERENCES agents(id),
                        max_budget INTEGER NOT NULL CHECK (max_budget > 0),
                        window_ms INTEGER NOT NULL CHECK (window_ms > 0)
                    );
                    """)
        }
        migrator.registerMigration("v5_cost_benefit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cost_benefit_operations (
                        agent_id TEXT NOT NULL REFERENCES agents(id),
                        operation_type TEXT NOT NULL,
                        average_cost INTEGER NOT NULL CHECK (average_cost > 0),
                        average_benefit INTEGER NOT NULL CHECK (average_benefit >= 0),
                        benefit_variability INTEGER NOT NULL CHECK (benefit_variability >= 0),
                        PRIMARY KEY (agent_id, operation_type)
                    );
                    CREATE TABLE benefit_reports (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        agent_id TEXT NOT NULL REFERENCES agents(id),
                        benefit INTEGER NOT NULL CHECK (benefit >= 0),
                        at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v6_transfers_by_credit_account") { db in
            // An agent's rate-limit window is rebuilt from its reservations and spends, the
            // transfers that credit its `spent` account, within the last window: found through
            // this index instead of a scan of the whole journal.
            try db.execute(sql: "CREATE INDEX transfers_by_credit_account ON transfers(credit_account, created_at)")
        }
        migrator.registerMigration("v7_bounded_refusals_and_paging") { db in
            try db.execute(
                sql: """
                    -- A giver's refusals, compact (no metadata) and bounded per peer: the oldest are
                    -- deleted past the cap, and the peer's horizon rises to cover them in the same
                    -- transaction. The horizon only grows.
                    CREATE TABLE federation_refusals (
                        peer TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        agent_id TEXT NOT NULL,
                        amount INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        requested_at INTEGER NOT NULL,
                        decided_at INTEGER NOT NULL,
                        PRIMARY KEY (peer, transaction_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE federation_refusal_horizons (
                        peer TEXT PRIMARY KEY NOT NULL,
                        horizon INTEGER NOT NULL
                    );
                    CREATE TRIGGER federation_refusal_horizons_only_grow
                    BEFORE UPDATE OF horizon ON federation_refusal_horizons WHEN NEW.horizon < OLD.horizon
                    BEGIN SELECT RAISE(ABORT, 'a refusal horizon only grows'); END;
                    -- Keyset paging of the filtered lists, newest first.
                    CREATE INDEX alerts_by_agent ON alerts(agent_id, seq);
                    CREATE INDEX decisions_by_pool ON decisions(pool_id, seq);
                    """)
        }
        migrator.registerMigration("v8_peer_trust_recovery") { db in
            // Trust recovers by time: `trust_effective` now holds the level right after the last
            // offense, and `last_offense_at` when it happened. A peer already below its configured
            // level starts recovering at the upgrade.
            try db.execute(
                sql: """
                    ALTER TABLE peers ADD COLUMN last_offense_at INTEGER;
                    UPDATE peers SET last_offense_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
                    WHERE trust_effective < trust_configured;
                    """)
        }
        migrator.registerMigration("v9_ledger_checkpoint") { db in
            // Each account's four counters, written in the same transaction as the transfers that
            // change them, so start-up loads balances instead of replaying the journal; and the
            // indexes that find the transfers of the idempotency window.
            try db.execute(
                sql: """
                    ALTER TABLE accounts ADD COLUMN debits_posted INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE accounts ADD COLUMN credits_posted INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE accounts ADD COLUMN debits_pending INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE accounts ADD COLUMN credits_pending INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX transfers_by_time ON transfers(created_at);
                    CREATE INDEX transfers_window_resolved ON transfers(resolved_at) WHERE resolved_at IS NOT NULL;
                    """)
            for (id, sums) in try LedgerStore.journalSums(db) {
                try db.execute(
                    sql: """
                        UPDATE accounts SET debits_posted = ?, credits_posted = ?, debits_pending = ?, credits_pending = ?
                        WHERE id = ?
                        """,
                    arguments: [sums.debitsPosted, sums.creditsPosted, sums.debitsPending, sums.creditsPending, id])
            }
        }
        migrator.registerMigration("v10_transfer_history") { db in
            // The journal searchable without a scan: who and what each transfer is about, filled
            // for the rows already written, then one `(column, seq)` index per filter for newest-first
            // keyset pages (the creation time has its index since `v9_ledger_checkpoint`; the
            // indexes lead with the time since `v12_history_by_time`). See `TransferHistoryColumns`.
            try db.execute(
                sql: """
                    ALTER TABLE transfers ADD COLUMN agent_id TEXT;
                    ALTER TABLE transfers ADD COLUMN pool_id TEXT;
                    ALTER TABLE transfers ADD COLUMN kind TEXT;
                    """)
            try TransferHistoryColumns.backFill(db)
            try db.execute(
                sql: """
                    CREATE INDEX transfers_by_agent ON transfers(agent_id, seq);
                    CREATE INDEX transfers_by_pool ON transfers(pool_id, seq);
                    CREATE INDEX transfers_by_kind ON transfers(kind, seq);
                    """)
        }
        migrator.registerMigration("v11_federation_checkpoint") { db in
            try db.execute(
                sql: """
                    -- One row per settlement transaction, in the order it was first written: its
                    -- latest record (NULL for a refusal, kept in federation_refusals and deleted with
                    -- it) and whether it is pending. Pages newest first by seq, finds an id, and lists
                    -- the pending ones at start-up without reading the history.
                    CREATE TABLE federation_transactions (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        direction TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
                        peer TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        record_seq INTEGER REFERENCES federation_records(seq),
                        pending INTEGER NOT NULL DEFAULT 0,
                        -- Led by the id: also the index that finds a transaction by id.
                        UNIQUE (transaction_id, direction, peer)
                    );
                    CREATE INDEX federation_transactions_by_peer ON federation_transactions(peer, seq);
                    CREATE INDEX federation_transactions_pending ON federation_transactions(seq) WHERE pending = 1;
                    -- Each peer's running totals (credit used on our line, credit drawn from theirs,
                    -- the settlement digest's sums), changed in the transaction of each record.
                    CREATE TABLE federation_totals (
                        peer TEXT PRIMARY KEY NOT NULL,
                        credit_used INTEGER NOT NULL DEFAULT 0,
                        drawn INTEGER NOT NULL DEFAULT 0,
                        digest_count INTEGER NOT NULL DEFAULT 0,
                        digest_a INTEGER NOT NULL DEFAULT 0,
                        digest_b INTEGER NOT NULL DEFAULT 0,
                        digest_c INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    -- Grant records are read at start-up without the settlement history.
                    CREATE INDEX federation_records_by_kind ON federation_records(kind, seq);
                    """)
        }
        migrator.registerMigration("v12_history_by_time") { db in
            // The history's indexes lead with their filter, then the creation time (the row's seq
            // follows, as in every index): a page is a keyset walk on `(created_at, seq)` that a
            // time filter bounds, and an agent's rate-limit window is a range of its own index, so
            // the index on the credit account that served it alone goes.
            try db.execute(
                sql: """
                    DROP INDEX transfers_by_agent;
                    DROP INDEX transfers_by_pool;
                    DROP INDEX transfers_by_kind;
                    DROP INDEX transfers_by_credit_account;
                    CREATE INDEX transfers_by_agent ON transfers(agent_id, created_at);
                    CREATE INDEX transfers_by_pool ON transfers(pool_id, created_at);
                    CREATE INDEX transfers_by_kind ON transfers(kind, created_at);
                    """)
        }
        migrator.registerMigration("v13_api_keys") { db in
            // Scoped API keys: the SHA-256 of the key, never the key. A revoked key's row goes.
            try db.execute(
                sql: """
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        key_hash BLOB NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
                        agent_ids TEXT NOT NULL,
                        pool_ids TEXT NOT NULL,
                        expires_at INTEGER,
                        creation_key TEXT UNIQUE,
                        created_at INTEGER NOT NULL
                    );
                    ALTER TABLE decisions ADD COLUMN actor TEXT;
                    """)
        }
        migrator.registerMigration("v14_budget_periods") { db in
            try db.execute(sql: LedgerStore.budgetPeriodsTable)
        }
        migrator.registerMigration("v15_webhooks") { db in
            // Webhook subscriptions and the outbox of their deliveries (see `WebhookOutbox.swift`).
            try db.execute(sql: WebhookOutbox.schema)
        }
        migrator.registerMigration("v16_closed_pools_and_agents") { db in
            // When a pool or an agent was closed; NULL while it is open.
            try db.execute(
                sql: """
                    ALTER TABLE pools ADD COLUMN closed_at INTEGER;
                    ALTER TABLE agents ADD COLUMN closed_at INTEGER;
                    """)
        }
        return migrator
    }
}

"""The SQLite schema as numbered migrations, applied in order by the one writer.

`PRAGMA user_version` records how many have been applied. Columns follow the reference app's
where they apply, so an existing 2watcharr database can be imported later without a mapping maze.
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: users, the media list, jobs, subscriptions and the applied-message log.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT,
        is_admin INTEGER NOT NULL DEFAULT 0,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('video', 'podcast')),
        name TEXT,
        description TEXT,
        thumbnail_url TEXT,
        url TEXT,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        type TEXT NOT NULL CHECK (type IN ('video', 'podcast')),
        external_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        duration INTEGER,
        thumbnail_url TEXT,
        url TEXT NOT NULL,
        upload_date TEXT,
        published_date TEXT,
        view_count INTEGER,
        channel_id TEXT REFERENCES channels(id),
        watched INTEGER NOT NULL DEFAULT 0,
        watch_status TEXT NOT NULL DEFAULT 'unwatched',
        favorite INTEGER NOT NULL DEFAULT 0,
        is_deleted INTEGER NOT NULL DEFAULT 0,
        priority TEXT NOT NULL DEFAULT 'none',
        is_short INTEGER NOT NULL DEFAULT 0,
        like_status TEXT,
        notes TEXT,
        is_archived INTEGER NOT NULL DEFAULT 0,
        partial_metadata INTEGER NOT NULL DEFAULT 0,
        subscription_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (external_id, user_id)
    );
    CREATE INDEX episodes_user_created ON episodes (user_id, is_deleted, created_at DESC);

    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        color TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (user_id, name)
    );

    CREATE TABLE episode_tags (
        episode_id INTEGER NOT NULL REFERENCES episodes(id),
        tag_id INTEGER NOT NULL REFERENCES tags(id),
        PRIMARY KEY (episode_id, tag_id)
    );

    CREATE TABLE media_events (
        id INTEGER PRIMARY KEY,
        episode_id INTEGER NOT NULL REFERENCES episodes(id),
        type TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        source TEXT NOT NULL,
        left_out INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_user ON jobs (user_id, created_at DESC);

    CREATE TABLE job_items (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id),
        parent_item_id TEXT,
        url TEXT NOT NULL,
        kind TEXT NOT NULL,
        media_key TEXT,
        tag TEXT,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'expanded', 'added', 'restored', 'failed')),
        reason TEXT,
        title TEXT,
        episode_id INTEGER REFERENCES episodes(id),
        attempts INTEGER NOT NULL DEFAULT 0,
        requeues INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX job_items_job ON job_items (job_id);
    CREATE INDEX job_items_queued ON job_items (state, updated_at);

    CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        feed_url TEXT NOT NULL,
        title TEXT,
        artwork_url TEXT,
        tag TEXT,
        etag TEXT,
        last_modified TEXT,
        last_sync_at TEXT,
        last_status TEXT,
        last_error TEXT,
        is_active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (user_id, feed_url)
    );

    CREATE TABLE subscription_seen_items (
        subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
        key_hash TEXT NOT NULL,
        PRIMARY KEY (subscription_id, key_hash)
    ) WITHOUT ROWID;

    CREATE TABLE applied_messages (
        dedup_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        applied_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: list management. Commands and their outcome; tag names unique per user whatever their case
    # (duplicates from before are merged into the oldest, keeping every episode's links); the user on
    # each history row; indexes for the list's filters, sorts and tag counts; how often a failed item
    # was retried at the user's request, and when.
    """
    CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('applied', 'failed')),
        reason TEXT,
        episode_id INTEGER,
        tag_id INTEGER,
        created_at TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );
    CREATE INDEX commands_user ON commands (user_id, created_at DESC);

    CREATE TEMP TABLE tag_merge AS
        SELECT t.id AS old_id,
            (SELECT MIN(k.id) FROM tags k WHERE k.user_id = t.user_id AND k.name = t.name COLLATE NOCASE)
            AS keep_id
        FROM tags t;
    DELETE FROM tag_merge WHERE old_id = keep_id;
    INSERT OR IGNORE INTO episode_tags (episode_id, tag_id)
        SELECT et.episode_id, m.keep_id FROM episode_tags et JOIN tag_merge m ON m.old_id = et.tag_id;
    DELETE FROM episode_tags WHERE tag_id IN (SELECT old_id FROM tag_merge);
    DELETE FROM tags WHERE id IN (SELECT old_id FROM tag_merge);
    DROP TABLE tag_merge;
    CREATE UNIQUE INDEX tags_user_name_nocase ON tags (user_id, name COLLATE NOCASE);
    CREATE INDEX episode_tags_tag ON episode_tags (tag_id);

    ALTER TABLE media_events ADD COLUMN user_id INTEGER REFERENCES users(id);
    UPDATE media_events SET user_id = (SELECT e.user_id FROM episodes e WHERE e.id = media_events.episode_id);
    CREATE INDEX media_events_episode ON media_events (episode_id);
    CREATE INDEX media_events_user ON media_events (user_id, created_at);

    CREATE INDEX episodes_user_list ON episodes (user_id, is_deleted, is_archived, created_at DESC);
    CREATE INDEX job_items_episode ON job_items (episode_id);
    ALTER TABLE job_items ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE job_items ADD COLUMN retried_at TEXT;
    """,
    # 3: results messages the persister can never apply, kept here (not sent to the results DLQ, which
    # the persister cannot reach without an interface endpoint) so that they leave the queue at once.
    # Keyed by the SQS message id: a redelivery of the same message is recorded once.
    """
    CREATE TABLE dead_letters (
        message_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        reason TEXT NOT NULL,
        type TEXT,
        received_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);
    """,
    # 4: subscriptions of three kinds (podcast feeds, YouTube channels, YouTube playlists), and whether a
    # followed channel's Shorts are added; every subscription from before is a podcast.
    """
    ALTER TABLE subscriptions ADD COLUMN kind TEXT NOT NULL DEFAULT 'podcast'
        CHECK (kind IN ('podcast', 'youtube_channel', 'youtube_playlist'));
    ALTER TABLE subscriptions ADD COLUMN include_shorts INTEGER NOT NULL DEFAULT 1;
    """,
    # 5: moving in. What the reference app keeps beyond this schema (an episode's custom order and
    # archive time, a tag's last use, a channel's and a tag link's time, an event's own id, title and
    # media type); the per-import report; and on job items the extras an import asks for (tags to add,
    # a watched time), applied when the item's episode lands.
    """
    ALTER TABLE episodes ADD COLUMN custom_order INTEGER;
    ALTER TABLE episodes ADD COLUMN archived_at TEXT;
    ALTER TABLE tags ADD COLUMN last_used_at TEXT;
    ALTER TABLE channels ADD COLUMN created_at TEXT;
    ALTER TABLE episode_tags ADD COLUMN created_at TEXT;
    ALTER TABLE media_events ADD COLUMN source_id TEXT;
    ALTER TABLE media_events ADD COLUMN title TEXT;
    ALTER TABLE media_events ADD COLUMN media_type TEXT;
    CREATE UNIQUE INDEX media_events_source ON media_events (user_id, source_id) WHERE source_id IS NOT NULL;

    CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users(id),
        source TEXT NOT NULL,
        user_outcome TEXT,
        chunks INTEGER NOT NULL DEFAULT 0,
        episodes_imported INTEGER NOT NULL DEFAULT 0,
        episodes_merged INTEGER NOT NULL DEFAULT 0,
        tags_imported INTEGER NOT NULL DEFAULT 0,
        tags_merged INTEGER NOT NULL DEFAULT 0,
        channels INTEGER NOT NULL DEFAULT 0,
        tag_links INTEGER NOT NULL DEFAULT 0,
        events INTEGER NOT NULL DEFAULT 0,
        watched_marked INTEGER NOT NULL DEFAULT 0,
        not_on_list INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE import_skips (
        import_id TEXT NOT NULL REFERENCES imports(id),
        sequence INTEGER NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX import_skips_import ON import_skips (import_id, sequence);

    ALTER TABLE job_items ADD COLUMN import_tags TEXT;
    ALTER TABLE job_items ADD COLUMN watched_at TEXT;
    """,
    # 6: when a command last set each of the fields an add's restore resets, so that the restore of an
    # add accepted before that command (its result arriving after it) leaves the user's change alone;
    # the open first-sync items of subscriptions, which each FeedChecked looks for.
    """
    ALTER TABLE episodes ADD COLUMN watch_set_at TEXT;
    ALTER TABLE episodes ADD COLUMN archived_set_at TEXT;
    ALTER TABLE episodes ADD COLUMN deleted_set_at TEXT;
    ALTER TABLE episodes ADD COLUMN tags_set_at TEXT;
    CREATE INDEX job_items_open_feed ON job_items (media_key) WHERE kind = 'feed' AND state = 'queued';
    """,
)

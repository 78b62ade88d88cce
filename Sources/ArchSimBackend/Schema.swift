// SPDX-License-Identifier: GPL-3.0-or-later
import GRDB

/// The tables of the shop, the same on the primary and on every replica. The primary also
/// appends to `change_log`; a replica records in `replication_state` how far it has applied it.
enum Schema {
    static let tables = """
    CREATE TABLE IF NOT EXISTS products (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        price_cents INTEGER NOT NULL,
        stock INTEGER NOT NULL CHECK (stock >= 0)
    );
    CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sessions (
        token TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        created_ns INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cart_items (
        user_id INTEGER NOT NULL,
        product_id INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        PRIMARY KEY (user_id, product_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        idempotency_key TEXT UNIQUE,
        total_cents INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_ns INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS order_items (
        order_id INTEGER NOT NULL,
        product_id INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        price_cents INTEGER NOT NULL,
        PRIMARY KEY (order_id, product_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS payments (
        id INTEGER PRIMARY KEY,
        order_id INTEGER NOT NULL UNIQUE,
        amount_cents INTEGER NOT NULL,
        created_ns INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        payload BLOB NOT NULL,
        committed_ns INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS replication_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        applied_seq INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO replication_state (id, applied_seq) VALUES (1, 0);
    CREATE TABLE IF NOT EXISTS catalogue_info (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        products INTEGER NOT NULL,
        users INTEGER NOT NULL,
        seed INTEGER NOT NULL
    );
    """

    /// Built after the bulk insert: one sorted build is much faster than growing an index row by row.
    static let indexes = """
    CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email);
    CREATE INDEX IF NOT EXISTS products_name ON products (name);
    CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id);
    """
}

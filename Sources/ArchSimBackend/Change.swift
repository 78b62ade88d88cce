// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import GRDB

/// One change of the primary, in the form replicas apply it: row images with absolute values
/// (a stock *level*, not a decrement), so applying a change twice leaves the same state and a
/// replica that applies the log in order converges to the primary.
enum Change: Codable, Sendable, Equatable {
    case stock(productID: Int64, stock: Int64)
    case session(token: String, userID: Int64, createdNs: Int64)
    /// quantity 0 removes the line.
    case cartItem(userID: Int64, productID: Int64, quantity: Int64)
    case cartCleared(userID: Int64)
    case order(id: Int64, userID: Int64, idempotencyKey: String?, totalCents: Int64, status: String, createdNs: Int64,
               items: [OrderLine])
    case orderStatus(id: Int64, status: String)
    case payment(id: Int64, orderID: Int64, amountCents: Int64, createdNs: Int64)

    struct OrderLine: Codable, Sendable, Equatable {
        var productID: Int64
        var quantity: Int64
        var priceCents: Int64
    }

    /// The product whose cached copy this change makes stale, if any.
    var invalidatedProduct: Int64? {
        if case .stock(let id, _) = self { return id }
        return nil
    }

    /// Applies the change to a replica's tables. Parameterised SQL only.
    func apply(to db: Database) throws {
        switch self {
        case .stock(let id, let stock):
            try db.execute(sql: "UPDATE products SET stock = ? WHERE id = ?", arguments: [stock, id])
        case .session(let token, let user, let created):
            try db.execute(sql: "INSERT OR REPLACE INTO sessions (token, user_id, created_ns) VALUES (?, ?, ?)",
                           arguments: [token, user, created])
        case .cartItem(let user, let product, let quantity):
            if quantity == 0 {
                try db.execute(sql: "DELETE FROM cart_items WHERE user_id = ? AND product_id = ?", arguments: [user, product])
            } else {
                try db.execute(sql: "INSERT OR REPLACE INTO cart_items (user_id, product_id, quantity) VALUES (?, ?, ?)",
                               arguments: [user, product, quantity])
            }
        case .cartCleared(let user):
            try db.execute(sql: "DELETE FROM cart_items WHERE user_id = ?", arguments: [user])
        case .order(let id, let user, let key, let total, let status, let created, let items):
            try db.execute(sql: "INSERT OR REPLACE INTO orders (id, user_id, idempotency_key, total_cents, status, created_ns) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, user, key, total, status, created])
            for line in items {
                try db.execute(sql: "INSERT OR REPLACE INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)",
                               arguments: [id, line.productID, line.quantity, line.priceCents])
            }
        case .orderStatus(let id, let status):
            try db.execute(sql: "UPDATE orders SET status = ? WHERE id = ?", arguments: [status, id])
        case .payment(let id, let order, let amount, let created):
            try db.execute(sql: "INSERT OR REPLACE INTO payments (id, order_id, amount_cents, created_ns) VALUES (?, ?, ?, ?)",
                           arguments: [id, order, amount, created])
        }
    }
}

/// The primary's ordered change log (`change_log`): each write transaction appends its changes
/// before it commits, so sequence numbers follow commit order (SQLite has one writer at a time)
/// and a reader always sees a prefix of the log.
enum ReplicationLog {
    /// Appends `changes` inside the caller's write transaction; returns the last sequence number
    /// (nil when there is nothing to append). `committed_ns` is taken here, just before the
    /// commit, on the monotonic clock; a replica's lag is its apply time minus this.
    static func append(_ changes: [Change], in db: Database) throws -> Int64? {
        guard !changes.isEmpty else { return nil }
        let encoder = JSONEncoder()
        let now = monotonicNanoseconds()
        let statement = try db.cachedStatement(sql: "INSERT INTO change_log (payload, committed_ns) VALUES (?, ?)")
        for change in changes {
            try statement.execute(arguments: [try encoder.encode(change), now])
        }
        return db.lastInsertedRowID
    }

    struct Entry: Sendable {
        var seq: Int64
        var change: Change
        var committedNs: Int64
    }

    /// Entries after `seq`, in order, at most `limit`.
    static func entries(after seq: Int64, limit: Int, in db: Database) throws -> [Entry] {
        let decoder = JSONDecoder()
        let rows = try Row.fetchAll(db, sql: "SELECT seq, payload, committed_ns FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
                                    arguments: [seq, limit])
        return try rows.map { row in
            Entry(seq: row["seq"], change: try decoder.decode(Change.self, from: row["payload"] as Data), committedNs: row["committed_ns"])
        }
    }

    static func lastSeq(in db: Database) throws -> Int64 {
        // AUTOINCREMENT: sequence numbers are never reused, even after the log is truncated.
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'") ?? 0
    }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// A database server's row locks (InnoDB's exclusive record locks): writes of one row run one
/// at a time, in arrival order. A lock exists only while it is held, so memory follows the rows
/// locked at once, not the rows of the key space.
///
/// Each held row is a one-slot ``Pool`` (its holder and FIFO queue), found through a
/// ``SparseKeyMap``; a released row's pool is kept for the next row locked, so a steady load
/// allocates nothing. Like ``Pool``, it knows nothing of events. O(1) expected, but
/// ``cancel(_:key:at:)`` (O(waiters of that row)) and ``clear()`` (O(rows ever locked at once)).
package struct RowLocks {
    /// Key → index into `rows` of the rows locked now.
    private var index = SparseKeyMap()
    private var rows: [Pool] = []
    /// Indices of `rows` not in use.
    private var unused: [Int] = []

    package init() {}

    /// Rows locked now.
    package var locked: Int { index.count }

    /// `task` asks for the lock of `key`: true if it holds it now, else it waits (FIFO).
    package mutating func acquire(_ task: TaskID, key: UInt64, at now: Int64) -> Bool {
        if let slot = index[key] {
            _ = rows[Int(slot)].acquire(task, at: now)
            return false
        }
        let slot: Int
        if let reused = unused.popLast() {
            slot = reused
        } else {
            rows.append(Pool(slots: 1, gauged: false))
            slot = rows.count - 1
        }
        rows[slot].take(at: now)
        index.set(key, Int64(slot))
        return true
    }

    /// The holder of `key`'s lock gives it up: the longest waiter gets it (returned, with how
    /// long it waited), else the row is unlocked.
    package mutating func release(key: UInt64, at now: Int64) -> Pool.Handoff {
        guard let slot = index[key] else { preconditionFailure("releasing a row lock nobody holds") }
        let handoff = rows[Int(slot)].release(at: now)
        if handoff == .freed {
            index.remove(key)
            unused.append(Int(slot))
        }
        return handoff
    }

    /// `task` stops waiting for `key`'s lock (its wait limit passed). Returns whether it was waiting.
    package mutating func cancel(_ task: TaskID, key: UInt64, at now: Int64) -> Bool {
        guard let slot = index[key] else { return false }
        return rows[Int(slot)].cancel(task, at: now)
    }

    /// A crash: every lock and every wait is gone (the caller fails the tasks).
    package mutating func clear() {
        index.removeAll()
        unused.removeAll(keepingCapacity: true)
        for slot in rows.indices {
            rows[slot].clear(at: 0)
            unused.append(slot)
        }
    }
}

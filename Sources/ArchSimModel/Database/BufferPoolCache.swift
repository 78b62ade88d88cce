// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A database server's buffer pool (InnoDB's): the rows it keeps in memory, least recently used
/// evicted. A keyed read that finds its row costs the server's `read` time; one that misses
/// first reads the row from disk (`miss`, after waiting for one of the server's disks) and
/// brings it in. A write, and a replica's apply, bring their row in at no disk cost.
///
/// Rows are identified by the engine's packed key (key space, key id), so rows of different
/// key spaces never collide. Memory is the ``CacheStore``'s: 32–40 bytes per row held, never
/// more than `capacity` rows, whatever the size of the key space.
package struct BufferPoolCache {
    package private(set) var rows: CacheStore
    /// The disk read of a missing row.
    package let miss: Sampler
    /// Keyed reads looked up, and found, after the warm-up.
    package private(set) var lookups = 0
    package private(set) var hits = 0

    package init(_ pool: BufferPool, name: String, streams: RandomStreams) {
        // LRU never draws from its stream; it is named for the record.
        rows = CacheStore(capacity: pool.capacity, eviction: .lru, stream: streams.stream("database.\(name).buffer_pool"))
        miss = Sampler(distribution: pool.miss, stream: streams.stream("database.\(name).miss"))
    }

    /// A keyed read looks its row up: true if it is in memory. A missing row is brought in at
    /// once (a second read of it while the first waits for the disk finds it: the pages of
    /// the independent-reference model). O(1) expected.
    package mutating func read(_ key: UInt64, counted: Bool) -> Bool {
        let hit = rows.get(key, now: 0)
        if !hit { rows.set(key, expiresAt: Int64.max, now: 0) }
        if counted {
            lookups += 1
            if hit { hits += 1 }
        }
        return hit
    }

    /// A write or an apply brings its row in (or refreshes it). O(1) expected.
    package mutating func bringIn(_ key: UInt64) { rows.set(key, expiresAt: Int64.max, now: 0) }

    /// The server restarted: memory is empty.
    package mutating func clear() { rows.removeAll() }

    /// Hits over keyed reads after the warm-up; nil before any.
    package var hitRatio: Double? { lookups > 0 ? Double(hits) / Double(lookups) : nil }
}

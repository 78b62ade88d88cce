// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// One cache node's entries: keys (`UInt64`) with an expiry time, evicted by a policy when
/// the node is full.
///
/// Storage is integer-indexed arrays and no `Dictionary` or `Set` (whose hashing is seeded per
/// process), so the same sequence of calls with the same random stream always leaves the same
/// state, and nothing is allocated per operation once the node has filled (buffers grow
/// geometrically up to `capacity` and are kept by ``removeAll()``). Every operation is O(1)
/// expected (the hash table's probes) for every policy.
///
/// Layout: the occupied slots are exactly `0..<count`, `entries[slot]` holding (key, expiry);
/// a ``CacheSlotTable`` maps key → slot; the policy's ``CacheEvictionOrder`` orders slots. A
/// removed slot is filled by the last one, so slots stay dense.
///
/// Memory per cached entry, once full (buffers sized to `capacity`): 16 bytes of entry + 8–16
/// bytes of table (4-byte cells, load ¼–½), plus the policy's order: LRU and FIFO 8 (links),
/// LFU 12 (links, bucket index) + 24 per frequency bucket, RANDOM 0. So 24–32 bytes (RANDOM),
/// 32–40 (LRU, FIFO), 36–44 + buckets (LFU). Measured (`CacheStoreTests.testMemoryPerEntry`,
/// 200,000 entries from a 1,000,000-key Zipf catalogue, table at load 0.38): RANDOM 26.5,
/// LRU and FIFO 34.5, LFU 38.6 bytes per entry — 5.3 to 7.7 MB per node.
///
/// Expiry is lazy: an expired entry stays stored (and counts toward `count`, and may be chosen
/// as a victim like any other entry) until a `get` or `set` of its key finds it expired and
/// removes it, counting an expiration. This is what a read path observes; it only differs
/// from eager expiry in which entry occupies a slot.
///
/// Access is `package`, not `public`: the simulation uses it inside this module, and the tests
/// (which run in release builds, where `@testable import` is unavailable) reach it as members
/// of the same package; it is not part of the library's public interface.
package struct CacheStore {
    /// Counts since creation or ``resetCounters()``.
    package struct Counters: Equatable {
        /// `get` calls.
        package var gets = 0
        /// `get` calls that found a live entry.
        package var hits = 0
        /// Entries removed by the eviction policy to make room.
        package var evictions = 0
        /// Expired entries removed when a `get` or `set` found them.
        package var expirations = 0

        package var misses: Int { gets - hits }
        /// hits / gets (0 before any get).
        package var hitRatio: Double { gets == 0 ? 0 : Double(hits) / Double(gets) }

        package init(gets: Int = 0, hits: Int = 0, evictions: Int = 0, expirations: Int = 0) {
            self.gets = gets; self.hits = hits; self.evictions = evictions; self.expirations = expirations
        }
    }

    /// Most entries held at once (≥ 0; a node of capacity 0 stores nothing).
    package let capacity: Int
    package let eviction: EvictionPolicy
    package private(set) var counters = Counters()

    /// `entries[slot]` for the occupied slots `0..<count`.
    package private(set) var entries: [CacheEntry] = []
    private(set) var table = CacheSlotTable()
    // The order of the node's policy; the others stay empty (no buffers).
    private(set) var lru: LRUOrder
    private(set) var fifo: FIFOOrder
    private(set) var lfu: LFUOrder
    private(set) var random: RandomOrder

    /// An empty node. `stream` is drawn from only by random eviction (one draw per eviction).
    /// O(1): buffers grow as entries arrive.
    package init(capacity: Int, eviction: EvictionPolicy, stream: RandomStream) {
        precondition(capacity >= 0 && capacity <= 1 << 30, "cache capacity must be in 0...2^30 (got \(capacity))")
        self.capacity = capacity
        self.eviction = eviction
        lru = LRUOrder(capacity: capacity)
        fifo = FIFOOrder(capacity: capacity)
        lfu = LFUOrder(capacity: capacity)
        random = RandomOrder(stream: stream)
    }

    /// Entries stored (live or expired-but-not-yet-removed). O(1).
    package var count: Int { entries.count }

    /// Looks `key` up at time `now` (ns). A hit counts as a use (LRU recency, LFU frequency;
    /// FIFO and RANDOM ignore it). An expired entry (`expiresAt ≤ now`) is removed and counts
    /// as a miss and an expiration. O(1) expected.
    package mutating func get(_ key: UInt64, now: Int64) -> Bool {
        counters.gets += 1
        let cell = table.find(key, in: entries)
        if cell < 0 { return false }
        let slot = table.slot(at: cell)
        if entries[Int(slot)].expiresAt <= now {
            counters.expirations += 1
            remove(slot, cell: cell)
            return false
        }
        counters.hits += 1
        touch(slot)
        return true
    }

    /// Inserts or refreshes `key`, expiring at `expiresAt` (ns; `Int64.max` = never).
    ///
    /// A live entry of `key` is refreshed in place: new expiry, and a use for LRU and LFU; FIFO
    /// keeps its insertion position, RANDOM does nothing. An expired entry of `key` is removed
    /// (an expiration) and the key is inserted anew. A new key in a full node first evicts one
    /// entry chosen by the policy. O(1) expected.
    package mutating func set(_ key: UInt64, expiresAt: Int64, now: Int64) {
        if capacity == 0 { return }
        let cell = table.find(key, in: entries)
        if cell >= 0 {
            let slot = table.slot(at: cell)
            if entries[Int(slot)].expiresAt > now {
                entries[Int(slot)].expiresAt = expiresAt
                touch(slot)
                return
            }
            counters.expirations += 1
            remove(slot, cell: cell)
        }
        let entry = CacheEntry(key: key, expiresAt: expiresAt)
        if entries.count < capacity {
            let slot = Int32(entries.count)
            table.reserve(entries.count + 1, entries: entries)
            entries.appendCapped(entry, limit: capacity)
            table.insert(key, slot: slot)
            switch eviction {
            case .lru: lru.append(slot)
            case .fifo: fifo.append(slot)
            case .lfu: lfu.append(slot)
            case .random: random.append(slot)
            }
        } else {
            let victim: Int32
            switch eviction {
            case .lru: victim = lru.victim(count: entries.count)
            case .fifo: victim = fifo.victim(count: entries.count)
            case .lfu: victim = lfu.victim(count: entries.count)
            case .random: victim = random.victim(count: entries.count)
            }
            let old = entries[Int(victim)].key
            table.remove(cell: table.find(old, in: entries), entries: entries)
            counters.evictions += 1
            entries[Int(victim)] = entry
            table.insert(key, slot: victim)
            switch eviction {
            case .lru: lru.replace(victim)
            case .fifo: fifo.replace(victim)
            case .lfu: lfu.replace(victim)
            case .random: random.replace(victim)
            }
        }
    }

    /// Removes `key` if stored (invalidation). Returns whether it was stored — an expired entry
    /// not yet removed counts as stored. Counts nothing. O(1) expected.
    @discardableResult
    package mutating func delete(_ key: UInt64) -> Bool {
        let cell = table.find(key, in: entries)
        if cell < 0 { return false }
        remove(table.slot(at: cell), cell: cell)
        return true
    }

    /// Empties the node (a crash), keeping its buffers and counters. O(table size).
    package mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        table.removeAll()
        switch eviction {
        case .lru: lru.removeAll()
        case .fifo: fifo.removeAll()
        case .lfu: lfu.removeAll()
        case .random: random.removeAll()
        }
    }

    /// Zeroes ``counters`` (e.g. at the end of a warm-up). O(1).
    package mutating func resetCounters() { counters = Counters() }

    // MARK: Internals

    @inline(__always) private mutating func touch(_ slot: Int32) {
        switch eviction {
        case .lru: lru.touch(slot)
        case .fifo: fifo.touch(slot)
        case .lfu: lfu.touch(slot)
        case .random: random.touch(slot)
        }
    }

    /// Removes the entry in `slot` (found at table `cell`); the last slot moves into it.
    private mutating func remove(_ slot: Int32, cell: Int) {
        let last = Int32(entries.count - 1)
        table.remove(cell: cell, entries: entries)
        switch eviction {
        case .lru: lru.remove(slot, last: last)
        case .fifo: fifo.remove(slot, last: last)
        case .lfu: lfu.remove(slot, last: last)
        case .random: random.remove(slot, last: last)
        }
        if slot != last {
            let moved = entries[Int(last)]
            entries[Int(slot)] = moved
            table.repoint(moved.key, from: last, to: slot)
        }
        entries.removeLast()
    }
}

// SPDX-License-Identifier: GPL-3.0-or-later

extension CacheStore {
    /// Bytes held by the node's buffers: each array's capacity × its element stride, plus the
    /// struct itself (array headers and the allocator's rounding are not counted). O(1).
    package var memoryBytes: Int {
        MemoryLayout<CacheStore>.size + entries.capacity * MemoryLayout<CacheEntry>.stride
            + table.memoryBytes + lru.memoryBytes + fifo.memoryBytes + lfu.memoryBytes + random.memoryBytes
    }

    /// Checks the whole structure with `precondition`: count within capacity; the table maps
    /// exactly the stored keys to their slots (so no key is stored twice), each reachable from its home cell; the policy's
    /// lists hold every slot once, with consistent links (LFU: increasing nonempty buckets, no
    /// leaked bucket); the unused policies' orders are empty. O(capacity).
    ///
    /// Never called by the store itself, so it costs the simulation nothing; the tests call it
    /// after every operation (in release builds too, which is how they run).
    package func checkInvariants() {
        precondition(count <= capacity, "count \(count) > capacity \(capacity)")
        precondition(counters.hits <= counters.gets, "more hits than gets")
        table.checkInvariants(entries: entries)
        lru.checkInvariants(count: eviction == .lru ? count : 0)
        fifo.checkInvariants(count: eviction == .fifo ? count : 0)
        lfu.checkInvariants(count: eviction == .lfu ? count : 0)
        random.checkInvariants(count: count)
    }

    /// The hash table's cells (slot indices, −1 = empty). For tests.
    package var tableCells: [Int32] { table.cells }

    /// The stored keys in eviction order, first to go first (LRU: least recent first; FIFO:
    /// oldest first; LFU: lowest frequency, least recent first; RANDOM: slot order). O(count log
    /// count). For tests.
    package var keysInEvictionOrder: [UInt64] {
        switch eviction {
        case .lru: return lru.slotsByRecency.reversed().map { entries[Int($0)].key }
        case .fifo: return fifo.slotsByInsertion.reversed().map { entries[Int($0)].key }
        case .lfu: return lfu.bucketsByFrequency.flatMap { $0.slots.reversed() }.map { entries[Int($0)].key }
        case .random: return entries.map(\.key)
        }
    }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Where keys land: a cache node (the cache's salted stable hash) or a database shard
/// (``Database/shard(of:shards:)``), exactly as the simulation places them, so that a hot key
/// loads its own node or shard.
enum KeyPlacement {
    /// Splits per-key rates of key space `space` over `parts`: each exactly-kept key of
    /// `buckets` goes to `part(key)`; the other keys are spread evenly (each part holds about
    /// the same number of them). Returns each part's total of `count × perKey`.
    /// O(exact keys + parts).
    static func split(_ perKey: [Double], buckets: KeyBuckets, space: Int, parts: Int, part: (UInt64) -> Int) -> [Double] {
        var total = 0.0
        for i in perKey.indices { total += buckets.count[i] * perKey[i] }
        guard parts > 1 else { return [total] }
        var split = [Double](repeating: 0, count: parts)
        var spread = total
        for i in 0..<min(buckets.exactKeys, perKey.count) where perKey[i] > 0 {
            split[part(KeyId.make(space: space, id: i))] += perKey[i]
            spread -= perKey[i]
        }
        let even = max(0, spread) / Double(parts)
        for p in split.indices { split[p] += even }
        return split
    }

    /// The node of `cache` holding `key` (``DistributedCache/node(of:)``).
    static func node(of key: UInt64, cache: Cache) -> Int {
        Int(StableHash.mix(key ^ StableHash.fnv1a64(cache.name)) % UInt64(cache.nodes))
    }

    /// A split of `count` queries that go wherever their keys say: keyless ones to part 0,
    /// fresh ones evenly.
    static func even(_ count: Double, parts: Int) -> [Double] { [Double](repeating: count / Double(parts), count: parts) }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A map from packed keys (``KeyId``) to `Int64`, whose memory follows the keys stored, not the
/// size of their key spaces: a 10^8-key catalogue of which 50,000 keys were written costs
/// ~1.6 MB, not 800 MB.
///
/// Open addressing with linear probing over a power-of-two table (load ≤ ½), hashed by the
/// engine's stable hash (``StableHash/mix(_:)``), and removal by backward shift (no
/// tombstones). No `Dictionary`: nothing here depends on the process's hash seed, and the
/// table is two flat arrays. Lookup, insert and remove are O(1) expected; 16 bytes per slot,
/// 32–64 bytes per key stored.
package struct SparseKeyMap {
    /// Marks an empty slot: no packed key is all ones (the key space index has 24 bits).
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var values: [Int64]
    private var mask: Int
    package private(set) var count = 0

    package init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// Slots allocated (memory diagnostics).
    package var slots: Int { keys.count }

    @inline(__always) private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: StableHash.mix(key)) & mask }

    /// The slot holding `key`, or -1.
    @inline(__always) private func find(_ key: UInt64) -> Int {
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return i }
            if k == Self.empty { return -1 }
            i = (i + 1) & mask
        }
    }

    /// The value of `key`, or nil.
    @inline(__always) package subscript(key: UInt64) -> Int64? {
        let i = find(key)
        return i < 0 ? nil : values[i]
    }

    /// Sets `key`'s value (inserting it if absent).
    package mutating func set(_ key: UInt64, _ value: Int64) {
        precondition(key != Self.empty, "not a packed key")
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { values[i] = value; return }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
        if count * 2 > keys.count { grow() }
    }

    /// Removes `key` if present; returns its value.
    @discardableResult
    package mutating func remove(_ key: UInt64) -> Int64? {
        var i = find(key)
        guard i >= 0 else { return nil }
        let value = values[i]
        count -= 1
        // Backward shift: move later entries of the probe run into the hole when their home
        // allows it, so that every lookup still finds its key before an empty slot.
        var j = i
        while true {
            j = (j + 1) & mask
            let k = keys[j]
            if k == Self.empty { break }
            let h = home(k)
            // k may move to i if i lies cyclically in [h, j).
            let fits = i <= j ? (h <= i || h > j) : (h <= i && h > j)
            if fits {
                keys[i] = k
                values[i] = values[j]
                i = j
            }
        }
        keys[i] = Self.empty
        return value
    }

    /// Replaces every value `v` by `transform(v)`. The visiting order is the table's, which
    /// depends only on the keys stored (no seeded hashing); `transform` must not depend on it.
    package mutating func updateValues(_ transform: (Int64) -> Int64) {
        for i in keys.indices where keys[i] != Self.empty { values[i] = transform(values[i]) }
    }

    package mutating func removeAll() {
        for i in keys.indices { keys[i] = Self.empty }
        count = 0
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: Self.empty, count: oldKeys.count * 2)
        values = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for i in oldKeys.indices where oldKeys[i] != Self.empty { set(oldKeys[i], oldValues[i]) }
    }
}

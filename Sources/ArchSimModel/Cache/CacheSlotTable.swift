// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// One cached entry's stored state: its key and when it expires (ns; `Int64.max` = never).
package struct CacheEntry: Equatable {
    package var key: UInt64
    package var expiresAt: Int64
}

/// The key → slot index of a ``CacheStore``: open addressing with linear probing and
/// backward-shift deletion (no tombstones, so probe lengths never degrade under churn).
///
/// A cell holds a slot index (`Int32`, −1 = empty), not the key: the key is read from the
/// store's `entries[slot]`, which every call is handed. Hashing is `StableHash.mix`, the same in
/// every process (Swift's `Hasher` is seeded per process, so `Dictionary` is not used).
///
/// The table is a power of two and at most half full, so a lookup probes about 1.5 cells on a
/// hit and 2.5 on a miss (Knuth's linear-probing estimates at load ½). Memory: 4 bytes per
/// cell, i.e. 8–16 bytes per entry once the store is full.
struct CacheSlotTable {
    static let empty: Int32 = -1
    private(set) var cells: [Int32]
    private var mask: Int

    init() {
        cells = Array(repeating: Self.empty, count: 16)
        mask = 15
    }

    /// The first cell probed for `key`.
    @inline(__always) func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: StableHash.mix(key)) & mask
    }

    /// The slot stored in `cell`.
    @inline(__always) func slot(at cell: Int) -> Int32 { cells[cell] }

    /// The cell holding `key`, or −1. O(1) expected.
    @inline(__always) func find(_ key: UInt64, in entries: [CacheEntry]) -> Int {
        var i = home(key)
        while true {
            let s = cells[i]
            if s < 0 { return -1 }
            if entries[Int(s)].key == key { return i }
            i = (i &+ 1) & mask
        }
    }

    /// Records that `key` (absent from the table) lives in `slot`. The caller has made room
    /// with ``reserve(_:entries:)``. O(1) expected.
    @inline(__always) mutating func insert(_ key: UInt64, slot: Int32) {
        var i = home(key)
        while cells[i] >= 0 { i = (i &+ 1) & mask }
        cells[i] = slot
    }

    /// Empties `cell`, shifting later members of its cluster back so that no probe sequence
    /// is broken. `entries` must still hold the keys of every slot in the table. O(1) expected.
    mutating func remove(cell: Int, entries: [CacheEntry]) {
        var hole = cell
        var j = cell
        while true {
            j = (j &+ 1) & mask
            let s = cells[j]
            if s < 0 { break }
            // The member at j may fill the hole iff its home is not cyclically within (hole, j].
            let h = home(entries[Int(s)].key)
            if (j &- h) & mask >= (j &- hole) & mask {
                cells[hole] = s
                hole = j
            }
        }
        cells[hole] = Self.empty
    }

    /// Points the cell of `key` (which holds slot `from`) at slot `to`. O(1) expected.
    mutating func repoint(_ key: UInt64, from: Int32, to: Int32) {
        var i = home(key)
        while cells[i] != from { i = (i &+ 1) & mask }
        cells[i] = to
    }

    /// Grows (doubling, rehashing `entries`) so that `count` entries keep the load ≤ ½.
    /// Amortised O(1) per insertion; never shrinks.
    @inline(__always) mutating func reserve(_ count: Int, entries: [CacheEntry]) {
        if count * 2 > cells.count { grow(to: count, entries: entries) }
    }

    private mutating func grow(to count: Int, entries: [CacheEntry]) {
        var size = cells.count
        while count * 2 > size { size *= 2 }
        cells = Array(repeating: Self.empty, count: size)
        mask = size - 1
        for (slot, entry) in entries.enumerated() { insert(entry.key, slot: Int32(slot)) }
    }

    /// Empties every cell, keeping the size. O(cells).
    mutating func removeAll() {
        cells.withUnsafeMutableBufferPointer { $0.update(repeating: Self.empty) }
    }

    /// Bytes held (the cell buffer's capacity × stride).
    var memoryBytes: Int { cells.capacity * MemoryLayout<Int32>.stride }

    /// Checks every occupied cell: a live slot, reachable from its home without crossing an
    /// empty cell, and `occupied == entries.count`. O(cells). For tests.
    func checkInvariants(entries: [CacheEntry]) {
        precondition(cells.count.nonzeroBitCount == 1 && mask == cells.count - 1, "table size")
        precondition(entries.count * 2 <= cells.count, "table load above ½")
        var occupied = 0
        var seen = [Bool](repeating: false, count: entries.count)
        for (cell, s) in cells.enumerated() where s >= 0 {
            occupied += 1
            precondition(Int(s) < entries.count, "cell \(cell) points past the last slot")
            precondition(!seen[Int(s)], "slot \(s) in two cells")
            seen[Int(s)] = true
            var i = home(entries[Int(s)].key)
            while i != cell {
                precondition(cells[i] >= 0, "cell \(cell) unreachable from its home")
                i = (i + 1) & mask
            }
        }
        precondition(occupied == entries.count, "table holds \(occupied) slots, store \(entries.count)")
        for (slot, e) in entries.enumerated() {
            let c = find(e.key, in: entries)
            precondition(c >= 0 && Int(cells[c]) == slot, "key of slot \(slot) not found at its slot")
        }
    }
}

extension Array {
    /// Appends, growing the buffer geometrically (from 16) but never past `limit` elements, so
    /// a full cache holds no slack beyond the allocator's rounding.
    @inline(__always) mutating func appendCapped(_ element: Element, limit: Int) {
        if count == capacity { reserveCapacity(Swift.min(limit, Swift.max(16, count * 2))) }
        append(element)
    }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The eviction bookkeeping of a ``CacheStore``: which occupied slot to empty when a new key
/// arrives at a full node. One conforming type per ``EvictionPolicy``, each O(1) per call.
///
/// The store keeps its slots dense — the occupied slots are exactly `0..<count` — so an order
/// sees a slot appended at the end, a victim's slot refilled in place, or a slot emptied with
/// the last slot moved into it.
protocol CacheEvictionOrder {
    /// Slot `slot` (== the previous count) now holds a newly inserted key.
    mutating func append(_ slot: Int32)
    /// The key in `slot` was used: read by a hit, or refreshed by a set of a present key.
    mutating func touch(_ slot: Int32)
    /// The slot the next eviction empties, among `count` > 0 occupied slots.
    func victim(count: Int) -> Int32
    /// The victim's `slot` now holds a newly inserted key (eviction and insertion in one step).
    mutating func replace(_ slot: Int32)
    /// `slot`'s key left (deleted or expired). If `slot != last`, the key in the last slot
    /// `last` moves into `slot`; the number of slots then shrinks by one.
    mutating func remove(_ slot: Int32, last: Int32)
    /// Forgets every slot, keeping buffers.
    mutating func removeAll()
    /// Bytes held by the order's buffers (capacities × strides).
    var memoryBytes: Int { get }
    /// Checks the order's structure against `count` occupied slots (`precondition`). For tests.
    func checkInvariants(count: Int)
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Random eviction: the victim is uniform over the occupied slots, `stream.index(below:
/// count)` — the store keeps slots dense (a removed slot is filled by the last one), so that
/// is uniform over the cached keys. One draw per eviction and no other state: 0 bytes per slot.
struct RandomOrder: CacheEvictionOrder {
    let stream: RandomStream

    func append(_ slot: Int32) {}
    func touch(_ slot: Int32) {}
    func victim(count: Int) -> Int32 { Int32(truncatingIfNeeded: stream.index(below: count)) }
    func replace(_ slot: Int32) {}
    func remove(_ slot: Int32, last: Int32) {}
    func removeAll() {}
    var memoryBytes: Int { 0 }
    func checkInvariants(count: Int) {}
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Least recently used: one list of slots by last use (head = most recent); a hit or a
/// refreshing set moves the slot to the head; the tail is evicted. 8 bytes per slot.
struct LRUOrder: CacheEvictionOrder {
    let capacity: Int
    private(set) var links = CacheSlotLinks()
    private(set) var ends = CacheListEnds()

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ slot: Int32) {
        links.append(limit: capacity)
        links.pushFront(slot, &ends)
    }

    mutating func touch(_ slot: Int32) { links.moveToFront(slot, &ends) }

    func victim(count: Int) -> Int32 { ends.tail }

    mutating func replace(_ slot: Int32) { links.moveToFront(slot, &ends) }

    mutating func remove(_ slot: Int32, last: Int32) {
        links.unlink(slot, &ends)
        if slot != last { links.move(last, to: slot, &ends) }
        links.removeLast()
    }

    mutating func removeAll() {
        links.removeAll()
        ends = CacheListEnds()
    }

    var memoryBytes: Int { links.memoryBytes }

    /// Slots from most to least recently used. O(count). For tests.
    var slotsByRecency: [Int32] { links.walk(ends) }

    func checkInvariants(count: Int) {
        precondition(links.count == count, "LRU links \(links.count) ≠ count \(count)")
        let order = slotsByRecency
        precondition(order.count == count, "LRU list length \(order.count) ≠ count \(count)")
        var seen = [Bool](repeating: false, count: count)
        for s in order {
            precondition(Int(s) < count && !seen[Int(s)], "LRU list holds slot \(s) twice or out of range")
            seen[Int(s)] = true
        }
    }
}

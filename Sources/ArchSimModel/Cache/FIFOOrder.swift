// SPDX-License-Identifier: GPL-3.0-or-later

/// First in, first out: one list of slots by insertion (head = newest); hits and refreshing
/// sets do not move a slot; the oldest insertion is evicted. 8 bytes per slot.
struct FIFOOrder: CacheEvictionOrder {
    let capacity: Int
    private(set) var links = CacheSlotLinks()
    private(set) var ends = CacheListEnds()

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ slot: Int32) {
        links.append(limit: capacity)
        links.pushFront(slot, &ends)
    }

    /// A use does not change the insertion order.
    func touch(_ slot: Int32) {}

    func victim(count: Int) -> Int32 { ends.tail }

    /// The new key is the newest insertion.
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

    /// Slots from newest to oldest insertion. O(count). For tests.
    var slotsByInsertion: [Int32] { links.walk(ends) }

    func checkInvariants(count: Int) {
        precondition(links.count == count, "FIFO links \(links.count) ≠ count \(count)")
        let order = slotsByInsertion
        precondition(order.count == count, "FIFO list length \(order.count) ≠ count \(count)")
        var seen = [Bool](repeating: false, count: count)
        for s in order {
            precondition(Int(s) < count && !seen[Int(s)], "FIFO list holds slot \(s) twice or out of range")
            seen[Int(s)] = true
        }
    }
}

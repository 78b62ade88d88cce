// SPDX-License-Identifier: GPL-3.0-or-later

/// The two ends of one intrusive list of slots (−1 = none). `head` is the newest or most
/// recently used end, `tail` the end evicted first.
struct CacheListEnds: Equatable {
    var head: Int32 = -1
    var tail: Int32 = -1
    var isEmpty: Bool { head < 0 }
}

/// Doubly linked lists threaded through slot indices: `links[slot]` holds the slot's
/// neighbours (`Int32`, −1 = none; 8 bytes per slot). Several lists may share one
/// `CacheSlotLinks` (LFU keeps one per frequency); each list's ends live with its owner and are
/// passed in. Every operation is O(1) and allocation-free (``append(limit:)`` aside).
struct CacheSlotLinks {
    struct Link: Equatable {
        var prev: Int32
        var next: Int32
    }

    private(set) var links: [Link] = []

    var count: Int { links.count }

    /// Adds one unlinked slot at index `count`.
    @inline(__always) mutating func append(limit: Int) {
        links.appendCapped(Link(prev: -1, next: -1), limit: limit)
    }

    /// Drops the last slot (unlinked, or about to be forgotten).
    @inline(__always) mutating func removeLast() { links.removeLast() }

    mutating func removeAll() { links.removeAll(keepingCapacity: true) }

    /// Links the unlinked `slot` at the head of `ends`.
    @inline(__always) mutating func pushFront(_ slot: Int32, _ ends: inout CacheListEnds) {
        let s = Int(slot)
        links[s] = Link(prev: -1, next: ends.head)
        if ends.head >= 0 { links[Int(ends.head)].prev = slot } else { ends.tail = slot }
        ends.head = slot
    }

    /// Unlinks `slot` from `ends` (its neighbours close the gap).
    @inline(__always) mutating func unlink(_ slot: Int32, _ ends: inout CacheListEnds) {
        let l = links[Int(slot)]
        if l.prev >= 0 { links[Int(l.prev)].next = l.next } else { ends.head = l.next }
        if l.next >= 0 { links[Int(l.next)].prev = l.prev } else { ends.tail = l.prev }
        links[Int(slot)] = Link(prev: -1, next: -1)
    }

    /// Moves `slot` to the head of `ends`.
    @inline(__always) mutating func moveToFront(_ slot: Int32, _ ends: inout CacheListEnds) {
        if ends.head == slot { return }
        unlink(slot, &ends)
        pushFront(slot, &ends)
    }

    /// Puts the linked `from` in the place of the unlinked `to`, keeping its position in `ends`
    /// (used when the store's last slot fills a hole).
    @inline(__always) mutating func move(_ from: Int32, to: Int32, _ ends: inout CacheListEnds) {
        let l = links[Int(from)]
        links[Int(to)] = l
        if l.prev >= 0 { links[Int(l.prev)].next = to } else { ends.head = to }
        if l.next >= 0 { links[Int(l.next)].prev = to } else { ends.tail = to }
        links[Int(from)] = Link(prev: -1, next: -1)
    }

    /// The list's slots from head to tail, checking the back links. O(length). For tests.
    func walk(_ ends: CacheListEnds) -> [Int32] {
        var out: [Int32] = []
        var prev: Int32 = -1
        var s = ends.head
        while s >= 0 {
            precondition(out.count <= links.count, "cycle in a slot list")
            precondition(links[Int(s)].prev == prev, "broken back link at slot \(s)")
            out.append(s)
            prev = s
            s = links[Int(s)].next
        }
        precondition(ends.tail == prev, "tail is \(ends.tail), walk ended at \(prev)")
        return out
    }

    var memoryBytes: Int { links.capacity * MemoryLayout<Link>.stride }
}
